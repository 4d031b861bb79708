"""Score a labelled set with one or two systems, add the baselines, and build every report.

:func:`evaluate_set` is what both the CLI (``python -m eval``) and the Evaluation page call, so they report the same
numbers. Consecutive queries are scored together, at least ``CHUNK_PAIRS`` (64) pairs per ``scorer.predict_pairs``
call, so batches are full (the default model also caches document embeddings, so documents repeated across queries
are encoded once); a chunk that fails is re-scored query by query so the error names the query.

Resumable runs: with ``partial_path``, each finished query is appended to that JSONL file as one line (flushed and
``fsync``-ed) under a header holding a fingerprint of the data (file and image bytes), the models, the instructions
and k. A run that is killed leaves every finished query on disk; the same call again skips them and scores only the
rest, then builds metrics from the stored scores exactly as an uninterrupted run does. A file with another
fingerprint is started afresh; a torn last line (killed mid-write) is dropped.

``metrics.json`` is built only from rankings and score bins (never from timings or paths of the output folder), so an
interrupted-and-resumed run writes the same bytes as an uninterrupted one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import math
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval import calibration, stats
from eval.baselines import bm25_run, input_order_run
from eval.labelled import LabelledQuery, LabelledSet
from eval.metrics import default_metrics, evaluate, mean, trec_order
from lychee import MEDIUM, STRONG, Item

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
PARTIAL_NAME = "partial.jsonl"
# Test hook: after this many queries have been written by this process, it SIGKILLs itself (no cleanup, no flush
# beyond what was fsync-ed), to test resuming for real.
KILL_AFTER_ENV = "LYCHEE_EVAL_KILL_AFTER"

ProgressCallback = Callable[[int, int], None]
# Pairs scored per batched call: large enough to fill a batch, small enough that a kill loses little work.
CHUNK_PAIRS = 64


@dataclass
class System:
    """One scored system: a scorer with an instruction.

    Attributes:
        key: ``"model"`` or ``"model_b"`` (the keys of metrics.json).
        scorer: anything with ``name`` and ``score(query, documents, instruction, progress=...)``.
        instruction: ``None`` for the scorer's default instruction.
        model_id: how the model was named (``"default"``, a folder, a hub id); part of the fingerprint.
    """

    key: str
    scorer: Any
    instruction: str | None = None
    model_id: str = ""

    @property
    def resolved_instruction(self) -> str:
        return self.scorer.resolve_instruction(self.instruction)

    @property
    def uses_instruction(self) -> bool:
        return self.scorer.capabilities.uses_instruction

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.model_id or getattr(self.scorer, "name", "?"),
            "scorer": getattr(self.scorer, "name", "?"),
            "instruction": self.resolved_instruction,
            "instruction_used_by_model": self.uses_instruction,
        }


@dataclass
class EvalResult:
    """Everything one evaluation produced.

    Attributes:
        labelled: the evaluated set.
        k: the cutoff of ``ndcg@k``/``recall@k``.
        runs: system key (``model``, ``model_b``, ``input_order``, ``bm25``) -> run (qid -> docid -> score).
        metrics: the ``metrics.json`` object.
        per_query: one dict per query (the per-query CSV's rows).
        pairs: one dict per (system, query, candidate) of the model systems: score, label, rank.
    """

    labelled: LabelledSet
    k: int
    runs: dict[str, dict[str, dict[str, float]]]
    metrics: dict[str, Any]
    per_query: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def metric_names(self) -> list[str]:
        return default_metrics(self.k)

    @property
    def systems(self) -> list[str]:
        return list(self.metrics["systems"])


# --- fingerprint and the partial file -------------------------------------------------------------------------------
def fingerprint(labelled: LabelledSet, systems: Sequence[System], k: int) -> str:
    """sha256 over the set's content, each system's model and resolved instruction, and k."""
    key = {
        "version": FORMAT_VERSION,
        "data": labelled.content_hash,
        "systems": [[s.key, s.model_id or getattr(s.scorer, "name", "?"), s.resolved_instruction] for s in systems],
        "k": k,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


class PartialFile:
    """Append-only store of finished queries: a header line, then ``{"qid", "scores": {system: {docid: score}}}``."""

    def __init__(self, path: str | os.PathLike, fingerprint: str, labelled: LabelledSet, system_keys: Sequence[str]):
        self.path = Path(path)
        self.fingerprint = fingerprint
        self.done: dict[str, dict[str, dict[str, float]]] = {}
        self._written = 0
        self._kill_after = _kill_after()
        expected = {q.qid: {c.docid for c in q.candidates} for q in labelled.queries}
        self._load(expected, set(system_keys))

    def _load(self, expected: dict[str, set[str]], keys: set[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        header = json.dumps({"lychee_eval_partial": FORMAT_VERSION, "fingerprint": self.fingerprint}) + "\n"
        if not self.path.exists():
            self._rewrite(header)
            return
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        try:
            head = json.loads(lines[0])
        except (json.JSONDecodeError, UnicodeDecodeError):
            head = None
        if not isinstance(head, dict) or head.get("fingerprint") != self.fingerprint:
            logger.warning(
                "%s belongs to another run (other data, model, instruction or k); starting this run from the first query.",
                self.path,
            )
            self._rewrite(header)
            return
        good_end = len(lines[0]) + 1
        # Every complete line ends in "\n"; the last element is b"" or a torn write of a killed process.
        for line in lines[1:-1]:
            entry = _parse_entry(line, expected, keys)
            if entry is None:
                logger.warning("%s: dropping an unreadable entry and everything after it; those queries are re-scored.", self.path)
                break
            qid, scores = entry
            self.done[qid] = scores
            good_end += len(line) + 1
        if good_end != len(raw):
            with open(self.path, "r+b") as fh:
                fh.truncate(good_end)
                fh.flush()
                os.fsync(fh.fileno())

    def _rewrite(self, header: str) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(header)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def append(self, qid: str, scores: dict[str, dict[str, float]]) -> None:
        line = json.dumps({"qid": qid, "scores": scores}, allow_nan=False) + "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        self.done[qid] = scores
        self._written += 1
        if self._kill_after is not None and self._written >= self._kill_after:
            os.kill(os.getpid(), signal.SIGKILL)


def _kill_after() -> int | None:
    value = os.environ.get(KILL_AFTER_ENV, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _parse_entry(line: bytes, expected: dict[str, set[str]], keys: set[str]) -> tuple[str, dict] | None:
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(obj, dict) or obj.get("qid") not in expected or not isinstance(obj.get("scores"), dict):
        return None
    scores = obj["scores"]
    if set(scores) != keys:
        return None
    for by_doc in scores.values():
        if not isinstance(by_doc, dict) or set(by_doc) != expected[obj["qid"]]:
            return None
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in by_doc.values()):
            return None
    return obj["qid"], {k: {d: float(v) for d, v in by_doc.items()} for k, by_doc in scores.items()}


# --- scoring --------------------------------------------------------------------------------------------------------
def check_modalities(labelled: LabelledSet, systems: Sequence[System]) -> None:
    """Refuse, before scoring anything, a set with images for a text-only scorer."""
    if not labelled.has_images:
        return
    for s in systems:
        if not s.scorer.capabilities.image:
            raise ValueError(
                f"{labelled.first_image()}, but the model {s.model_id or s.scorer.name!r} "
                f"({getattr(s.scorer, 'name', '?')}) reads text only, so this set cannot be evaluated with it. "
                "Use a Qwen2.5-VL (Lychee-rerank-mm) or Qwen3-VL reranker checkpoint: `--model /path/to/checkpoint` "
                "on the command line, or the model picker in the dashboard's sidebar."
            )


def _chunks(queries: list[LabelledQuery], chunk_pairs: int) -> list[list[LabelledQuery]]:
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
    """Scores of each query of ``chunk`` (one batched ``predict_pairs`` call when the scorer has it)."""
    n_pairs = sum(len(docs) for _, docs in items)

    def step(done: int, of: int) -> None:
        # Scorers report their own units (the default model counts encoded texts); map them onto this chunk's pairs.
        if progress is not None and of > 0:
            progress(offset + min(n_pairs, round(n_pairs * done / of)), total)

    predict_pairs = getattr(system.scorer, "predict_pairs", None)
    if predict_pairs is not None and len(chunk) > 1:
        pairs = [(query, doc) for query, docs in items for doc in docs]
        try:
            preds = predict_pairs(pairs, system.instruction, progress=step)
        except ValueError:
            preds = None  # score query by query below, so the message names the query at fault
        if preds is not None and len(preds) != len(pairs):
            raise ValueError(
                f"scorer {getattr(system.scorer, 'name', '?')!r} returned {len(preds)} predictions for {len(pairs)} "
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
            raise ValueError(f"{labelled.name}, line {q.line}: query {q.qid!r} ({system.key}): {exc}") from exc
        if len(values) != len(docs):
            raise ValueError(
                f"scorer {getattr(system.scorer, 'name', '?')!r} returned {len(values)} scores for {len(docs)} "
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
    """
    keys = [s.key for s in systems]
    if len(set(keys)) != len(keys):
        raise ValueError(f"system keys must be unique, got {keys}.")
    check_modalities(labelled, systems)
    for s in systems:
        s.resolved_instruction  # noqa: B018 -- raises the scorer's ValueError for a bad instruction before any scoring
    partial = None
    if partial_path is not None:
        partial = PartialFile(partial_path, fingerprint(labelled, systems, k), labelled, keys)
        if partial.done:
            logger.info("resuming: %d of %d queries already scored in %s", len(partial.done), len(labelled.queries), partial_path)
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
    for chunk in _chunks(pending, chunk_pairs):
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


# --- metrics --------------------------------------------------------------------------------------------------------
def _system_report(qrels: dict, run: dict, names: list[str], qids: list[str], description: dict) -> dict[str, Any]:
    per_query = evaluate(qrels, run, names)
    means = {m: mean([per_query[m][q] for q in qids]) for m in names}
    ci = {m: list(stats.bootstrap_ci([per_query[m][q] for q in qids])) for m in names}
    return {"description": description, "means": means, "ci95": ci, "per_query": per_query}


def build_metrics(
    labelled: LabelledSet,
    runs: dict[str, dict[str, dict[str, float]]],
    systems: Sequence[System],
    *,
    k: int = 10,
    strong: float = STRONG,
    medium: float = MEDIUM,
    bins: int = 10,
) -> dict[str, Any]:
    """The ``metrics.json`` object (see the module docstring of :mod:`eval.runner` and ``eval/README.md``)."""
    names = default_metrics(k)
    qrels = labelled.qrels
    qids = [q.qid for q in labelled.queries]
    main = names[0]
    reports: dict[str, Any] = {}
    for s in systems:
        reports[s.key] = _system_report(qrels, runs[s.key], names, qids, s.describe())
    reports["input_order"] = _system_report(
        qrels, runs["input_order"], names, qids, {"baseline": "the candidates' order in the file"}
    )
    reports["bm25"] = _system_report(
        qrels, runs["bm25"], names, qids, {"baseline": "BM25 (bm25s, Lucene, k1=1.5, b=0.75) over candidate text"}
    )
    a = reports[systems[0].key]
    out: dict[str, Any] = {main: a["means"][main], "per_query": a["per_query"][main]}
    for m in names[1:]:
        out[m] = a["means"][m]
    out["ci95"] = a["ci95"]
    out["n_queries"] = len(qids)
    out["n_pairs"] = labelled.n_pairs
    out["n_queries_without_relevant"] = sum(1 for q in labelled.queries if not any(c.label >= 1 for c in q.candidates))
    out["systems"] = reports
    if len(systems) > 1:
        b = reports[systems[1].key]
        # wins/ties/losses count queries where B beats / equals / trails A; delta is mean(B) - mean(A).
        comparison = {"a": systems[0].key, "b": systems[1].key, "counts": "b against a", "metrics": {}}
        for m in names:
            va = [a["per_query"][m][q] for q in qids]
            vb = [b["per_query"][m][q] for q in qids]
            comparison["metrics"][m] = {
                "mean_a": a["means"][m],
                "mean_b": b["means"][m],
                "delta": b["means"][m] - a["means"][m],
                "p_value": stats.randomization_test(va, vb),
                **stats.wins_ties_losses(vb, va),
            }
        out["comparison"] = comparison
    out["calibration"] = {}
    for s in systems:
        scores, labels = [], []
        for q in labelled.queries:
            for c in q.candidates:
                scores.append(runs[s.key][q.qid][c.docid])
                labels.append(c.label)
        out["calibration"][s.key] = calibration.calibration_summary(scores, labels, medium=medium, strong=strong, bins=bins)
    out["settings"] = {
        "data": labelled.name,
        "data_sha256": labelled.content_hash,
        "k": k,
        "systems": {s.key: s.describe() for s in systems},
        "relevance": "graded label is the NDCG gain (ndcg_exp: 2**label - 1); label >= 1 is relevant for mrr, hit, recall, F1",
        "ranking": "score descending, ties by docid descending (trec_eval)",
        "bootstrap": {"resamples": stats.BOOTSTRAP_RESAMPLES, "confidence": 0.95, "seed": stats.SEED, "unit": "query"},
        "randomization_test": {
            "permutations": stats.PERMUTATIONS,
            "seed": stats.SEED,
            "two_sided": True,
            "statistic": "mean paired difference b - a, signs flipped per query",
        },
        "bands": {"medium": medium, "strong": strong},
        "calibration_bins": bins,
    }
    return out


def per_query_rows(labelled: LabelledSet, metrics: dict[str, Any], k: int) -> list[dict[str, Any]]:
    """One row per query: ``qid, query, n_candidates, n_relevant`` and ``<system>:<metric>`` for each system."""
    names = default_metrics(k)
    rows = []
    for q in labelled.queries:
        row: dict[str, Any] = {
            "qid": q.qid,
            "query": q.text or "",
            "n_candidates": len(q.candidates),
            "n_relevant": sum(1 for c in q.candidates if c.label >= 1),
        }
        for system, report in metrics["systems"].items():
            for m in names:
                row[f"{system}:{m}"] = report["per_query"][m][q.qid]
        rows.append(row)
    return rows


def pair_rows(labelled: LabelledSet, runs: dict[str, dict[str, dict[str, float]]], keys: Sequence[str]) -> list[dict[str, Any]]:
    """One row per (system, query, candidate): score, label and trec rank."""
    rows = []
    for key in keys:
        for q in labelled.queries:
            run = runs[key][q.qid]
            rank = {d: r for r, d in enumerate(trec_order(run), start=1)}
            for c in q.candidates:
                rows.append(
                    {"system": key, "qid": q.qid, "docid": c.docid, "label": c.label, "score": run[c.docid], "rank": rank[c.docid]}
                )
    return rows


def evaluate_set(
    labelled: LabelledSet,
    scorer: Any,
    *,
    instruction: str | None = None,
    model_id: str = "",
    scorer_b: Any = None,
    instruction_b: str | None = None,
    model_id_b: str = "",
    compare: bool = False,
    k: int = 10,
    partial_path: str | os.PathLike | None = None,
    progress: ProgressCallback | None = None,
    strong: float = STRONG,
    medium: float = MEDIUM,
    chunk_pairs: int = CHUNK_PAIRS,
) -> EvalResult:
    """Evaluate a scorer (and optionally a B system) on a labelled set, with the baselines.

    Args:
        labelled: the set, from :func:`eval.data.load_labelled_set`.
        scorer: the A scorer (e.g. ``lychee.load_scorer("default")``).
        instruction: A's instruction; ``None`` for the scorer's default.
        model_id: how A's model was named (recorded in metrics.json and the fingerprint).
        scorer_b: B's scorer; ``None`` with ``compare=True`` reuses ``scorer`` (an instruction A/B).
        instruction_b: B's instruction; ``None`` for B's default.
        model_id_b: how B's model was named.
        compare: evaluate B too (implied by ``scorer_b``).
        k: cutoff of ``ndcg@k``, ``ndcg_exp@k`` and ``recall@k``.
        partial_path: file to resume from / append finished queries to; ``None`` keeps everything in memory.
        progress: ``progress(done_pairs, total_pairs)``.
        strong, medium: band thresholds whose precision/recall/F1 the calibration reports.
        chunk_pairs: pairs per batched scoring call (see :func:`score_set`); 1 scores query by query.

    Returns:
        The :class:`EvalResult`; ``result.metrics`` is the metrics.json object.

    Raises:
        ValueError: a bad k, a set with images for a text-only model, or a scorer error (naming file, line, query).

    Example:
        >>> from eval.data import load_labelled_set
        >>> result = evaluate_set(load_labelled_set("eval/data/ecommerce.jsonl"), load_scorer("default"))
        >>> result.metrics["ndcg@10"]
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    systems = [System("model", scorer, instruction, model_id)]
    if scorer_b is not None or compare:
        systems.append(
            System("model_b", scorer_b if scorer_b is not None else scorer, instruction_b, model_id_b or model_id)
        )
    if isinstance(chunk_pairs, bool) or not isinstance(chunk_pairs, int) or chunk_pairs < 1:
        raise ValueError(f"chunk_pairs must be a positive integer, got {chunk_pairs!r}.")
    runs = score_set(labelled, systems, k=k, partial_path=partial_path, progress=progress, chunk_pairs=chunk_pairs)
    runs["input_order"] = input_order_run(labelled)
    runs["bm25"] = bm25_run(labelled)
    metrics = build_metrics(labelled, runs, systems, k=k, strong=strong, medium=medium)
    return EvalResult(
        labelled=labelled,
        k=k,
        runs=runs,
        metrics=metrics,
        per_query=per_query_rows(labelled, metrics, k),
        pairs=pair_rows(labelled, runs, [s.key for s in systems]),
    )


# --- files ----------------------------------------------------------------------------------------------------------
def run_trec_text(run: dict[str, dict[str, float]], tag: str) -> str:
    """A standard 6-column TREC run (``qid Q0 docid rank score tag``), ranked in trec_eval's order.

    Scores are written with ``repr`` (shortest round-trip form of the double), so trec_eval reads back exactly the
    values that were ranked and ties stay ties.
    """
    lines = []
    for qid, by_doc in run.items():
        for rank, docid in enumerate(trec_order(by_doc), start=1):
            lines.append(f"{qid} Q0 {docid} {rank} {float(by_doc[docid])!r} {tag}")
    return "\n".join(lines) + "\n"


def qrels_text(labelled: LabelledSet) -> str:
    """TREC qrels (``qid 0 docid label``) of every candidate, label 0 included."""
    return "".join(f"{q.qid} 0 {c.docid} {c.label}\n" for q in labelled.queries for c in q.candidates)


def metrics_json_text(metrics: dict[str, Any]) -> str:
    return json.dumps(metrics, indent=2, allow_nan=False) + "\n"


def per_query_csv_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
    return buf.getvalue()


RUN_FILES = {"model": "run.trec", "model_b": "run_b.trec", "input_order": "run_input_order.trec", "bm25": "run_bm25.trec"}


def output_files(result: EvalResult) -> dict[str, str]:
    """File name -> content of everything an evaluation writes."""
    files = {RUN_FILES[key]: run_trec_text(run, key) for key, run in result.runs.items()}
    files["qrels.txt"] = qrels_text(result.labelled)
    files["metrics.json"] = metrics_json_text(result.metrics)
    files["per_query.csv"] = per_query_csv_text(result.per_query)
    return files


def write_outputs(result: EvalResult, out_dir: str | os.PathLike) -> dict[str, Path]:
    """Write run.trec (and run_b/run_bm25/run_input_order.trec), qrels.txt, metrics.json and per_query.csv."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, text in output_files(result).items():
        path = folder / name
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        written[name] = path
    return written


__all__ = [
    "KILL_AFTER_ENV",
    "PARTIAL_NAME",
    "EvalResult",
    "PartialFile",
    "System",
    "build_metrics",
    "check_modalities",
    "evaluate_set",
    "fingerprint",
    "output_files",
    "qrels_text",
    "run_trec_text",
    "score_set",
    "write_outputs",
]
