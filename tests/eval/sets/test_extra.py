"""Extra judgments on top of a set (``--qrels-extra``): unjudged candidates filled, other judgments added, a set's own
judgment kept on a conflict, unknown queries ignored — each said in a note."""

from __future__ import annotations

import json

from eval.sets.extra import with_extra_judgments
from eval.sets.loader import load_labelled_set
from tests.eval.helpers import write_file


def _set(tmp_path, name, lines):
    return load_labelled_set(write_file(tmp_path, name, "".join(json.dumps(o) + "\n" for o in lines)))


def test_extra_judgments_fill_add_and_keep(tmp_path):
    base = _set(
        tmp_path,
        "base.jsonl",
        [
            {
                "qid": "q1",
                "query": "a",
                "candidates": [{"docid": "d1", "text": "x", "label": 2}, {"docid": "d2", "text": "y"}],
            },
            {"qid": "q2", "query": "b", "candidates": [{"docid": "d3", "text": "z"}]},
        ],
    )
    extra = _set(
        tmp_path,
        "extra.jsonl",
        [
            {
                "qid": "q1",
                "query": "a",
                "candidates": [
                    {"docid": "d1", "text": "x", "label": 0},  # conflicts with the set's 2: the set's is kept
                    {"docid": "d2", "text": "y", "grades": {"ann": 3, "bob": 2}},  # fills the unjudged d2
                    {"docid": "d9", "text": "w", "label": 1},  # not a candidate: a judged document outside them
                    {"docid": "d8", "text": "v"},  # unjudged in the extra set too: ignored
                ],
            },
            {"qid": "q7", "query": "c", "candidates": [{"docid": "d1", "text": "x", "label": 1}]},
        ],
    )
    merged = with_extra_judgments(base, extra)
    assert merged.qrels == {"q1": {"d1": 2, "d2": 3, "d9": 1}, "q2": {}}
    d2 = merged.queries[0].candidates[1]
    assert (d2.judged, d2.label, dict(d2.grades)) == (True, 3, {"ann": 3, "bob": 2})
    assert merged.queries[0].unranked_judgments == (("d9", 1),)
    assert merged.has_unjudged  # q2's d3 is still unjudged
    assert merged.extra_judgments == (extra.name,)
    assert merged.content_hash not in (base.content_hash, extra.content_hash)
    assert merged.notes[-1] == (
        f"extra judgments {extra.name}: 1 unjudged candidate(s) now judged, 1 judgment(s) of documents outside the "
        "candidates added; 1 differ from the set's own judgment, which is kept; 1 of its queries are not in the set "
        "and were ignored (q7)."
    )
    assert base.qrels == {"q1": {"d1": 2}, "q2": {}}  # the original set is untouched
