"""BEIR folders and TREC files with a first-stage run: the candidates, the unjudged ones, trec_eval parity, and every
bad input refused with its file and line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eval.engine.evaluate import evaluate_set
from eval.engine.outputs import output_files
from eval.sets.beir import load_beir
from eval.sets.firststage import load_collection
from eval.sets.labelled import LabelledSetError, shipped_set_path
from eval.sets.loader import load_labelled_set
from tests.eval.helpers import png_bytes, refused, trec_eval, write_beir, write_file

pytest.importorskip("pytrec_eval", reason="trec_eval parity needs pytrec-eval-terrier (requirements-test.txt)")
pytest.importorskip("ir_measures")
from ir_measures import Judged, R, nDCG  # noqa: E402


def write_run(path: Path, ranking: dict[str, list[str]], *, tag: str = "bm25") -> Path:
    """A TREC run listing each query's documents in the given order (scores decreasing)."""
    lines = [
        f"{qid} Q0 {docid} {rank} {100.0 - rank:.1f} {tag}"
        for qid, docids in ranking.items()
        for rank, docid in enumerate(docids, start=1)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def ecommerce():
    return load_labelled_set(shipped_set_path("ecommerce.jsonl"))


def test_run_listing_the_jsonl_candidates_reproduces_the_jsonl_result(tmp_path, ecommerce, make_overlap_scorer):
    folder = write_beir(tmp_path / "beir", ecommerce)
    run = write_run(tmp_path / "first.trec", {q.qid: [c.docid for c in q.candidates] for q in ecommerce.queries})
    from_run = load_beir(folder, run=run, top_k=10)
    assert [[c.docid for c in q.candidates] for q in from_run.queries] == [
        [c.docid for c in q.candidates] for q in ecommerce.queries
    ]
    assert not from_run.has_unjudged and from_run.qrels == ecommerce.qrels
    a = evaluate_set(ecommerce, make_overlap_scorer()).metrics
    b = evaluate_set(from_run, make_overlap_scorer()).metrics
    for key in ("model", "input_order", "bm25"):
        assert b["systems"][key]["means"] == a["systems"][key]["means"], key
        assert b["systems"][key]["per_query"] == a["systems"][key]["per_query"], key
        assert b["systems"][key]["ci95"] == a["systems"][key]["ci95"], key
    assert b["calibration"] == a["calibration"]
    assert b["systems"]["input_order"]["description"] == {
        "baseline": f"the first stage: {run}, top 10 per query in trec_eval's order"
    }
    assert "segments" not in b and "judged@10" not in b


def _unjudged_beir(tmp_path: Path) -> tuple[Path, Path]:
    """Three queries; the run retrieves unjudged documents and misses judged relevant ones, and has ties."""
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    corpus = {f"d{i}": f"doc {i} red shoe" if i % 3 == 0 else f"doc {i} blue tent" for i in range(40)}
    (folder / "corpus.jsonl").write_text("".join(json.dumps({"_id": d, "text": t}) + "\n" for d, t in corpus.items()))
    queries = {"q1": "red shoe", "q2": "blue tent", "q3": "green lamp", "q9": "not judged"}
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in queries.items()))
    qrels = {
        "q1": {"d0": 2, "d3": 1, "d5": 0, "d30": 3},  # d30: relevant, the run misses it
        "q2": {"d1": 1, "d2": 0, "d4": 2, "d7": -1},  # -1: judged, not relevant (trec_eval)
        "q3": {"d8": 0, "d10": 0},  # no relevant document at all
    }
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n"
        + "".join(f"{q}\t{d}\t{lab}\n" for q, by in qrels.items() for d, lab in by.items())
    )
    run_lines = []
    for qid, docs in {
        "q1": ["d5", "d11", "d0", "d12", "d3", "d14", "d15", "d16", "d17", "d18", "d19", "d20"],
        "q2": ["d1", "d2", "d21", "d22", "d4", "d7", "d23"],
        "q3": ["d8", "d24", "d25", "d10"],
        "q9": ["d1", "d2"],
    }.items():
        for rank, docid in enumerate(docs, start=1):
            score = 5.0 if docid in ("d11", "d0", "d12") else 10.0 - rank  # ties: trec_eval orders by docid descending
            run_lines.append(f"{qid} Q0 {docid} {rank} {score} first")
    run = tmp_path / "first.trec"
    run.write_text("\n".join(run_lines) + "\n")
    return folder, run


def test_unjudged_candidates_and_first_stage_match_trec_eval(tmp_path, make_overlap_scorer):
    folder, run = _unjudged_beir(tmp_path)
    labelled = load_beir(folder, run=run, top_k=10)
    assert labelled.qids == ["q1", "q2", "q3"]
    q1 = labelled.queries[0]
    # trec_eval's order: score descending, the four tied at 5.0 by docid descending (d3 > d12 > d11 > d0 as strings)
    assert [c.docid for c in q1.candidates] == ["d5", "d3", "d12", "d11", "d0", "d14", "d15", "d16", "d17", "d18"]
    assert {c.docid: c.judged for c in q1.candidates}["d14"] is False and q1.candidates[0].judged
    assert q1.unranked_judgments == (("d30", 3),)
    assert labelled.qrels["q2"] == {"d1": 1, "d2": 0, "d4": 2, "d7": 0}
    assert any("q9" in note for note in labelled.notes) and any("negative label" in note for note in labelled.notes)

    result = evaluate_set(labelled, make_overlap_scorer())
    m = result.metrics
    assert result.metric_names[-1] == "judged@10" and "judged@10" in m
    files = output_files(result)
    for name in ("qrels.txt", "run.trec", "run_input_order.trec", "run_bm25.trec"):
        (tmp_path / name).write_text(files[name])
    # the first stage on its own file, cut at its top 10 (trec_eval -M 10), against the original qrels
    cut = tmp_path / "first_top10.trec"
    cut.write_text(
        "".join(
            f"{q} Q0 {c.docid} {i} {-i} first\n"
            for q, by in ((q.qid, q) for q in labelled.queries)
            for i, c in enumerate(by.candidates, 1)
        )
    )
    original_qrels = tmp_path / "original_qrels.txt"  # the BEIR qrels as TREC lines, negative label included
    original_qrels.write_text(
        "".join(
            f"{q} 0 {d} {lab}\n"
            for q, d, lab in (line.split("\t") for line in (folder / "qrels" / "test.tsv").read_text().splitlines()[1:])
        )
    )
    measures = [nDCG @ 10, R @ 10, Judged @ 10]
    references = {
        "model": trec_eval(tmp_path / "qrels.txt", tmp_path / "run.trec", measures),
        "bm25": trec_eval(tmp_path / "qrels.txt", tmp_path / "run_bm25.trec", measures),
        "input_order": trec_eval(original_qrels, cut, measures),
    }
    for key, ref in references.items():
        per_query = m["systems"][key]["per_query"]
        for qid in labelled.qids:
            assert per_query["ndcg@10"][qid] == pytest.approx(ref[nDCG @ 10][qid], abs=1e-12), (key, qid)
            assert per_query["recall@10"][qid] == pytest.approx(ref[R @ 10][qid], abs=1e-12), (key, qid)
            assert per_query["judged@10"][qid] == pytest.approx(ref[Judged @ 10][qid], abs=1e-12), (key, qid)
    assert m["systems"]["input_order"]["per_query"]["judged@10"]["q1"] == 0.3  # d5, d3, d0 of the top 10
    assert m["systems"]["input_order"]["per_query"]["recall@10"]["q1"] == 2 / 3  # d30 was never retrieved
    # calibration sees only judged pairs
    assert sum(b["n"] for b in m["calibration"]["model"]["bins"]) == sum(
        c.judged for q in labelled.queries for c in q.candidates
    )


def test_top_k_cuts_the_run(tmp_path):
    folder, run = _unjudged_beir(tmp_path)
    labelled = load_beir(folder, run=run, top_k=2)
    assert [len(q.candidates) for q in labelled.queries] == [2, 2, 2]
    assert dict(labelled.queries[0].unranked_judgments) == {"d0": 2, "d30": 3}
    assert labelled.first_stage == f"{run}, top 2 per query in trec_eval's order"


def test_without_a_run_the_candidates_are_the_judged_documents(tmp_path):
    folder, _ = _unjudged_beir(tmp_path)
    labelled = load_beir(folder)
    assert [[c.docid for c in q.candidates] for q in labelled.queries] == [
        ["d0", "d3", "d5", "d30"],
        ["d1", "d2", "d4", "d7"],
        ["d8", "d10"],
    ]
    assert not labelled.has_unjudged and labelled.first_stage is None
    assert any("no first-stage run" in note for note in labelled.notes)


def test_trec_qrels_documents_and_queries_files(tmp_path, ecommerce, make_overlap_scorer):
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("".join(f"{q.qid} 0 {c.docid} {c.label}\n" for q in ecommerce.queries for c in q.candidates))
    docs = {c.docid: c.text for q in ecommerce.queries for c in q.candidates}
    (tmp_path / "docs.tsv").write_text("".join(f"{d}\t{t}\n" for d, t in docs.items()))
    (tmp_path / "queries.tsv").write_text("".join(f"{q.qid}\t{q.text}\n" for q in ecommerce.queries))
    run = write_run(tmp_path / "first.trec", {q.qid: [c.docid for c in q.candidates] for q in ecommerce.queries})
    labelled = load_collection(qrels=qrels, documents=tmp_path / "docs.tsv", queries=tmp_path / "queries.tsv", run=run)
    assert labelled.qrels == ecommerce.qrels and labelled.n_pairs == ecommerce.n_pairs
    a = evaluate_set(ecommerce, make_overlap_scorer()).metrics
    b = evaluate_set(labelled, make_overlap_scorer()).metrics
    assert b["systems"]["model"]["per_query"] == a["systems"]["model"]["per_query"]


def test_segments_file_for_a_beir_folder(tmp_path):
    folder, run = _unjudged_beir(tmp_path)
    segments = tmp_path / "segments.tsv"
    segments.write_text("qid\tsegment\nq1\tshoes\nq2\tcamping\nq9\tshoes\n")
    labelled = load_beir(folder, run=run, segments=segments)
    assert [q.segment for q in labelled.queries] == ["shoes", "camping", None]


def test_images_in_the_corpus_are_resolved_relative_to_it(tmp_path, make_overlap_scorer):
    folder, run = _unjudged_beir(tmp_path)
    write_file(folder / "img", "d5.png", png_bytes((200, 0, 0)))
    lines = (folder / "corpus.jsonl").read_text().splitlines()
    lines[5] = json.dumps({"_id": "d5", "text": "doc 5", "image": "img/d5.png"})
    (folder / "corpus.jsonl").write_text("\n".join(lines) + "\n")
    labelled = load_beir(folder, run=run)
    d5 = labelled.queries[0].candidates[0]
    assert d5.docid == "d5" and d5.image == (folder / "img" / "d5.png").resolve()
    with pytest.raises(
        ValueError, match=re.escape(f"{folder / 'corpus.jsonl'}, line 6: candidate 'd5' of query 'q1' has an image")
    ):
        evaluate_set(labelled, make_overlap_scorer())


# --- refused input ------------------------------------------------------------------------------------------------------
def test_unknown_document_ids_name_the_run_or_qrels_line(tmp_path):
    folder, run = _unjudged_beir(tmp_path)
    run.write_text(run.read_text() + "q2 Q0 ghost 8 0.5 first\n")
    with open(folder / "qrels" / "test.tsv", "a") as fh:
        fh.write("q3\tphantom\t1\n")
    error = refused(
        f"{run}, line 26: document 'ghost' (query 'q2') is not in the documents file",
        load_beir,
        folder=folder,
        run=run,
    )
    assert any(
        e.startswith(f"{folder / 'qrels' / 'test.tsv'}, line 12: document 'phantom' (query 'q3')") for e in error.errors
    )


def test_judged_query_without_candidates_is_refused(tmp_path):
    folder, run = _unjudged_beir(tmp_path)
    run.write_text("".join(line + "\n" for line in run.read_text().splitlines() if not line.startswith("q3 ")))
    refused(
        f"{folder / 'qrels' / 'test.tsv'}, line 10: query 'q3' is judged here but has no document in the run {run}",
        load_beir,
        folder=folder,
        run=run,
    )


def test_judged_query_missing_from_queries_file_is_refused(tmp_path):
    folder, run = _unjudged_beir(tmp_path)
    (folder / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": "red shoe"}) + "\n" + json.dumps({"_id": "q2", "text": "t"}) + "\n"
    )
    refused("line 10: query 'q3' is not in the queries file", load_beir, folder=folder, run=run)


def test_duplicate_ids_and_malformed_rows_are_refused(tmp_path):
    folder, run = _unjudged_beir(tmp_path)
    with open(folder / "corpus.jsonl", "a") as fh:
        fh.write(json.dumps({"_id": "d3", "text": "again"}) + "\n")
    refused(
        f"{folder / 'corpus.jsonl'}, line 41: document id 'd3' is already used on line 4",
        load_beir,
        folder=folder,
        run=run,
    )
    folder, run = _unjudged_beir(tmp_path / "other")
    run.write_text(run.read_text() + "q1 Q0 d39 13\n")
    refused(f"{run}, line 26: has 4 columns", load_beir, folder=folder, run=run)


def test_missing_split_lists_the_splits(tmp_path):
    folder, _ = _unjudged_beir(tmp_path)
    (folder / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\n")
    with pytest.raises(
        LabelledSetError, match=re.escape("missing qrels/train.tsv (splits there: dev, test; choose one with --split)")
    ):
        load_beir(folder, split="train")
    with pytest.raises(
        LabelledSetError, match=re.escape(f"{tmp_path / 'nope'}: folder not found; expected a BEIR folder")
    ):
        load_beir(tmp_path / "nope")


def test_top_k_needs_a_run_and_must_be_positive(tmp_path):
    folder, run = _unjudged_beir(tmp_path)
    with pytest.raises(ValueError, match=re.escape("top_k=5 needs a first-stage run")):
        load_beir(folder, top_k=5)
    with pytest.raises(ValueError, match=re.escape("top_k must be a positive integer, got 0.")):
        load_beir(folder, run=run, top_k=0)


def test_segments_file_problems(tmp_path):
    folder, run = _unjudged_beir(tmp_path)
    segments = tmp_path / "segments.tsv"
    segments.write_text("q1\tshoes\nq77\tcamping\n")
    refused(
        f"{segments}, line 2: query 'q77' is not in the queries file",
        load_beir,
        folder=folder,
        run=run,
        segments=segments,
    )
    (folder / "queries.jsonl").write_text(
        (folder / "queries.jsonl")
        .read_text()
        .replace('"text": "red shoe"}', '"text": "red shoe", "segment": "footwear"}')
    )
    segments.write_text("q1\tshoes\n")
    refused(
        "query 'q1' has the segment 'footwear' here but 'shoes' in the segments file (line 1)",
        load_beir,
        folder=folder,
        run=run,
        segments=segments,
    )


def _beir_zip(corpus_images: dict[str, str], extra: dict[str, bytes] | None = None) -> bytes:
    """A BEIR folder as a zip: three documents, one query, qrels/test.tsv; ``corpus_images`` gives documents images."""
    import io
    import zipfile

    docs = [{"_id": f"d{i}", "title": "", "text": f"doc {i}"} | ({"image": corpus_images[f"d{i}"]} if f"d{i}" in
            corpus_images else {}) for i in range(3)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("set/corpus.jsonl", "".join(json.dumps(d) + "\n" for d in docs))
        zf.writestr("set/queries.jsonl", json.dumps({"_id": "q1", "text": "red shoes"}) + "\n")
        zf.writestr("set/qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td0\t1\nq1\td1\t0\nq1\td2\t0\n")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_an_uploaded_beir_folder_reads_images_only_inside_the_archive(tmp_path):
    from eval.sets.beir import load_beir_upload

    secret = tmp_path / "secret.png"
    secret.write_bytes(png_bytes())
    inside = load_beir_upload(_beir_zip({"d0": "img/a.png"}, {"set/img/a.png": png_bytes()}), name="up.zip")
    assert inside.queries[0].candidates[0].image is not None
    for written in (str(secret), "../../../../../../.." + str(secret), str(tmp_path / "missing.png"), "../../x.png"):
        with pytest.raises(LabelledSetError) as refused_upload:
            load_beir_upload(_beir_zip({"d1": written}), name="up.zip")
        message = str(refused_upload.value)
        assert f"image {written!r}: points outside the archive" in message, message
        # the same words whether the file outside exists or not: nothing is looked up
        assert "not found" not in message and "exist" not in message and "/tmp" not in message.replace(repr(written), "")
    with pytest.raises(LabelledSetError) as not_there:
        load_beir_upload(_beir_zip({"d1": "../x.png"}), name="up.zip")  # inside the archive (its root), just not there
    assert "image '../x.png': not found in the archive." in str(not_there.value)
    assert "/tmp" not in str(not_there.value)


def test_the_split_is_a_name_not_a_path(tmp_path, ecommerce):
    from eval.sets.beir import load_beir_upload

    folder = write_beir(tmp_path / "beir", ecommerce)
    for split in ("../../etc/passwd", "test/../test", "a b", "", "test\n"):
        with pytest.raises(LabelledSetError, match=re.escape(f"split {split!r} is not a split name")):
            load_beir(folder, split=split)
        with pytest.raises(LabelledSetError, match=re.escape(f"split {split!r} is not a split name")):
            load_beir_upload(_beir_zip({}), name="up.zip", split=split)
    assert load_beir(folder, split="test").n_pairs == ecommerce.n_pairs
