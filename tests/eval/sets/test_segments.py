"""Query segments: read from JSONL / CSV / a segments file, and reported per system with means that are the means of
the segment's per-query values."""

from __future__ import annotations

import json
import math
import re

import pytest

from eval.engine.evaluate import evaluate_set
from eval.measures import stats
from eval.sets.labelled import LabelledSetError, shipped_set_path
from eval.sets.loader import load_labelled_set
from eval.sets.segments import NO_SEGMENT, assign_segments, segment_groups

ZH_SEGMENTS = ["场景化描述", "风格导向", "功能需求", "视觉特征"]


@pytest.fixture
def zh_result(make_overlap_scorer):
    labelled = load_labelled_set(shipped_set_path("ecommerce_zh.jsonl"))
    return evaluate_set(labelled, make_overlap_scorer(), compare=True, instruction_b="reverse")


def test_chinese_set_meets_the_brief():
    labelled = load_labelled_set(shipped_set_path("ecommerce_zh.jsonl"))
    groups = segment_groups(labelled)
    assert list(groups) == ZH_SEGMENTS and all(len(qids) >= 6 for qids in groups.values())
    assert len(labelled.queries) >= 24 and all(len(q.candidates) == 10 for q in labelled.queries)
    assert {c.label for q in labelled.queries for c in q.candidates} == {0, 1, 2, 3}
    assert all({c.label for c in q.candidates} >= {0, 3} for q in labelled.queries)
    # the input order is a shuffle, not sorted by label
    assert (
        sum(
            1
            for q in labelled.queries
            if [c.label for c in q.candidates] == sorted((c.label for c in q.candidates), reverse=True)
        )
        == 0
    )


def test_segment_means_equal_the_means_of_their_queries(zh_result):
    m = zh_result.metrics
    groups = segment_groups(zh_result.labelled)
    assert list(m["segments"]) == ZH_SEGMENTS
    assert set(m["systems"]) == {"model", "model_b", "input_order", "bm25"}
    for key, system in m["systems"].items():
        assert list(system["segments"]) == ZH_SEGMENTS
        for name, qids in groups.items():
            entry = system["segments"][name]
            assert entry["n"] == len(qids) == 7
            for metric in zh_result.metric_names:
                values = [system["per_query"][metric][q] for q in qids]
                assert entry[metric] == math.fsum(values) / len(values), (key, name, metric)
                assert entry["ci95"][metric] == list(stats.bootstrap_ci(values)), (key, name, metric)
    assert m["segments"] == m["systems"]["model"]["segments"]  # the top level holds system A's, as for the means
    assert [row["segment"] for row in zh_result.per_query[::7]] == ZH_SEGMENTS  # per_query.csv gains the column
    # segments are non-trivial: they differ from each other and from the overall mean
    assert len({m["systems"]["bm25"]["segments"][s]["ndcg@10"] for s in ZH_SEGMENTS}) == 4


def test_sets_without_segments_have_no_segment_keys(make_overlap_scorer):
    result = evaluate_set(load_labelled_set(shipped_set_path("passages.csv")), make_overlap_scorer())
    m = result.metrics
    assert list(result.per_query[0])[:4] == ["qid", "query", "n_candidates", "n_relevant"]
    assert "segments" not in m and all("segments" not in s for s in m["systems"].values())
    assert "judged@10" not in m and "first_stage" not in m["settings"] and "notes" not in m["settings"]


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _row(qid, segment=None, **extra):
    row = {"qid": qid, "query": "red shoe", "candidates": [{"docid": "d1", "text": "red shoe", "label": 1}]}
    if segment is not None:
        row["segment"] = segment
    row.update(extra)
    return row


def test_queries_without_a_segment_form_their_own_group(tmp_path):
    labelled = load_labelled_set(
        _jsonl(tmp_path / "s.jsonl", [_row("q1", "a"), _row("q2"), _row("q3", "b"), _row("q4", "a")])
    )
    assert segment_groups(labelled) == {"a": ["q1", "q4"], NO_SEGMENT: ["q2"], "b": ["q3"]}


@pytest.mark.parametrize("segment", ["", "  ", 3, ["a"]])
def test_bad_jsonl_segment_is_refused(tmp_path, segment):
    path = _jsonl(tmp_path / "s.jsonl", [_row("q1", "a"), {**_row("q2"), "segment": segment}])
    with pytest.raises(
        LabelledSetError,
        match=re.escape(
            f"s.jsonl, line 2: query 'q2': segment must be a non-empty string such as \"风格导向\", got {segment!r}."
        ),
    ):
        load_labelled_set(path)


def test_csv_segment_column(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "qid,query,docid,document,label,segment\nq1,red shoe,d1,red shoe,1,visual\nq1,red shoe,d2,tent,0,visual\nq2,tent,d2,tent,2,\n"
    )
    labelled = load_labelled_set(path)
    assert [q.segment for q in labelled.queries] == ["visual", None]
    path.write_text(
        "qid,query,docid,document,label,segment\nq1,red shoe,d1,red shoe,1,visual\nq1,red shoe,d2,tent,0,style\n"
    )
    with pytest.raises(
        LabelledSetError, match=re.escape("s.csv, line 3: segment 'style' of qid 'q1' differs from line 2 ('visual')")
    ):
        load_labelled_set(path)


def test_segments_file_for_a_jsonl_set(tmp_path):
    labelled = load_labelled_set(_jsonl(tmp_path / "s.jsonl", [_row("q1"), _row("q2"), _row("q3", "b")]))
    segments = tmp_path / "segments.tsv"
    segments.write_text("q1\ta\nq3\tb\n")
    assert [q.segment for q in assign_segments(labelled, segments).queries] == ["a", None, "b"]
    segments.write_text("q1\ta\nq9\tb\n")
    with pytest.raises(
        LabelledSetError, match=re.escape(f"{segments}, line 2: query 'q9' is not in {tmp_path / 's.jsonl'}")
    ):
        assign_segments(labelled, segments)
    segments.write_text("q3\tc\n")
    with pytest.raises(
        LabelledSetError,
        match=re.escape(f"query 'q3' has the segment 'c' here but 'b' in {tmp_path / 's.jsonl'}, line 3"),
    ):
        assign_segments(labelled, segments)
