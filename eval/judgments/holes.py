"""Judge the holes: the unjudged documents in a run's top k, as a queue to grade.

After an evaluation of a set with unjudged candidates (a BEIR folder or TREC qrels with a first-stage run, a partly
graded saved set), ``metrics.json`` lists per query the unjudged documents in any system's top k (``"holes"``, best
rank first), and the run store keeps that list with how to read the set again. :func:`holes_queue` turns it into
JSONL queries whose candidates have no label (a labelled set the Judge page grades); :func:`write_queue` writes it
— adding to an existing queue without dropping any grade already given there. The graded queue then goes back in with
``python -m eval --qrels-extra QUEUE`` (or the Evaluation page's *Extra judgments*), and ``judged@k`` rises.

Example:
    >>> labelled, holes = run_holes(7)          # run 7 of the run store
    >>> write_queue("data/sets/scifact-holes.jsonl", holes_queue(labelled, holes))
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.history.setfile import SetContent, edit_set
from eval.history.store import RunStore
from eval.sets.inputs import SetInputs
from eval.sets.labelled import LabelledSet


@dataclass(frozen=True)
class QueueResult:
    """Where the queue was written, and how many queries and documents it holds now and were added."""

    path: Path
    n_queries: int
    n_documents: int
    added: int


def _item_fields(item: Any, what: str) -> dict[str, Any]:
    """``text`` and ``image`` (an absolute path) of a query or candidate for a queue line.

    Raises:
        ValueError: an image or clip read from an uploaded archive (no path a queue could point to).
    """
    if isinstance(item.image, bytes) or item.video is not None:
        raise ValueError(
            f"{what} has an image or clip from an uploaded archive, which a queue file cannot point to. Unzip the "
            "set, evaluate it with python -m eval, and take the holes of that run (python -m eval.judgments holes)."
        )
    out: dict[str, Any] = {}
    if item.text:
        out["text"] = item.text
    if isinstance(item.image, Path):
        out["image"] = str(item.image)
    return out


def holes_queue(labelled: LabelledSet, holes: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    """JSONL objects of the queries that have holes, each with its unjudged documents (text and image path, no
    label), in the set's query order and the holes' order (best rank first).

    Args:
        labelled: the set the run evaluated (for the texts).
        holes: qid -> unjudged docids (metrics.json's ``holes["queries"]``).

    Raises:
        ValueError: a qid or docid of ``holes`` that the set does not have (the set changed since the run), or an
            image or clip read from an uploaded archive (a queue file cannot point to it).
    """
    objects = []
    for query in labelled.queries:
        wanted = holes.get(query.qid)
        if not wanted:
            continue
        by_id = {c.docid: c for c in query.candidates}
        missing = [d for d in wanted if d not in by_id]
        if missing:
            raise ValueError(
                f"query {query.qid!r} of {labelled.name} has no candidate(s) {missing[:5]}; the set changed since the "
                "run. Evaluate it again and take the holes of the new run."
            )
        candidates = [
            {"docid": d, **_item_fields(by_id[d], f"document {d!r} of query {query.qid!r}")} for d in wanted
        ]
        objects.append({"qid": query.qid, "query": _item_fields(query, f"query {query.qid!r}"), "candidates": candidates})
    unknown = sorted(set(holes) - {q.qid for q in labelled.queries})
    if unknown:
        raise ValueError(f"{labelled.name} has no quer(y/ies) {unknown[:5]}; the set changed since the run.")
    return objects


def run_holes(run_id: int, store: RunStore | None = None) -> tuple[LabelledSet, dict[str, list[str]]]:
    """The set of recorded run ``run_id``, read again, and its holes (qid -> unjudged docids of any system's top k).

    Raises:
        ValueError: no such run (``RunNotFoundError``), a run without holes, a run of an uploaded set (nothing to read
            again), or a set whose content changed since the run.
        RunStoreError: the store cannot be read.
    """
    store = store if store is not None else RunStore()
    run = store.get(run_id)
    holes = run.details.get("holes")
    if not holes or not holes.get("queries"):
        raise ValueError(
            f"run {run_id} has no unjudged documents in its systems' top {run.k}: every document there is judged, "
            "so there is nothing to add. (Runs recorded before holes were kept have none either: evaluate again.)"
        )
    inputs = run.details.get("inputs")
    if inputs is None:
        raise ValueError(
            f"run {run_id} evaluated {run.set_name!r}, which was uploaded on the page and cannot be read again. Use "
            "*Judge the holes* on the Evaluation page right after such a run, or evaluate the files with python -m "
            "eval and take the holes of that run."
        )
    labelled = SetInputs.from_dict(inputs).load()
    if labelled.content_hash != run.set_hash:
        raise ValueError(
            f"the set of run {run_id} ({run.set_name}) changed since the run (its content hash differs). Evaluate it "
            "again and take the holes of the new run."
        )
    return labelled, {qid: list(docids) for qid, docids in holes["queries"].items()}


def write_queue(path: str | os.PathLike, objects: Sequence[Mapping[str, Any]]) -> QueueResult:
    """Write the queue ``objects`` to ``path`` (a ``.jsonl``), adding to a queue already there: a query it has gets
    only the documents it lacks, so grades given in it are kept.

    Raises:
        ValueError: not a ``.jsonl`` path, an existing file that does not load, or an empty queue.
        OSError: the folder cannot be written (nothing is half written).
    """
    if not objects:
        raise ValueError("the queue is empty: the run has no unjudged documents in its systems' top k.")

    def change(content: SetContent) -> int:
        added = 0
        for obj in objects:
            existing = content.find(str(obj["qid"]))
            if existing is None:
                content.entries.append((0, {**obj, "candidates": [dict(c) for c in obj["candidates"]]}))
                added += len(obj["candidates"])
                continue
            have = {str(c["docid"]) for c in existing["candidates"]}
            for candidate in obj["candidates"]:
                if candidate["docid"] not in have:
                    existing["candidates"].append(dict(candidate))
                    added += 1
        return added

    added, reloaded = edit_set(path, change, create=True)
    return QueueResult(Path(path), len(reloaded.queries), reloaded.n_pairs, added)


__all__ = ["QueueResult", "holes_queue", "run_holes", "write_queue"]
