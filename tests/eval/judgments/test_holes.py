"""The holes queue: texts and order from the set, refusals when the set changed, and adding to a queue keeps the
grades already given in it."""

from __future__ import annotations

import json
import re

import pytest

from eval.history.labelling import make_record, save_query
from eval.judgments.holes import holes_queue, write_queue
from eval.sets.loader import load_labelled_set
from lychee.roles import local_actor
from tests.eval.helpers import write_file

BOOTS = [{"docid": "a", "text": "A", "label": 1}, {"docid": "b", "text": "B"}, {"docid": "c", "text": "C"}]
LINES = [
    {"qid": "q1", "query": "boots", "candidates": BOOTS},
    {"qid": "q2", "query": "mugs", "candidates": [{"docid": "m", "text": "M"}]},
]


@pytest.fixture
def labelled(tmp_path):
    return load_labelled_set(write_file(tmp_path, "s.jsonl", "".join(json.dumps(o) + "\n" for o in LINES)))


def test_the_queue_holds_the_holes_in_their_order_without_labels(labelled):
    candidates = [{"docid": "c", "text": "C"}, {"docid": "b", "text": "B"}]
    expected = [{"qid": "q1", "query": {"text": "boots"}, "candidates": candidates}]
    assert holes_queue(labelled, {"q1": ["c", "b"]}) == expected


@pytest.mark.parametrize(
    ("holes", "message"),
    [({"q1": ["zz"]}, "query 'q1' of "), ({"q9": ["a"]}, "has no quer(y/ies) ['q9']; the set changed since the run.")],
)
def test_holes_the_set_does_not_have_are_refused(labelled, holes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        holes_queue(labelled, holes)


def test_adding_to_a_queue_keeps_its_grades(labelled, tmp_path):
    queue = tmp_path / "queue.jsonl"
    first = write_queue(queue, holes_queue(labelled, {"q1": ["b"]}))
    assert (first.n_queries, first.n_documents, first.added) == (1, 1, 1)
    record = make_record(qid="q1", text="boots", titles=["B"], grades=[2], rater="ann", docids=["b"])
    save_query(record, set_file=queue, actor=local_actor())
    again = write_queue(queue, holes_queue(labelled, {"q1": ["b", "c"], "q2": ["m"]}))
    assert (again.n_queries, again.n_documents, again.added) == (2, 3, 2)
    reloaded = load_labelled_set(queue)
    assert reloaded.qrels == {"q1": {"b": 2}, "q2": {}}
    with pytest.raises(ValueError, match="the queue is empty"):
        write_queue(queue, [])


def test_an_image_from_an_uploaded_archive_is_refused_by_name(tmp_path):
    import io
    import zipfile

    from tests.eval.helpers import png_bytes

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        line = {"qid": "q1", "query": "red", "candidates": [{"docid": "a", "image": "a.png"}]}
        archive.writestr("set.jsonl", json.dumps(line) + "\n")
        archive.writestr("a.png", png_bytes())
    labelled = load_labelled_set(buf.getvalue(), name="upload.zip")
    with pytest.raises(ValueError, match=re.escape("document 'a' of query 'q1' has an image or clip from an uploaded")):
        holes_queue(labelled, {"q1": ["a"]})
