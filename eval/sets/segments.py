"""Query segments: which queries form each segment, and segments from a ``qid<TAB>segment`` file.

A segment is a group of queries an analyst wants results for separately — the Lychee seed's headline table gives
NDCG@10 per query type (场景化描述 scene descriptions, 风格导向 style, 功能需求 function, 视觉特征 visual features).
A query carries it as ``"segment"`` (JSONL), a ``segment`` column (CSV), or a line of a segments file
(``--segments``, for any input). Segments are listed in the order they first appear; when some queries have a segment
and others not, the others form the segment :data:`NO_SEGMENT`, so every query is counted somewhere.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from eval.sets.corpus import read_segments
from eval.sets.labelled import LabelledSet
from eval.sets.problems import Problems

NO_SEGMENT = "(no segment)"


def segment_groups(labelled: LabelledSet) -> dict[str, list[str]]:
    """Segment name -> its qids (in file order), segments in order of first appearance; ``{}`` without segments.

    Example:
        >>> segment_groups(load_labelled_set("eval/data/ecommerce_zh.jsonl"))["风格导向"][:2]
        ['zh-style-01', 'zh-style-02']
    """
    if not labelled.has_segments:
        return {}
    groups: dict[str, list[str]] = {}
    for q in labelled.queries:
        groups.setdefault(q.segment if q.segment is not None else NO_SEGMENT, []).append(q.qid)
    return groups


def assign_segments(labelled: LabelledSet, path: str | Path, *, name: str | None = None) -> LabelledSet:
    """The set with each query's segment taken from a ``qid<TAB>segment`` file.

    Args:
        labelled: any labelled set.
        path: the segments file; every qid in it must be a query of the set. A query that already has a different
            segment (from its own file) is a conflict.
        name: how messages call the file (default its path; an upload's name).

    Raises:
        LabelledSetError: (a ``ValueError``) a bad line, an unknown qid or a conflict, naming the file and line.
    """
    name = name or str(path)
    problems = Problems(name)
    segment_of, _ = read_segments(path, problems, name=name)
    problems.raise_if_any()
    known = {q.qid: q for q in labelled.queries}
    for qid, (segment, line) in segment_of.items():
        query = known.get(qid)
        if query is None:
            problems.add(name, line, f"query {qid!r} is not in {labelled.name}; expected one of its qids.")
        elif query.segment is not None and query.segment != segment:
            problems.add(
                name,
                line,
                f"query {qid!r} has the segment {segment!r} here but {query.segment!r} in {labelled.where(query)}; give "
                "each query one segment (remove one of the two).",
            )
    problems.raise_if_any()
    queries = tuple(replace(q, segment=segment_of[q.qid][0]) if q.qid in segment_of else q for q in labelled.queries)
    return replace(labelled, queries=queries)


__all__ = ["NO_SEGMENT", "assign_segments", "segment_groups"]
