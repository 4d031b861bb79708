"""Judged collections (qrels + documents + queries) and first-stage runs -> :class:`~eval.sets.labelled.LabelledSet`.

This is how a search team's own files become a set the reranker is evaluated on:

* **Candidates.** With a first-stage run (``run``), each judged query's candidates are the run's top ``top_k``
  documents (default 100) in the run's order — trec_eval's: score descending, ties by docid descending. That order
  is the ``input_order`` baseline, i.e. the first stage itself (what the Lychee seed calls the traditional
  ranking); its metrics equal trec_eval's on the run cut at ``top_k`` (``trec_eval -M top_k``). Without a run, the
  candidates are the query's judged documents in qrels order.
* **Unjudged candidates** (retrieved by the run, absent from the qrels) count as not relevant, trec_eval's convention;
  they are marked ``judged=False`` and the report adds ``judged@k`` so the analyst sees how much of each top k was
  never labelled. Judged documents the run did not retrieve in its top ``top_k`` stay in the qrels
  (``LabelledQuery.unranked_judgments``): they count in the ideal DCG and in recall, as in trec_eval.
* **Queries evaluated** are the queries of the qrels (trec_eval's): run queries without judgments are skipped, with a
  note. Every judged query must have a text (or image) in the queries file and at least one candidate.
* **Segments** come from the queries file (``"segment"``) and/or a segments file (``qid<TAB>segment``).

Everything is checked before anything is scored; each problem names its file and line: unknown document ids (in the
run or the qrels), unknown query ids, a judged query without candidates, malformed lines, duplicate ids. A set with
any problem is refused as a whole.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path

from eval.sets.corpus import Record, Records, read_records, read_segments
from eval.sets.labelled import Candidate, ImageRef, LabelledQuery, LabelledSet
from eval.sets.loader import FolderResolver, ImageResolver
from eval.sets.problems import Problems
from eval.sets.trec import Qrels, TrecRun, read_qrels, read_run
from lychee.validation import positive_int

DEFAULT_TOP_K = 100


def load_collection(
    *,
    qrels: str | Path,
    documents: str | Path,
    queries: str | Path,
    run: str | Path | None = None,
    top_k: int | None = None,
    segments: str | Path | None = None,
    name: str | None = None,
    image_resolver: type[ImageResolver] = FolderResolver,
    display: Callable[[Path], str] = str,
) -> LabelledSet:
    """Read qrels, documents, queries (and a first-stage run, a segments file) into a labelled set.

    Args:
        qrels: TREC (``qid iteration docid label``) or BEIR TSV (``query-id corpus-id score``) qrels.
        documents: id -> text/image, JSONL (BEIR ``corpus.jsonl`` shape) or TSV (see :mod:`eval.sets.corpus`).
        queries: id -> text/image (/segment), JSONL or TSV.
        run: a 6-column TREC run of the first stage; ``None``: the candidates are the judged documents.
        top_k: how many of the run's documents per query become candidates (default 100; only with ``run``).
        segments: a ``qid<TAB>segment`` file.
        name: the set's name in messages and metrics.json (default: the qrels path).
        image_resolver: how image paths are turned into images (a :class:`~eval.sets.loader.ImageResolver` class taking
            ``(folder, display)``).
        display: how messages call each file (default its path; an upload names the archive instead).

    Returns:
        The :class:`~eval.sets.labelled.LabelledSet`; ``notes`` says what was skipped or read leniently.

    Raises:
        LabelledSetError: (a ``ValueError``) any problem in any file, each naming the file and line.
        ValueError: ``top_k`` without ``run``, or not a positive integer.
    """
    if run is None and top_k is not None:
        raise ValueError(f"top_k={top_k!r} needs a first-stage run: pass run=... (--run), or leave top_k unset.")
    top_k = positive_int(DEFAULT_TOP_K if top_k is None else top_k, "top_k") if run is not None else None
    name = name or display(Path(qrels))
    problems = Problems(name)
    judged = read_qrels(qrels, problems, name=display(Path(qrels)))
    first_stage = read_run(run, problems, name=display(Path(run))) if run is not None else None
    segments_name = display(Path(segments)) if segments is not None else ""
    segment_of, segments_sha = read_segments(segments, problems, name=segments_name) if segments else ({}, "")
    problems.raise_if_any()  # the small files first: no reason to scan a corpus against a broken qrels

    notes = list(judged.notes)
    ranked = _candidates(judged, first_stage, top_k, problems, notes)
    query_records = read_records(
        queries, "query", problems, needed=set(judged.judgments) | set(segment_of), name=display(Path(queries))
    )
    needed_docs = {d for by in judged.judgments.values() for d in by} | {d for c in ranked.values() for d, _ in c}
    doc_records = read_records(documents, "document", problems, needed=needed_docs, name=display(Path(documents)))
    problems.raise_if_any()

    _check_known(judged, first_stage, ranked, query_records, doc_records, problems)
    _check_segments(segment_of, segments_name, query_records, problems)
    hasher = hashlib.sha256(
        json.dumps(
            [
                judged.sha256,
                first_stage.sha256 if first_stage else "",
                top_k,
                query_records.sha256,
                doc_records.sha256,
                segments_sha,
            ]
        ).encode()
    )
    images = _Images(image_resolver, problems, hasher)
    labelled_queries = _queries(ranked, judged, query_records, doc_records, segment_of, images, problems)
    problems.raise_if_any()
    first = None if first_stage is None else f"{first_stage.name}, top {top_k} per query in trec_eval's order"
    return LabelledSet(
        name=name,
        queries=tuple(labelled_queries),
        content_hash=hasher.hexdigest(),
        notes=tuple(notes),
        first_stage=first,
    )


def _queries(
    ranked: Mapping[str, list[tuple[str, int]]],
    judged: Qrels,
    queries: Records,
    documents: Records,
    segment_of: Mapping[str, tuple[str, int]],
    images: _Images,
    problems: Problems,
) -> list[LabelledQuery]:
    """The labelled queries: candidates in ranked order with their labels (0 and ``judged=False`` when unjudged),
    the judgments the candidates miss, segments and images."""
    labelled_queries = []
    for qid, entries in ranked.items():
        record = queries.items[qid]
        segment = _segment(record, segment_of, queries.name, problems)
        labels = judged.labels(qid)
        candidates = []
        for docid, _ in entries:
            doc = documents.items[docid]
            image, image_name = images.get(documents, doc, f"document {docid!r}")
            candidates.append(
                Candidate(
                    docid,
                    labels.get(docid, 0),
                    doc.text,
                    image,
                    image_name,
                    doc.line,
                    judged=docid in labels,
                    source=documents.name,
                )
            )
        retrieved = {docid for docid, _ in entries}
        image, image_name = images.get(queries, record, f"query {qid!r}")
        labelled_queries.append(
            LabelledQuery(
                qid,
                record.text,
                tuple(candidates),
                image,
                image_name,
                record.line,
                segment=segment,
                unranked_judgments=tuple((d, lab) for d, lab in labels.items() if d not in retrieved),
                source=queries.name,
            )
        )
    return labelled_queries


def _candidates(
    judged: Qrels, first_stage: TrecRun | None, top_k: int | None, problems: Problems, notes: list[str]
) -> dict[str, list[tuple[str, int]]]:
    """qid -> [(docid, line in the run or qrels)] for every judged query, in the order the candidates are listed."""
    if first_stage is None:
        notes.append(
            f"no first-stage run: each query's candidates are its judged documents in the order of {judged.name} (the "
            "input_order baseline). Pass a run (--run) to rerank what your first stage retrieved."
        )
        only_relevant = [q for q, by in judged.judgments.items() if all(j.label >= 1 for j in by.values())]
        if only_relevant:
            notes.append(
                f"{len(only_relevant)} of {len(judged.judgments)} queries have no judged non-relevant document, so every "
                "ranking of their candidates scores the same on the binary metrics; a first-stage run gives them "
                "unjudged and non-relevant candidates to rank."
            )
        return {qid: [(d, j.line) for d, j in by.items()] for qid, by in judged.judgments.items()}
    out: dict[str, list[tuple[str, int]]] = {}
    for qid in judged.judgments:
        entries = first_stage.ranked(qid, top_k)
        if not entries:
            problems.add(
                judged.name,
                judged.first_line(qid),
                f"query {qid!r} is judged here but has no document in the run {first_stage.name}; a query without "
                "candidates cannot be evaluated. Add its first-stage results to the run, or remove its judgments.",
            )
            continue
        out[qid] = [(e.docid, e.line) for e in entries]
    unjudged_queries = [q for q in first_stage.entries if q not in judged.judgments]
    if unjudged_queries:
        notes.append(
            f"{first_stage.name}: {len(unjudged_queries)} quer{'y has' if len(unjudged_queries) == 1 else 'ies have'} no "
            f"judgments in {judged.name} and {'is' if len(unjudged_queries) == 1 else 'are'} not evaluated, as trec_eval "
            f"skips them (e.g. {', '.join(repr(q) for q in unjudged_queries[:3])})."
        )
    deeper = sum(1 for qid in out if len(first_stage.entries[qid]) > top_k)
    if deeper:
        notes.append(f"{first_stage.name}: candidates are each query's top {top_k} ({deeper} queries list more).")
    return out


def _check_known(
    judged: Qrels,
    first_stage: TrecRun | None,
    ranked: Mapping[str, list[tuple[str, int]]],
    queries: Records,
    documents: Records,
    problems: Problems,
) -> None:
    """Every judged query has a query record; every judged or ranked document is in the documents file."""
    for qid in judged.judgments:
        if qid not in queries.items:
            problems.add(
                judged.name,
                judged.first_line(qid),
                f"query {qid!r} is not in the queries file {queries.name}; add it there (with its text), or remove its "
                "judgments.",
            )
    reported: set[str] = set()
    for qid, by in judged.judgments.items():
        for docid, judgment in by.items():
            if docid not in documents.items and docid not in reported:
                reported.add(docid)
                problems.add(judged.name, judgment.line, _unknown_doc(docid, qid, documents))
    if first_stage is not None:
        for qid, entries in ranked.items():
            for docid, line in entries:
                if docid not in documents.items and docid not in reported:
                    reported.add(docid)
                    problems.add(first_stage.name, line, _unknown_doc(docid, qid, documents))
    problems.raise_if_any()


def _check_segments(segment_of: Mapping[str, tuple[str, int]], name: str, queries: Records, problems: Problems) -> None:
    """Every query of the segments file is in the queries file."""
    for qid, (_, line) in segment_of.items():
        if qid not in queries.items:
            problems.add(name, line, f"query {qid!r} is not in the queries file {queries.name}; expected its qids.")
    problems.raise_if_any()


def _unknown_doc(docid: str, qid: str, documents: Records) -> str:
    return (
        f"document {docid!r} (query {qid!r}) is not in the documents file {documents.name} "
        f"({documents.n_total} documents); the run, qrels and documents must come from the same collection."
    )


def _segment(
    record: Record, segment_of: Mapping[str, tuple[str, int]], queries_name: str, problems: Problems
) -> str | None:
    from_file = segment_of.get(record.id)
    if from_file is None:
        return record.segment
    if record.segment is not None and record.segment != from_file[0]:
        problems.add(
            queries_name,
            record.line,
            f"query {record.id!r} has the segment {record.segment!r} here but {from_file[0]!r} in the segments file "
            f"(line {from_file[1]}); give each query one segment.",
        )
    return from_file[0]


class _Images:
    """Resolves image paths of records relative to their file's folder, once per file; adds digests to the hash."""

    def __init__(self, resolver_class: type[ImageResolver], problems: Problems, hasher) -> None:
        self.resolver_class = resolver_class
        self.resolvers: dict[str, ImageResolver] = {}
        self.problems = problems
        self.hasher = hasher

    def get(self, records: Records, record: Record, what: str) -> tuple[ImageRef | None, str | None]:
        if record.image is None:
            return None, None
        if records.name not in self.resolvers:
            self.resolvers[records.name] = self.resolver_class(records.folder, records.name)
        resolver = self.resolvers[records.name]
        try:
            ref, digest = resolver.resolve(record.image, f"{records.name}, line {record.line}: {what} image")
        except ValueError as exc:
            self.problems.add_raw(str(exc))  # the resolver's message names the file, line and image
            return None, None
        self.hasher.update(digest.encode())
        return ref, record.image


__all__ = ["DEFAULT_TOP_K", "load_collection"]
