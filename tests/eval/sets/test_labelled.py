"""Labelled-set loading: the shipped sets load, and every bad input is refused with the file and line named."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from eval.sets.labelled import SHIPPED_SETS, LabelledSetError, shipped_set_path
from eval.sets.loader import load_labelled_set
from tests.eval.helpers import png_bytes, refused, set_line, write_file


# --- good input -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SHIPPED_SETS))
def test_shipped_sets_load(name):
    labelled = load_labelled_set(shipped_set_path(name))
    assert labelled.queries and labelled.n_pairs == sum(len(q.candidates) for q in labelled.queries)
    assert all(c.label >= 0 for q in labelled.queries for c in q.candidates)


def test_shipped_ecommerce_set_meets_the_brief():
    labelled = load_labelled_set(shipped_set_path("ecommerce.jsonl"))
    assert len(labelled.queries) >= 20
    assert all(len(q.candidates) == 10 for q in labelled.queries)
    assert {c.label for q in labelled.queries for c in q.candidates} == {0, 1, 2, 3}
    docids = [c.docid for q in labelled.queries for c in q.candidates]
    assert len(set(docids)) < len(docids)  # documents repeat across queries
    assert not labelled.has_images


def test_shipped_shapes_set_has_images_and_passages_a_query_without_positives():
    assert load_labelled_set(shipped_set_path("shapes/shapes.jsonl")).has_images
    passages = load_labelled_set(shipped_set_path("passages.csv"))
    assert any(all(c.label == 0 for c in q.candidates) for q in passages.queries)


def test_jsonl_with_images_relative_to_the_file(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.png").write_bytes(png_bytes())
    path = write_file(
        tmp_path,
        "set.jsonl",
        set_line(query={"text": "red", "image": "img/a.png"}, candidates=[{"docid": 7, "image": "img/a.png", "label": 2}])
        + "\n\n",
    )
    labelled = load_labelled_set(path)
    q = labelled.queries[0]
    assert q.candidates[0].docid == "7"  # integer ids become strings
    assert q.item().image.size == (8, 8)
    assert labelled.qrels == {"q1": {"7": 2}}


def test_query_may_be_a_plain_string(tmp_path):
    labelled = load_labelled_set(write_file(tmp_path, "s.jsonl", set_line(query="red shoes")))
    assert labelled.queries[0].text == "red shoes"


def test_csv_groups_rows_by_qid_in_first_seen_order(tmp_path):
    text = 'qid,query,docid,document,label\nq2,blue,d1,blue thing,1\nq1,red,d1,red thing,0\nq2,blue,d2,"x, y",3\n'
    labelled = load_labelled_set(write_file(tmp_path, "s.csv", text))
    assert [q.qid for q in labelled.queries] == ["q2", "q1"]
    assert labelled.qrels == {"q2": {"d1": 1, "d2": 3}, "q1": {"d1": 0}}


def test_zip_upload_resolves_images_inside_the_archive():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("set/data.jsonl", set_line(candidates=[{"docid": "d1", "image": "img/a.png", "label": 1}]))
        zf.writestr("set/img/a.png", png_bytes())
    labelled = load_labelled_set(buf.getvalue(), name="upload.zip")
    assert labelled.has_images
    assert isinstance(labelled.queries[0].candidates[0].image, bytes)


def test_content_hash_changes_with_an_image(tmp_path):
    (tmp_path / "a.png").write_bytes(png_bytes())
    path = write_file(tmp_path, "s.jsonl", set_line(candidates=[{"docid": "d1", "image": "a.png", "label": 1}]))
    before = load_labelled_set(path).content_hash
    (tmp_path / "a.png").write_bytes(png_bytes((0, 0, 200)))
    assert load_labelled_set(path).content_hash != before


# --- bad input: each names the file and the line ----------------------------------------------------------------------
def test_malformed_json(tmp_path):
    path = write_file(tmp_path, "s.jsonl", set_line() + '\n{"qid": "q2", \n')
    refused(
        f"{path}, line 2: malformed JSON (Expecting property name enclosed in double quotes at column 15).",
        load_labelled_set,
        path,
    )


def test_missing_fields(tmp_path):
    path = write_file(tmp_path, "s.jsonl", json.dumps({"qid": "q1", "query": "x"}))
    refused(f"{path}, line 1: missing field(s) ['candidates']", load_labelled_set, path)


def test_unknown_field_is_refused_to_catch_typos(tmp_path):
    path = write_file(tmp_path, "s.jsonl", set_line(candidates=[{"docid": "d1", "text": "x", "lable": 1}]))
    refused(
        f"{path}, line 1: candidate 1 has unknown field(s) ['lable']; expected ['docid', 'text', 'image', 'video', "
        "'label', 'grades', 'graded_at', 'adjudicated'].",
        load_labelled_set,
        path,
    )


@pytest.mark.parametrize(
    ("label", "shown"),
    [(1.5, "1.5 (float)"), (2.0, "2.0 (float)"), ("2", "'2' (str)"), (True, "True (bool)")],
)
def test_non_integer_labels(tmp_path, label, shown):
    path = write_file(tmp_path, "s.jsonl", set_line(candidates=[{"docid": "d1", "text": "x", "label": label}]))
    refused(
        f"{path}, line 1: candidate 'd1' (candidate 1) of query 'q1': label must be a non-negative integer, got {shown}.",
        load_labelled_set,
        path,
    )


@pytest.mark.parametrize("candidate", [{"docid": "d2", "text": "y"}, {"docid": "d2", "text": "y", "label": None}])
def test_a_candidate_without_label_or_grades_is_unjudged_not_refused(tmp_path, candidate):
    path = write_file(
        tmp_path, "s.jsonl", set_line(candidates=[{"docid": "d1", "text": "x", "label": 2}, candidate])
    )
    labelled = load_labelled_set(path)
    d1, d2 = labelled.queries[0].candidates
    assert (d1.judged, d1.label, d2.judged, d2.label) == (True, 2, False, 0)
    assert labelled.qrels == {"q1": {"d1": 2}}  # an unjudged candidate has no qrels entry
    assert labelled.has_unjudged
    assert labelled.notes == (
        f"{path}: 1 of 2 candidates have no label or grade yet; they count as not relevant and as unjudged "
        "(judged@k says how much of each top k was graded).",
    )


def test_negative_label(tmp_path):
    path = write_file(tmp_path, "s.jsonl", set_line(candidates=[{"docid": "d1", "text": "x", "label": -1}]))
    refused(
        f"{path}, line 1: candidate 'd1' (candidate 1) of query 'q1': label must be a non-negative integer, got -1. Use 0 for not relevant.",
        load_labelled_set,
        path,
    )


def test_duplicate_docids_in_a_query(tmp_path):
    cands = [
        {"docid": "d1", "text": "x", "label": 1},
        {"docid": "d2", "text": "y", "label": 0},
        {"docid": "d1", "text": "z", "label": 0},
    ]
    path = write_file(tmp_path, "s.jsonl", set_line() + "\n" + set_line(qid="q2", candidates=cands))
    refused(
        f"{path}, line 2: candidate 'd1' (candidate 3) of query 'q2': duplicate docid, already used by candidate 1; "
        "docids must be unique within a query.",
        load_labelled_set,
        path,
    )


def test_same_docid_in_two_queries_is_fine(tmp_path):
    path = write_file(tmp_path, "s.jsonl", set_line() + "\n" + set_line(qid="q2"))
    assert len(load_labelled_set(path).queries) == 2


def test_duplicate_qid(tmp_path):
    path = write_file(tmp_path, "s.jsonl", set_line() + "\n" + set_line())
    refused(f"{path}, line 2: qid 'q1' already used on line 1; each query must appear once", load_labelled_set, path)


def test_query_without_candidates(tmp_path):
    path = write_file(tmp_path, "s.jsonl", set_line(candidates=[]))
    refused(
        f"{path}, line 1: query 'q1' has no candidates; expected a non-empty list of labelled documents.",
        load_labelled_set,
        path,
    )


def test_empty_query_and_empty_document(tmp_path):
    path = write_file(
        tmp_path,
        "s.jsonl",
        set_line(query={"text": "  "}) + "\n" + set_line(qid="q2", candidates=[{"docid": "d", "label": 0}]),
    )
    err = refused(f"{path}: 2 problems; nothing was evaluated.", load_labelled_set, path)
    assert err.errors == [
        f"{path}, line 1: query 'q1' has neither text nor image nor clip; give it text, an image, a clip, or a mix.",
        f"{path}, line 2: candidate 'd' (candidate 1) of query 'q2' has neither text nor image nor clip; give it text, an image, a clip, or a mix (or remove it).",
    ]


def test_ids_with_whitespace_would_break_trec_files(tmp_path):
    path = write_file(tmp_path, "s.jsonl", set_line(qid="query 1"))
    refused(
        f"{path}, line 1: qid 'query 1' contains whitespace; TREC run and qrels files are whitespace-separated",
        load_labelled_set,
        path,
    )


def test_missing_image(tmp_path):
    path = write_file(tmp_path, "s.jsonl", set_line(candidates=[{"docid": "d1", "image": "nope.png", "label": 1}]))
    refused(
        f"{path}, line 1: candidate 'd1' (candidate 1) of query 'q1' image '{(tmp_path / 'nope.png').resolve()}': file not found.",
        load_labelled_set,
        path,
    )


def test_unreadable_image(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"this is not a png")
    path = write_file(tmp_path, "s.jsonl", set_line(query={"image": "bad.png"}))
    refused(
        f"{path}, line 1: query 'q1' image '{(tmp_path / 'bad.png').resolve()}': not a readable image",
        load_labelled_set,
        path,
    )


def test_all_problems_are_listed_and_nothing_is_returned(tmp_path):
    lines = [set_line(qid=f"q{i}", candidates=[{"docid": "d", "text": "x", "label": -i - 1}]) for i in range(3)]
    path = write_file(tmp_path, "s.jsonl", "\n".join([set_line(qid="ok")] + lines))
    err = refused(f"{path}: 3 problems; nothing was evaluated.", load_labelled_set, path)
    assert [e.split(":")[0] for e in err.errors] == [f"{path}, line {n}" for n in (2, 3, 4)]


def test_csv_header_problems(tmp_path):
    path = write_file(tmp_path, "s.csv", "qid,query,doc,label\nq1,x,y,1\n")
    refused(
        f"{path}, line 1: missing column(s) ['docid', 'document']; unknown column(s) ['doc'] in the header",
        load_labelled_set,
        path,
    )


def test_csv_bad_label_and_wrong_field_count_name_their_lines(tmp_path):
    text = "qid,query,docid,document,label\nq1,red,d1,red shoe,1\nq1,red,d2,blue shoe,high\nq1,red,d3,oops\n"
    path = write_file(tmp_path, "s.csv", text)
    err = refused(f"{path}: 2 problems", load_labelled_set, path)
    assert err.errors == [
        f"{path}, line 3: candidate 'd2' of query 'q1': label must be a non-negative integer, got 'high'. Use graded integers such as 0, 1, 2, 3.",
        f"{path}, line 4: has 4 fields, expected 5 (qid,query,docid,document,label). Quote fields that contain commas.",
    ]


def test_csv_duplicate_docid_and_inconsistent_query(tmp_path):
    text = "qid,query,docid,document,label\nq1,red,d1,a,1\nq1,red,d1,b,0\nq1,blue,d3,c,0\n"
    path = write_file(tmp_path, "s.csv", text)
    err = refused(f"{path}: 2 problems", load_labelled_set, path)
    assert err.errors[0] == (
        f"{path}, line 3: candidate 'd1' of query 'q1': duplicate docid, already used by the row on line 2; "
        "docids must be unique within a query."
    )
    assert err.errors[1].startswith(f"{path}, line 4: query text/image/video for qid 'q1' differs from line 2 ('red')")


def test_csv_multiline_field_keeps_line_numbers(tmp_path):
    text = 'qid,query,docid,document,label\nq1,red,d1,"two\nlines",1\nq1,red,d2,x,-3\n'
    path = write_file(tmp_path, "s.csv", text)
    refused(
        f"{path}, line 4: candidate 'd2' of query 'q1': label must be a non-negative integer, got -3.",
        load_labelled_set,
        path,
    )


def test_not_utf8(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(set_line().encode() + b"\n" + b'{"qid": "caf\xe9"}\n')
    refused(f"{path}, line 2: not valid UTF-8 (byte 0xe9); save the file as UTF-8.", load_labelled_set, path)


def test_empty_file(tmp_path):
    path = write_file(tmp_path, "s.jsonl", "\n\n")
    refused(f"{path}: no queries found", load_labelled_set, path)


def test_missing_file_and_unknown_format(tmp_path):
    refused(f"{tmp_path / 'nope.jsonl'}: file not found.", load_labelled_set, tmp_path / "nope.jsonl")
    refused(
        f"{tmp_path / 's.txt'}: unknown format '.txt'; expected a file ending in .jsonl, .csv, .zip.",
        load_labelled_set,
        write_file(tmp_path, "s.txt", set_line()),
    )


def test_upload_with_image_paths_asks_for_a_zip():
    data = set_line(candidates=[{"docid": "d1", "image": "img/a.png", "label": 1}]).encode()
    refused(
        "upload.jsonl, line 1: candidate 'd1' (candidate 1) of query 'q1' image 'img/a.png': image paths cannot be "
        "resolved relative to an uploaded file. Upload a .zip",
        load_labelled_set,
        data,
        name="upload.jsonl",
    )


def test_zip_problems():
    refused("upload.zip: not a readable zip archive", load_labelled_set, b"not a zip", name="upload.zip")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.jsonl", set_line(candidates=[{"docid": "d1", "image": "../secret.png", "label": 1}]))
    refused(
        "upload.zip:a.jsonl, line 1: candidate 'd1' (candidate 1) of query 'q1' image '../secret.png': points outside the archive",
        load_labelled_set,
        buf.getvalue(),
        name="upload.zip",
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.jsonl", set_line())
        zf.writestr("b.csv", "qid,query,docid,document,label\n")
    refused(
        "upload.zip: expected exactly one .jsonl or .csv data file in the archive, found a.jsonl, b.csv.",
        load_labelled_set,
        buf.getvalue(),
        name="upload.zip",
    )


def test_bytes_need_a_name():
    with pytest.raises(ValueError, match=re.escape("load_labelled_set: bytes need a file name")):
        load_labelled_set(b"{}")


def test_csv_optional_image_columns(tmp_path):
    (tmp_path / "a.png").write_bytes(png_bytes())
    text = "qid,query,query_image,docid,document,document_image,label\nq1,,a.png,d1,,a.png,2\nq1,,a.png,d2,caption,,0\n"
    labelled = load_labelled_set(write_file(tmp_path, "s.csv", text))
    q = labelled.queries[0]
    assert q.text is None and q.image_name == "a.png"
    assert [c.image_name for c in q.candidates] == ["a.png", None]
    assert labelled.has_images


def test_a_new_format_plugs_in_through_build_set(tmp_path):
    """A format of its own (here: tab-separated ``qid, query, docid, label, text``) only splits rows; build_set checks them."""
    from eval.sets.loader import UploadResolver, build_set
    from eval.sets.problems import Problems
    from eval.sets.readers import RawCandidate, RawQuery

    data = b"q1\tred shoes\td1\t2\tNike red shoe\nq1\tred shoes\td2\tx\tblue teapot\n"
    problems = Problems("mine.tsv", limit=None)
    rows: dict[str, RawQuery] = {}
    for line, text in enumerate(data.decode().splitlines(), start=1):
        qid, query, docid, label, doc = text.split("\t")
        cand = RawCandidate(line, docid, doc, None, int(label) if label.isdigit() else label, "")
        rows.setdefault(qid, RawQuery(line, qid, query, None, [])).candidates.append(cand)
    with pytest.raises(
        LabelledSetError, match=re.escape("mine.tsv, line 2: candidate 'd2' of query 'q1': label must be")
    ):
        build_set(
            rows.values(),
            name="mine.tsv",
            content=data,
            problems=problems,
            resolver=UploadResolver("mine.tsv"),
            expected="rows",
        )

    rows["q1"].candidates[1].label = 0
    labelled = build_set(
        rows.values(),
        name="mine.tsv",
        content=data,
        problems=Problems("mine.tsv", limit=None),
        resolver=UploadResolver("mine.tsv"),
        expected="rows",
    )
    assert labelled.qrels == {"q1": {"d1": 2, "d2": 0}}
    assert labelled.queries[0].candidates[0].text == "Nike red shoe"


@pytest.mark.parametrize("kind", ["labelled set", "BEIR folder"])
def test_both_zip_uploads_refuse_unreadable_and_oversized_archives(kind, monkeypatch):
    import eval.sets.loader
    from eval.sets.beir import load_beir_upload

    def load(data):
        if kind == "BEIR folder":
            return load_beir_upload(data, name="upload.zip")
        return load_labelled_set(data, name="upload.zip")

    with pytest.raises(LabelledSetError, match=re.escape("upload.zip: not a readable zip archive")):
        load(b"not a zip")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.jsonl", set_line())
    monkeypatch.setattr(eval.sets.loader, "MAX_ZIP_BYTES", 10)
    hint = "Use the CLI on the folder." if kind == "BEIR folder" else "Split the set or use the CLI."
    size = len(set_line().encode())
    with pytest.raises(
        LabelledSetError, match=re.escape(f"upload.zip: unpacks to {size:,} bytes; the limit is 10. {hint}")
    ):
        load(buf.getvalue())


@pytest.mark.parametrize("kind", ["labelled set", "BEIR folder"])
def test_both_zip_uploads_refuse_too_many_members(kind, monkeypatch):
    import eval.sets.loader
    from eval.sets.beir import load_beir_upload

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.jsonl", set_line())
        for i in range(30):
            zf.writestr(f"img/{i}.png", b"")
    monkeypatch.setattr(eval.sets.loader, "MAX_ZIP_MEMBERS", 25)
    with pytest.raises(LabelledSetError, match=re.escape("upload.zip: holds 31 files and folders; the limit is 25.")):
        if kind == "BEIR folder":
            load_beir_upload(buf.getvalue(), name="upload.zip")
        else:
            load_labelled_set(buf.getvalue(), name="upload.zip")
