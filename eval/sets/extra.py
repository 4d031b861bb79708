"""Extra judgments on top of a set: the grades of judged holes (``python -m eval --qrels-extra FILE``, the
Evaluation page's *Extra judgments*).

:func:`with_extra_judgments` fills a set's unjudged candidates (and adds judged documents it does not rank) from a
second labelled set with the same query ids — typically the queue ``python -m eval.judgments holes`` wrote, graded on
the Judge page. A document the set has already judged keeps its original label (a different extra label is counted
in a note, never silently swapped); extra queries the set does not have are ignored with a note. The result's content
hash covers both sets, so runs with and without the extra judgments are told apart.
"""

from __future__ import annotations

import dataclasses
import hashlib

from eval.sets.labelled import Candidate, LabelledQuery, LabelledSet


@dataclasses.dataclass
class _Tally:
    filled: int = 0
    added: int = 0
    conflicts: int = 0


def _merge_query(query: LabelledQuery, extra: LabelledQuery, tally: _Tally) -> LabelledQuery:
    """``query`` with ``extra``'s judged candidates filling its unjudged ones and its other judgments added."""
    judged = {c.docid: c for c in extra.candidates if c.judged}
    candidates: list[Candidate] = []
    for c in query.candidates:
        new = judged.pop(c.docid, None)
        if new is None:
            candidates.append(c)
        elif not c.judged:
            tally.filled += 1
            graded = dataclasses.replace(c, label=new.label, judged=True, grades=new.grades)
            final = {"adjudicated": new.adjudicated, "adjudicated_by": new.adjudicated_by}
            candidates.append(dataclasses.replace(graded, **final))
        else:
            tally.conflicts += c.label != new.label
            candidates.append(c)
    unranked = dict(query.unranked_judgments)
    for docid, c in judged.items():
        if docid in unranked:
            tally.conflicts += unranked[docid] != c.label
        else:
            unranked[docid] = c.label
            tally.added += 1
    return dataclasses.replace(query, candidates=tuple(candidates), unranked_judgments=tuple(unranked.items()))


def with_extra_judgments(labelled: LabelledSet, extra: LabelledSet) -> LabelledSet:
    """``labelled`` with the judged candidates of ``extra`` (matched by query id and document id) added.

    Args:
        labelled: the set to evaluate (a BEIR folder with a first-stage run, a saved set...).
        extra: judgments to add (its unjudged candidates are ignored; labels are its aggregate labels).

    Returns:
        A new set; its notes say how many candidates were filled, judgments added, conflicts kept and extra queries
        ignored.

    Example:
        >>> merged = with_extra_judgments(load_beir("beir/scifact", run="bm25.trec"), load_labelled_set("holes.jsonl"))
    """
    by_qid = {q.qid: q for q in extra.queries}
    tally = _Tally()
    queries = []
    for query in labelled.queries:
        other = by_qid.pop(query.qid, None)
        queries.append(query if other is None else _merge_query(query, other, tally))
    note = (
        f"extra judgments {extra.name}: {tally.filled} unjudged candidate(s) now judged, {tally.added} judgment(s) of "
        "documents outside the candidates added"
    )
    if tally.conflicts:
        note += f"; {tally.conflicts} differ from the set's own judgment, which is kept"
    if by_qid:
        note += f"; {len(by_qid)} of its queries are not in the set and were ignored ({', '.join(sorted(by_qid)[:5])})"
    content_hash = hashlib.sha256(f"{labelled.content_hash}+{extra.content_hash}".encode()).hexdigest()
    return dataclasses.replace(
        labelled,
        queries=tuple(queries),
        content_hash=content_hash,
        notes=(*labelled.notes, note + "."),
        extra_judgments=(*labelled.extra_judgments, extra.name),
    )


__all__ = ["with_extra_judgments"]
