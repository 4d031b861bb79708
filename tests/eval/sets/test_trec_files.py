"""TREC run and qrels readers (and the documents / queries / segments readers): good files, and every bad line
refused with the file and line named."""

from __future__ import annotations

import re

import pytest

from eval.sets.corpus import read_records, read_segments
from eval.sets.labelled import LabelledSetError
from eval.sets.problems import Problems
from eval.sets.trec import read_qrels, read_run
from tests.eval.helpers import refused, write_file


# --- runs -------------------------------------------------------------------------------------------------------------
def test_run_ranks_by_score_then_docid_descending_and_cuts_at_top_k(tmp_path):
    path = write_file(
        tmp_path,
        "run.trec",
        # the rank column disagrees with the scores on purpose: trec_eval ignores it, so do we
        "q1 Q0 d1 1 0.5 bm25\nq1 Q0 d2 2 0.9 bm25\nq1 Q0 d10 3 0.5 bm25\nq1 Q0 d9 4 0.5 bm25\n\nq2 Q0 x 1 -3e2 bm25\n",
    )
    run = read_run(path)
    assert list(run.entries) == ["q1", "q2"]
    assert [e.docid for e in run.ranked("q1")] == ["d2", "d9", "d10", "d1"]
    assert [e.docid for e in run.ranked("q1", 2)] == ["d2", "d9"]
    assert run.entries["q2"]["x"].score == -300.0 and run.entries["q2"]["x"].line == 6
    assert run.ranked("missing") == []
    assert len(run.sha256) == 64


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "q1 Q0 d1 1 0.5\n",
            "run.trec, line 1: has 5 columns ('q1 Q0 d1 1 0.5'); a TREC run line has 6: qid Q0 docid rank score tag.",
        ),
        ("q1 Q0 d1 1 0.5 t\nq1 Q0 d2 x 0.4 t\n", "run.trec, line 2: rank 'x' is not an integer"),
        ("q1 Q0 d1 1 high t\n", "run.trec, line 1: score 'high' is not a finite number"),
        ("q1 Q0 d1 1 nan t\n", "run.trec, line 1: score 'nan' is not a finite number"),
        (
            "q1 Q0 d1 1 0.5 t\nq2 Q0 d1 1 0.5 t\nq1 Q0 d1 2 0.4 t\n",
            "run.trec, line 3: document 'd1' of query 'q1' is already listed on line 1",
        ),
        ("\n\n", "run.trec: no run lines found"),
        (b"q1 Q0 d1 1 0.5 t\nq1 Q0 \xff 2 0.4 t\n", "run.trec, line 2: not valid UTF-8 (byte 0xff)"),
    ],
)
def test_bad_run_lines_are_refused_naming_file_and_line(tmp_path, text, expected):
    path = write_file(tmp_path, "run.trec", text)
    refused(str(tmp_path / expected), read_run, path)


def test_run_lists_every_problem_and_missing_file(tmp_path):
    path = write_file(tmp_path, "run.trec", "q1 Q0 d1 1 0.5 t\nq1 Q0 d2 1\nq1 Q0 d3 1 z t\n")
    error = refused("2 problems; nothing was evaluated", read_run, path)
    assert [e.split(":")[0] for e in error.errors] == [f"{path}, line 2", f"{path}, line 3"]
    refused(f"{tmp_path / 'nope.trec'}: file not found; expected a TREC run file", read_run, tmp_path / "nope.trec")


# --- qrels ------------------------------------------------------------------------------------------------------------
def test_trec_qrels_and_negative_labels(tmp_path):
    path = write_file(tmp_path, "qrels.txt", "q1 0 d1 2\nq1 0 d2 0\nq1 0 d3 -2\nq2 Q0 d1 1\n")
    qrels = read_qrels(path)
    assert qrels.labels("q1") == {"d1": 2, "d2": 0, "d3": 0}
    assert qrels.labels("q2") == {"d1": 1}
    assert qrels.first_line("q2") == 4
    assert qrels.notes == (
        f"{path}: 1 judgment(s) with a negative label (first on line 3) count as judged, not relevant (label 0), as in "
        "trec_eval.",
    )


def test_beir_qrels_tsv_with_header(tmp_path):
    path = write_file(tmp_path, "test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\n")
    qrels = read_qrels(path)
    assert qrels.labels("q1") == {"d1": 1, "d2": 0} and not qrels.notes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "q1 0 d1\tx y\n",
            "qrels.txt, line 1: has 5 columns ('q1 0 d1\\tx y'); expected qrels (TREC: qid iteration docid label; or BEIR TSV: query-id corpus-id score).",
        ),
        (
            "q1 0 d1 1\nq1 d2 1\n",
            "qrels.txt, line 2: has 3 columns ('q1 d2 1'); the file's first line has 4: qid iteration docid label.",
        ),
        (
            "q1 0 d1 1\nq1 0 d2 high\n",
            "qrels.txt, line 2: label 'high' is not an integer; expected the columns qid iteration docid label.",
        ),
        ("q1 0 d1 1.5\n", "qrels.txt, line 1: label '1.5' is not an integer"),
        (
            "q1 0 d1 1\nq1 0 d1 2\n",
            "qrels.txt, line 2: document 'd1' of query 'q1' is already judged on line 1; judge each document once per query.",
        ),
        ("", "qrels.txt: no judgments found"),
    ],
)
def test_bad_qrels_lines_are_refused_naming_file_and_line(tmp_path, text, expected):
    path = write_file(tmp_path, "qrels.txt", text)
    refused(str(tmp_path / expected), read_qrels, path)


# --- documents and queries --------------------------------------------------------------------------------------------
def _records(path, kind="document", needed=None):
    problems = Problems(str(path))
    records = read_records(path, kind, problems, needed=needed)
    problems.raise_if_any()
    return records


def test_beir_corpus_jsonl_title_text_image_and_ignored_metadata(tmp_path):
    path = write_file(
        tmp_path,
        "corpus.jsonl",
        '{"_id": "d1", "title": "Nike Pegasus", "text": "red running shoe", "metadata": {"x": 1}}\n'
        '{"_id": 7, "title": "", "text": "only text"}\n'
        '{"docid": "d3", "image": "img/d3.png"}\n',
    )
    records = _records(path)
    assert [(r.id, r.text, r.image, r.line) for r in records.items.values()] == [
        ("d1", "Nike Pegasus red running shoe", None, 1),
        ("7", "only text", None, 2),
        ("d3", None, "img/d3.png", 3),
    ]
    assert records.n_total == 3 and records.folder == tmp_path
    kept = _records(path, needed={"d3"})
    assert list(kept.items) == ["d3"] and kept.n_total == 3


def test_queries_jsonl_and_tsv_with_segments(tmp_path):
    jsonl = write_file(
        tmp_path,
        "queries.jsonl",
        '{"_id": "q1", "text": "红色跑鞋", "segment": "视觉特征"}\n{"qid": "q2", "text": "tent"}\n',
    )
    items = _records(jsonl, "query").items
    assert (items["q1"].text, items["q1"].segment, items["q2"].segment) == ("红色跑鞋", "视觉特征", None)
    plain = write_file(tmp_path, "queries.tsv", "q1\tred shoes\nq2\ttent\n")
    assert {r.id: r.text for r in _records(plain, "query").items.values()} == {"q1": "red shoes", "q2": "tent"}
    header = write_file(tmp_path, "q2.tsv", "qid\ttext\tsegment\nq1\tred shoes\tvisual\n")
    assert _records(header, "query").items["q1"].segment == "visual"


def test_documents_tsv_with_header_columns(tmp_path):
    path = write_file(tmp_path, "docs.tsv", "docid\ttitle\ttext\timage\nd1\tPegasus\tred shoe\t\nd2\t\t\timg/a.png\n")
    items = _records(path).items
    assert (items["d1"].text, items["d1"].image) == ("Pegasus red shoe", None)
    assert (items["d2"].text, items["d2"].image) == (None, "img/a.png")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "c.jsonl",
            '{"_id": "d1", "text": "a"}\n{"_id": "d1", "text": "b"}\n',
            "c.jsonl, line 2: document id 'd1' is already used on line 1; ids must be unique.",
        ),
        (
            "c.jsonl",
            '{"_id": "d1", "docid": "d1", "text": "a"}\n',
            "c.jsonl, line 1: expected the document id in exactly one of ['_id', 'docid'], found both '_id' and 'docid'.",
        ),
        (
            "c.jsonl",
            '{"text": "a"}\n',
            "c.jsonl, line 1: expected the document id in exactly one of ['_id', 'docid'], found neither.",
        ),
        ("c.jsonl", '{"_id": "d 1", "text": "a"}\n', "c.jsonl, line 1: document id 'd 1' contains whitespace"),
        ("c.jsonl", '{"_id": "d1", "text": 5}\n', "c.jsonl, line 1: document 'd1': 'text' must be a string, got 5."),
        (
            "c.jsonl",
            '{"_id": "d1", "text": ""}\n',
            "c.jsonl, line 1: document 'd1' has neither text nor image; give it one, or both.",
        ),
        ("c.jsonl", '{"_id": "d1", "text": "a"\n', "c.jsonl, line 1: malformed JSON"),
        ("c.jsonl", '["d1", "a"]\n', "c.jsonl, line 1: expected a JSON object like"),
        (
            "c.tsv",
            "d1\ta\textra\n",
            "c.tsv, line 1: has 3 tab-separated columns; a document TSV without a header line has 2 (id, text).",
        ),
        ("c.tsv", "d1\ta\nd2\n", "c.tsv, line 2: has 1 tab-separated columns, expected 2 (id, text)."),
        ("c.csv", "d1,a\n", "c.csv: unknown format '.csv'; expected a document file ending in .jsonl or .tsv."),
        ("c.jsonl", "\n", "c.jsonl: no documents found"),
    ],
)
def test_bad_documents_are_refused_naming_file_and_line(tmp_path, name, text, expected):
    path = write_file(tmp_path, name, text)
    with pytest.raises(LabelledSetError, match=re.escape(str(tmp_path / expected))):
        _records(path)


def test_unused_empty_documents_are_not_a_problem(tmp_path):
    path = write_file(tmp_path, "c.jsonl", '{"_id": "d1", "text": "a"}\n{"_id": "d2", "title": "", "text": ""}\n')
    assert list(_records(path, needed={"d1"}).items) == ["d1"]


def test_query_segment_must_be_a_non_empty_string(tmp_path):
    path = write_file(tmp_path, "q.jsonl", '{"_id": "q1", "text": "a", "segment": 3}\n')
    with pytest.raises(
        LabelledSetError, match=re.escape("q.jsonl, line 1: query 'q1': 'segment' must be a non-empty string")
    ):
        _records(path, "query")


# --- segments ---------------------------------------------------------------------------------------------------------
def test_segments_file(tmp_path):
    path = write_file(tmp_path, "segments.tsv", "qid\tsegment\nq1\t风格导向\nq2\tscene description\n")
    problems = Problems("s")
    segments, digest = read_segments(path, problems)
    assert not problems and segments == {"q1": ("风格导向", 2), "q2": ("scene description", 3)} and len(digest) == 64


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("q1\ta\nq1\tb\n", "segments.tsv, line 2: query 'q1' already has a segment on line 1; give each query one."),
        ("q1\n", "segments.tsv, line 1: expected 'qid<TAB>segment', got 'q1'."),
        ("q1\t \n", "segments.tsv, line 1: expected 'qid<TAB>segment'"),
        ("", "segments.tsv: no segments found"),
    ],
)
def test_bad_segments_are_refused(tmp_path, text, expected):
    path = write_file(tmp_path, "segments.tsv", text)
    problems = Problems(str(path))
    read_segments(path, problems)
    with pytest.raises(LabelledSetError, match=re.escape(str(tmp_path / expected))):
        problems.raise_if_any()
