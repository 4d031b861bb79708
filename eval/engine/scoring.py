"""Score every query of a labelled set with one or more systems, resumably.

Consecutive queries are scored together, at least ``CHUNK_PAIRS`` (64) pairs per ``scorer.predict_pairs`` call, so
batches are full (the default model also caches document embeddings, so documents repeated across queries are encoded
once); a chunk that fails is re-scored query by query so the error names the query. With a partial file
(:mod:`eval.engine.resume`) each finished query is stored as soon as its chunk is scored, so a kill loses at most the
chunk in flight.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from eval.engine.resume import PartialFile, fingerprint
from eval.engine.scored_system import System
from eval.sets.labelled import LabelledQuery, LabelledSet
from lychee.contract import Scorer
from lychee.items import Item
from lychee.language import language_warning
from lychee.results import ProgressCallback
from lychee.validation import positive_int

logger = logging.getLogger(__name__)

# Pairs scored per batched call: large enough to fill a batch, small enough that a kill loses little work.
CHUNK_PAIRS = 64


def check_modalities(labelled: LabelledSet, systems: Sequence[System]) -> None:
    """Refuse, before scoring anything, a set with images or clips for a scorer that does not read them."""
    for s in systems:
        caps = s.scorer.capabilities
        where = None
        if labelled.has_images and not caps.image:
            where = labelled.first_image()
        elif labelled.has_videos and not caps.video:
            where = labelled.first_video()
        if where is not None:
            raise ValueError(
                f"{where}, but the model {s.model_name!r} ({s.scorer.name}) reads {caps.modalities} only, so this "
                "set cannot be evaluated with it. Use a Qwen2.5-VL (Lychee-rerank-mm) or Qwen3-VL reranker "
                "checkpoint: `--model /path/to/checkpoint` on the command line, or the model picker in the "
                "dashboard's sidebar."
            )


# Texts read to tell a set's language: plenty for that, and it bounds the cost on a large BEIR set (the script check
# runs per character in Python: 100,000 product titles took 41 s on the 2-core dev machine).
LANGUAGE_SAMPLE = 5000


def language_warnings(labelled: LabelledSet, scorers: Sequence[Scorer]) -> list[str]:
    """Warnings for the scorers whose model does not read the language most of the set is written in.

    The run still happens (the baselines are informative), but the model's numbers mean little. The language is
    judged on the set's first :data:`LANGUAGE_SAMPLE` texts (queries and candidates in set order).
    """
    texts = labelled.texts()[:LANGUAGE_SAMPLE]
    notes = []
    for scorer in scorers:
        note = language_warning(scorer.capabilities.languages, scorer.name, texts, what=f"the set {labelled.name}")
        if note and note not in notes:
            notes.append(note)
    return notes


def chunk_queries(queries: Sequence[LabelledQuery], chunk_pairs: int) -> list[list[LabelledQuery]]:
    """Consecutive queries grouped until a group holds at least ``chunk_pairs`` pairs."""
    chunks, current, n = [], [], 0
    for q in queries:
        current.append(q)
        n += len(q.candidates)
        if n >= chunk_pairs:
            chunks.append(current)
            current, n = [], 0
    if current:
        chunks.append(current)
    return chunks


def _score_chunk(
    labelled: LabelledSet,
    chunk: list[LabelledQuery],
    items: list[tuple[Item, list[Item]]],
    system: System,
    offset: int,
    total: int,
    progress: ProgressCallback | None,
) -> list[list[float]]:
    """Scores of each query of ``chunk``: one batched ``predict_pairs`` call, or query by query after it failed."""
    n_pairs = sum(len(docs) for _, docs in items)

    def step(done: int, of: int) -> None:
        # Scorers report their own units (the default model counts encoded texts); map them onto this chunk's pairs.
        if progress is not None and of > 0:
            progress(offset + min(n_pairs, round(n_pairs * done / of)), total)

    if len(chunk) > 1:
        pairs = [(query, doc) for query, docs in items for doc in docs]
        try:
            preds = system.scorer.predict_pairs(pairs, system.instruction, progress=step)
        except ValueError:
            preds = None  # score query by query below, so the message names the query at fault
        if preds is not None and len(preds) != len(pairs):
            raise ValueError(
                f"scorer {system.scorer.name!r} returned {len(preds)} predictions for {len(pairs)} "
                "pairs; expected one per pair."
            )
        if preds is not None:
            flat = [float(p.score) for p in preds]
            out, at = [], 0
            for _, docs in items:
                out.append(flat[at : at + len(docs)])
                at += len(docs)
            return out
    out = []
    for q, (query, docs) in zip(chunk, items):
        try:
            values = system.scorer.score(query, docs, system.instruction, progress=step if len(chunk) == 1 else None)
        except ValueError as exc:
            raise ValueError(f"{labelled.where(q)}: query {q.qid!r} ({system.key}): {exc}") from exc
        if len(values) != len(docs):
            raise ValueError(
                f"scorer {system.scorer.name!r} returned {len(values)} scores for {len(docs)} "
                f"documents of query {q.qid!r}; expected one score per document."
            )
        out.append([float(v) for v in values])
    return out


def score_set(
    labelled: LabelledSet,
    systems: Sequence[System],
    *,
    k: int = 10,
    partial_path: str | os.PathLike | None = None,
    progress: ProgressCallback | None = None,
    chunk_pairs: int = CHUNK_PAIRS,
) -> dict[str, dict[str, dict[str, float]]]:
    """Score every query with every system (resuming from ``partial_path``); returns system key -> run.

    Consecutive queries are scored together in one ``predict_pairs`` call of at least ``chunk_pairs`` pairs (fuller
    batches; the default model encodes each distinct text of the chunk once), then each query is appended to the
    partial file. A kill loses at most the chunk in flight.

    Args:
        labelled: the set.
        systems: the systems to score, with unique keys.
        k: part of the resume fingerprint (a partial file of another k is started afresh).
        partial_path: file to resume from / append finished queries to; ``None`` keeps everything in memory.
        progress: ``progress(done_pairs, total_pairs)``, over every system's pairs.
        chunk_pairs: pairs per batched scoring call; 1 scores query by query.

    Returns:
        ``{system key: {qid: {docid: score}}}``.

    Raises:
        ValueError: a bad ``k``/``chunk_pairs``, repeated keys, a set with images or clips for a text-only scorer, a bad
            instruction, or a scorer error (naming file, line and query).
    """
    positive_int(k, "k")
    positive_int(chunk_pairs, "chunk_pairs")
    keys = [s.key for s in systems]
    if len(set(keys)) != len(keys):
        raise ValueError(f"system keys must be unique, got {keys}.")
    check_modalities(labelled, systems)
    for s in systems:
        s.resolved_instruction  # noqa: B018 -- raises the scorer's ValueError for a bad instruction before any scoring
    partial = None
    if partial_path is not None:
        partial = PartialFile(
            partial_path, fingerprint=fingerprint(labelled, systems, k), labelled=labelled, system_keys=keys
        )
        if partial.done:
            logger.info(
                "resuming: %d of %d queries already scored in %s",
                len(partial.done),
                len(labelled.queries),
                partial_path,
            )
    done_before = {} if partial is None else dict(partial.done)
    total = labelled.n_pairs * len(systems)
    finished = sum(len(q.candidates) for q in labelled.queries if q.qid in done_before) * len(systems)
    if progress is not None:
        progress(finished, total)
    runs: dict[str, dict[str, dict[str, float]]] = {key: {} for key in keys}
    pending = []
    for q in labelled.queries:
        if q.qid in done_before:
            for key in keys:
                runs[key][q.qid] = done_before[q.qid][key]
        else:
            pending.append(q)
    for chunk in chunk_queries(pending, chunk_pairs):
        items = [(q.item(), [c.item() for c in q.candidates]) for q in chunk]
        chunk_scores: list[dict[str, dict[str, float]]] = [{} for _ in chunk]
        for s in systems:
            values = _score_chunk(labelled, chunk, items, s, finished, total, progress)
            for i, q in enumerate(chunk):
                chunk_scores[i][s.key] = {c.docid: v for c, v in zip(q.candidates, values[i])}
            finished += sum(len(q.candidates) for q in chunk)
            if progress is not None:
                progress(finished, total)
        for q, scores in zip(chunk, chunk_scores):
            if partial is not None:
                partial.append(q.qid, scores)
            for key in keys:
                runs[key][q.qid] = scores[key]
    return runs


__all__ = ["CHUNK_PAIRS", "LANGUAGE_SAMPLE", "check_modalities", "chunk_queries", "language_warnings", "score_set"]
