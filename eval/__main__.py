"""Command line: evaluate a reranker on a labelled set, a BEIR folder or TREC files with a first-stage run.

Usage::

    python -m eval --data eval/data/ecommerce.jsonl --model default --out runs/ecommerce
    python -m eval --data eval/data/ecommerce.jsonl --model /ckpt/lychee-rerank-mm \\
        --instruction "Find products matching the query" --instruction-b "Given a product search query, ..." --out runs/ab
    python -m eval --data beir/scifact --split test --run bm25.trec --top-k 100 --segments segments.tsv --out runs/sf
    python -m eval --qrels qrels.txt --documents docs.tsv --queries queries.tsv --run first.trec --out runs/trec
    python -m eval --data beir/scifact --run bm25.trec --qrels-extra data/sets/holes.jsonl --out runs/sf2
    python -m eval --data data/sets/shoes.jsonl --aggregate median --out runs/shoes

Writes ``OUT/run.trec`` (and ``run_b.trec``, ``run_bm25.trec``, ``run_input_order.trec``), ``OUT/qrels.txt``,
``OUT/metrics.json`` and ``OUT/per_query.csv``, and prints a summary table. Finished queries are kept in
``OUT/partial.jsonl``: if the run is interrupted, the same command continues where it stopped and ends with the same
metrics.json. Every finished evaluation is recorded in the run store (``$LYCHEE_RUNS_DB``, see
``python -m eval.runs``); a store that cannot be written only prints a warning. Exit status: 0 success, 1 a gated run
failed its gate, 2 bad input (the message names the file and line), 3 a remote model's endpoints stopped answering
(finished queries are kept; re-run to continue), 130 interrupted.

As a CI gate (the rule is :mod:`eval.gate.verdict`'s; BASELINE a run id, ``last-pass``, an output folder or a
metrics.json)::

    python -m eval --data eval/data/ecommerce.jsonl --model http://gpu-1:8080 --out runs/nightly \\
        --gate last-pass --gate-metric ndcg@10 --max-drop 0.005 --alpha 0.05 --report-md summary.md --junit junit.xml

A served model is given by its URL (see docs/deploy.md)::

    python -m eval --data eval/data/ecommerce.jsonl --model http://gpu-1:8080,http://gpu-2:8080 --concurrency 8 \
        --out runs/ecommerce
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from eval.console import HelpFormatter, stops_quietly_on_closed_pipe
from eval.engine.evaluate import EvalResult, evaluate_set
from eval.engine.outputs import write_outputs
from eval.engine.report import ALL_QUERIES, Report, report_metrics, segment_rows
from eval.engine.resume import PARTIAL_NAME
from eval.engine.scoring import CHUNK_PAIRS, language_warnings
from eval.gate.options import add_gate_options, gate_spec, orphan_gate_options
from eval.gate.reports import VERDICT_HEADER, headline, rule_text, verdict_rows, write_reports
from eval.gate.verdict import GateSpec, GateVerdict, judge
from eval.history.store import RunStore, RunStoreError, record_evaluation
from eval.history.workspace import RUNS_DB_ENV, runs_db_path
from eval.sets.beir import DEFAULT_SPLIT
from eval.sets.firststage import DEFAULT_TOP_K
from eval.sets.grades import AGGREGATES
from eval.sets.inputs import SetInputs
from eval.sets.labelled import LabelledSet
from eval.sets.segments import segment_groups
from eval.tables import table
from lychee.formatting import counted
from lychee.results import ProgressCallback
from lychee.roles import local_user
from lychee.scorers.remote import RemoteUnavailableError, is_remote
from lychee.scorers.remote.loading import DEFAULT_CONCURRENCY
from lychee.validation import positive_int_option, unit_float

logger = logging.getLogger("eval")

#: The end of ``--help``: where the run is recorded.
RECORDED_EPILOG = (
    "Every finished run is recorded in the run store {path} (${env} sets another file; default data/runs.sqlite in "
    "the checkout): list, show or delete runs with `python -m eval.runs`, compare them on the dashboard's Runs page."
)


def _unit_float(text: str) -> float:
    """argparse type: :func:`lychee.validation.unit_float` on the option's text."""
    try:
        return unit_float(float(text), "value")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    from lychee import MEDIUM, STRONG

    parser = argparse.ArgumentParser(
        prog="python -m eval",
        formatter_class=HelpFormatter,
        description="Evaluate a reranker on a labelled query set (JSONL/CSV/zip), a BEIR folder, or TREC qrels + "
        "documents + queries, optionally reranking a first-stage run, with trec_eval-identical metrics.",
        epilog=RECORDED_EPILOG.format(path=runs_db_path(), env=RUNS_DB_ENV),
    )
    parser.add_argument(
        "--data",
        default=None,
        help="labelled set (.jsonl, .csv, or .zip with one of them and images), or a BEIR folder "
        "(corpus.jsonl, queries.jsonl, qrels/<split>.tsv)",
    )
    parser.add_argument("--split", default=None, help=f"BEIR qrels split: qrels/<split>.tsv (default {DEFAULT_SPLIT})")
    parser.add_argument(
        "--qrels", default=None, help="TREC (qid iteration docid label) or BEIR TSV qrels, instead of --data"
    )
    parser.add_argument(
        "--documents", default=None, help="with --qrels: documents, JSONL (_id, title, text, image) or TSV"
    )
    parser.add_argument("--queries", default=None, help="with --qrels: queries, JSONL (_id, text, segment) or TSV")
    parser.add_argument(
        "--run",
        default=None,
        help="first-stage TREC run (qid Q0 docid rank score tag): each judged query's candidates are its top --top-k, "
        "in trec_eval's order, which is the input_order baseline",
    )
    parser.add_argument(
        "--top-k",
        type=positive_int_option,
        default=None,
        help=f"candidates per query from --run (default {DEFAULT_TOP_K})",
    )
    parser.add_argument("--segments", default=None, help="query segments: a file of 'qid<TAB>segment' lines")
    parser.add_argument(
        "--model",
        default="default",
        help="'default' (embedded all-MiniLM-L6-v2), a checkpoint folder, a hub id, or the URL of a served model "
        "(http(s)://host:port, comma-separated replicas, 'openai-chat+' / 'tei+' prefix for those protocols)",
    )
    parser.add_argument("--instruction", default=None, help="instruction for the model (default: the model's own)")
    parser.add_argument("--model-b", default=None, help="a second model to compare against (A/B)")
    parser.add_argument("--instruction-b", default=None, help="a second instruction to compare against (A/B)")
    parser.add_argument(
        "--k", type=positive_int_option, default=10, help="cutoff for ndcg@k, ndcg_exp@k, recall@k (default 10)"
    )
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--fresh", action="store_true", help=f"ignore OUT/{PARTIAL_NAME} and score every query again")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: CUDA when available)")
    parser.add_argument(
        "--batch-size",
        type=positive_int_option,
        default=None,
        help="pairs per forward pass (remote model: per request)",
    )
    parser.add_argument(
        "--concurrency",
        type=positive_int_option,
        default=None,
        help=f"remote model: requests in flight per endpoint (default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument("--medium", type=_unit_float, default=MEDIUM, help=f"medium band threshold (default {MEDIUM})")
    parser.add_argument("--strong", type=_unit_float, default=STRONG, help=f"strong band threshold (default {STRONG})")
    parser.add_argument(
        "--chunk-pairs",
        type=positive_int_option,
        default=None,
        help=f"pairs scored per batched call; finished queries are saved after each chunk, so a smaller chunk loses "
        f"less work when interrupted (1: one query at a time; default {CHUNK_PAIRS}, for a remote model enough to keep "
        "every endpoint's requests in flight). Does not change metrics.json",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_judgment_options(parser)
    add_gate_options(parser)
    return parser


def _add_judgment_options(parser: argparse.ArgumentParser) -> None:
    """``--aggregate`` and ``--qrels-extra``: how several raters' grades become labels, and extra judgments."""
    parser.add_argument(
        "--aggregate",
        choices=AGGREGATES,
        default=None,
        help="how several raters' grades become one label, instead of the set's own rule (default: the set's, else "
        "mean rounded half up): mean, median, majority, max (optimistic), min (pessimistic)",
    )
    parser.add_argument(
        "--qrels-extra",
        default=None,
        help="a labelled set (.jsonl) whose judgments are added to the set's, matched by qid and docid: the graded "
        "queue of `python -m eval.judgments holes`; judged@k rises where it fills unjudged candidates",
    )


def set_inputs(args: argparse.Namespace) -> SetInputs:
    """The set's files and options as :class:`~eval.sets.inputs.SetInputs` (read, and recorded with the run)."""
    return SetInputs(
        data=args.data,
        split=(args.split or DEFAULT_SPLIT) if args.data is not None and Path(args.data).is_dir() else None,
        qrels=args.qrels,
        documents=args.documents,
        queries=args.queries,
        run=args.run,
        top_k=args.top_k,
        segments=args.segments,
        aggregate=args.aggregate,
        qrels_extra=args.qrels_extra,
    )


def _check_options(args: argparse.Namespace) -> str | None:
    """A message when an option applies to no model of the run (``--device`` local, ``--concurrency`` remote)."""
    models = [m for m in (args.model, args.model_b) if m is not None]
    if args.concurrency is not None and not any(is_remote(m) for m in models):
        return (
            f"--concurrency applies to a remote model (an http(s):// URL), but --model is {args.model!r}. Remove it, "
            "or give the URL of a served model."
        )
    if args.device is not None and all(is_remote(m) for m in models):
        return f"--device applies to a local model, but --model is the URL {args.model!r}; the server chose its device."
    return None


def read_input(args: argparse.Namespace, parser: argparse.ArgumentParser) -> LabelledSet:
    """The set the options name (a labelled file, a BEIR folder, or TREC files), with --segments applied.

    Raises:
        SystemExit: (via ``parser.error``, exit status 2) options that do not go together.
        ValueError: a file's problem (LabelledSetError names the file and line).
    """
    if (args.data is None) == (args.qrels is None):
        parser.error("give either --data (a labelled set or a BEIR folder) or --qrels with --documents and --queries.")
    if args.qrels is not None and (args.documents is None or args.queries is None):
        parser.error("--qrels needs --documents and --queries (the texts of the judged documents and queries).")
    if args.data is not None and (args.documents is not None or args.queries is not None):
        parser.error(
            "--documents and --queries go with --qrels; a BEIR folder has its own corpus.jsonl and queries.jsonl."
        )
    if args.top_k is not None and args.run is None:
        parser.error(f"--top-k {args.top_k} needs --run (the first-stage run whose top k become the candidates).")
    folder = args.data is not None and Path(args.data).is_dir()
    if args.split is not None and not folder:
        parser.error(
            f"--split {args.split} goes with a BEIR folder (--data DIR); {args.data or args.qrels} is not one."
        )
    if args.run is not None and args.data is not None and not folder:
        parser.error(
            f"--run needs judgments it can apply to any retrieved document: a BEIR folder (--data DIR) or --qrels; "
            f"{args.data} is a labelled set whose candidates are fixed."
        )
    if args.aggregate is not None and (folder or args.qrels is not None) and args.qrels_extra is None:
        parser.error(
            f"--aggregate {args.aggregate} turns several raters' grades into labels: it applies to a labelled set "
            "(--data FILE.jsonl) or to --qrels-extra, not to qrels."
        )
    return set_inputs(args).load()


def _load(model: str, args: argparse.Namespace) -> Any:
    from lychee import load_scorer

    if is_remote(model):
        return load_scorer(model, batch_size=args.batch_size, max_concurrency=args.concurrency)
    return load_scorer(model, device=args.device, batch_size=args.batch_size)


def _chunk_pairs(args: argparse.Namespace, scorers: Sequence[Any]) -> int:
    """``--chunk-pairs``, or by default enough pairs per call to keep every request slot of a remote model busy."""
    if args.chunk_pairs is not None:
        return args.chunk_pairs
    wanted = CHUNK_PAIRS
    for scorer in scorers:
        info = scorer.info
        if info.family == "remote":  # declared: endpoints x requests in flight each x documents per request
            slots = len(info.details.get("endpoints", ())) * int(info.details.get("max_concurrency", 1))
            wanted = max(wanted, slots * int(info.batch_size or 1))
    return wanted


def _model_id(model: str) -> str:
    """The model's name for metrics.json and the fingerprint: an existing folder becomes its absolute path."""
    path = Path(model).expanduser()
    return str(path.resolve()) if model != "default" and path.exists() else model


def summary_table(result: EvalResult) -> str:
    """The printed summary: one row per system, ``mean [95% CI]`` per metric, then the A/B comparison and calibration."""
    report = result.report
    names = list(report.metric_names)
    rows = [["system", *names]]
    for key, system in report.systems.items():
        rows.append(
            [key] + [f"{system.means[n]:.4f} [{system.ci95[n][0]:.3f}, {system.ci95[n][1]:.3f}]" for n in names]
        )
    lines = table(rows)
    n_none = report.n_queries_without_relevant
    queries = counted(report.n_queries, "{n} query", "{n} queries")
    pairs = counted(report.n_pairs, "{n} pair", "{n} pairs")
    without = counted(n_none, "{n} query", "{n} queries")
    head = f"{queries}, {pairs} ({without} without a relevant candidate; they score 0 and count in the means)"
    if report.n_queries < 2:
        head += "\none query: its intervals are that query's value, and no test can show anything from one query"
    return "\n".join([head, *lines, *_segment_lines(report), *_comparison_lines(report), *_calibration_lines(report)])


def _lift(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


def _segment_lines(report: Report) -> list[str]:
    """The seed's table per segment: the baselines, the reranker and its lift, on the headline metric."""
    if not report.segments:
        return []
    metric = report.metric_names[0]
    rows = segment_rows(report, metric)
    has_b = "model_b" in rows[0]
    header = ["segment", "n", "input order", "BM25", "model", "lift vs input order", "lift vs BM25"]
    if has_b:
        header += ["model B", "B lift vs input order"]
    grid = [header]
    for row in rows:
        cells = [row["segment"], str(row["n"])]
        cells += [f"{row[key]:.4f}" for key in ("input_order", "bm25", "model")]
        cells += [_lift(row["lift_vs_input_order"]), _lift(row["lift_vs_bm25"])]
        if has_b:
            cells += [f"{row['model_b']:.4f}", _lift(row["lift_b_vs_input_order"])]
        grid.append(cells)
    first = "the first stage" if report.settings.get("first_stage") else "the file's order"
    return [
        "",
        f"{metric} per segment (input order = {first}; lift = (model - baseline) / baseline; "
        f"'{ALL_QUERIES}' = every query; 95% intervals in metrics.json):",
        *table(grid, right=1),
    ]


def _comparison_lines(report: Report) -> list[str]:
    c = report.comparison
    if c is None:
        return []
    out = ["", f"A/B ({c.b} vs {c.a}; paired randomization test, 10,000 permutations, two-sided):"]
    for n, v in c.metrics.items():
        out.append(
            f"  {n}: {v.mean_a:.4f} -> {v.mean_b:.4f} (delta {v.delta:+.4f}, p = {v.p_value:.4g}; "
            f"B wins {v.wins}, ties {v.ties}, losses {v.losses})"
        )
    return out


def _calibration_lines(report: Report) -> list[str]:
    out = []
    for key, cal in report.calibration.items():
        best, medium, strong = cal.best_f1, cal.bands["medium"], cal.bands["strong"]
        out.append("")
        if best.threshold is None:
            out.append(f"calibration ({key}): no relevant pair, F1 undefined")
            continue
        trivial = " (trivial: it calls every pair relevant)" if cal.best_f1_is_trivial else ""
        out.append(
            f"calibration ({key}): best F1 {best.f1:.3f} at score >= {best.threshold:.2f}{trivial} "
            f"(P {best.precision:.3f}, R {best.recall:.3f}); at the bands: "
            f"medium {medium.threshold:.2f} F1 {medium.f1:.3f}, strong {strong.threshold:.2f} F1 {strong.f1:.3f}"
        )
    return out


@stops_quietly_on_closed_pipe
def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m eval`` with ``argv`` (default: the process's arguments); returns the exit status."""
    # Our own messages at INFO; other libraries' INFO chatter (model loading, index building) stays hidden.
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    logging.getLogger("eval").setLevel(logging.INFO)
    started = time.perf_counter()
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = _check_options(args)
    if problem is not None:
        parser.error(problem)
    try:
        labelled = read_input(args, parser)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for note in labelled.notes:
        logger.info("note: %s", note)
    gate = _prepare_gate(args, parser, labelled)
    if isinstance(gate, int):
        return gate
    try:
        scorer = _load(args.model, args)
        scorer_b = _load(args.model_b, args) if args.model_b is not None and args.model_b != args.model else None
    except (ValueError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _warn_before_scoring(args, labelled, scorer, scorer_b)
    out = Path(args.out)
    partial = out / PARTIAL_NAME
    if args.fresh and partial.exists():
        partial.unlink()
    result = _evaluate(args, labelled, scorer, scorer_b, partial)
    if isinstance(result, int):
        return result
    verdict = None
    if gate is not None:
        per_query = result.metrics["systems"]["model"]["per_query"]
        verdict = judge(gate, per_query, candidate_hash=labelled.content_hash, segments=segment_groups(labelled))
    _write_and_record(result, args, labelled, out, started, verdict)
    return _finish_gate(result, args, verdict)


def _warn_before_scoring(args: argparse.Namespace, labelled: LabelledSet, scorer: Any, scorer_b: Any | None) -> None:
    """Warn about an instruction A/B on a model that ignores instructions, the set's language, and what the models
    declared at load time (``info.warnings``)."""
    if args.instruction_b is not None and args.model_b is None and not scorer.capabilities.uses_instruction:
        logger.warning(
            "warning: the model %r ignores instructions, so an instruction A/B gives identical runs (p = 1). "
            "Use a VLM reranker checkpoint to compare instructions.",
            args.model,
        )
    for note in language_warnings(labelled, [s for s in (scorer, scorer_b) if s is not None]):
        logger.warning("warning: %s", note)
    for loaded in (s for s in (scorer, scorer_b) if s is not None):
        for warning in loaded.info.warnings:  # declared at load time, e.g. a served model's failed probe
            logger.warning("warning: %s", warning)


@contextlib.contextmanager
def _progress_bar(total: int, *, quiet: bool) -> Iterator[ProgressCallback]:
    """A progress callback that draws a tqdm bar on stderr (nothing with ``--quiet``); the bar is closed once, when
    the block ends, however scoring ended — before the caller prints a result or an error."""
    if quiet:
        yield lambda done, total: None
        return
    from tqdm import tqdm

    bar = tqdm(total=total, unit="pair", desc="scoring", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        # Scoring reports the same count more than once (after each query and after each chunk); a redraw only when
        # the count changes, and none for the last one, which close() draws: every state is printed once.
        if (done, total) == (bar.n, bar.total):
            return
        bar.total, bar.n = total, done
        if done < total:
            bar.refresh()

    try:
        yield progress
    finally:
        bar.close()


def _evaluate(
    args: argparse.Namespace, labelled: LabelledSet, scorer: Any, scorer_b: Any | None, partial: Path
) -> EvalResult | int:
    """:func:`~eval.engine.evaluate.evaluate_set` with the options; the exit status instead when it fails (the message
    printed): 2 bad input, 3 the remote endpoints stopped answering, 130 interrupted."""
    compare = args.model_b is not None or args.instruction_b is not None
    try:
        with _progress_bar(labelled.n_pairs * (2 if compare else 1), quiet=args.quiet) as progress:
            return evaluate_set(
                labelled,
                scorer,
                instruction=args.instruction,
                model_id=_model_id(args.model),
                scorer_b=scorer_b,
                instruction_b=args.instruction_b if args.instruction_b is not None else args.instruction,
                model_id_b=_model_id(args.model_b) if args.model_b is not None else "",
                compare=compare,
                k=args.k,
                partial_path=partial,
                progress=progress,
                strong=args.strong,
                medium=args.medium,
                chunk_pairs=_chunk_pairs(args, [s for s in (scorer, scorer_b) if s is not None]),
            )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RemoteUnavailableError as exc:
        print(
            f"error: {exc}\nFinished queries are kept in {partial}; re-run the same command once the endpoints "
            "answer to continue.",
            file=sys.stderr,
        )
        return 3
    except KeyboardInterrupt:
        print(
            f"\ninterrupted; finished queries are kept in {partial}. Re-run the same command to continue.",
            file=sys.stderr,
        )
        return 130


def _write_and_record(
    result: EvalResult,
    args: argparse.Namespace,
    labelled: LabelledSet,
    out: Path,
    started: float,
    verdict: GateVerdict | None = None,
) -> None:
    """Write the output files, print the summary, and record the run (with its gate verdict) in the run store."""
    written = write_outputs(result, out)
    print(summary_table(result))
    print(f"\nwrote {', '.join(str(p) for p in written.values())} in {time.perf_counter() - started:.1f} s")
    # After the files: a run store that is locked or broken costs the history entry, never the evaluation.
    # A BEIR folder or TREC files are recorded under the set's name (folder and split; or the qrels) and its folder or
    # qrels file.
    run_id, problem = record_evaluation(
        result.metrics,
        set_name=labelled.name,
        set_path=Path(args.data or args.qrels),
        output_dir=out,
        source="cli",
        inputs=set_inputs(args).as_dict(),
        gate=verdict.as_dict() if verdict is not None else None,
        created_by=local_user(),
    )
    if problem:
        print(f"warning: {problem}", file=sys.stderr)
    else:
        print(f"recorded as run {run_id} in the run history (python -m eval.runs show {run_id})")


def _prepare_gate(
    args: argparse.Namespace, parser: argparse.ArgumentParser, labelled: LabelledSet
) -> GateSpec | int | None:
    """The gate's spec, read and checked before any scoring (a bad baseline costs seconds, not a run); ``None``
    without ``--gate``; 2 after printing why the baseline cannot be used."""
    orphans = orphan_gate_options(args)
    if orphans:
        parser.error(f"{', '.join(orphans)} go with --gate BASELINE (the run to compare with).")
    if args.gate is None:
        return None
    try:
        spec = gate_spec(args, labelled, report_metrics(args.k, labelled), store=RunStore())
    except (ValueError, RunStoreError) as exc:
        print(f"error: cannot gate: {exc}", file=sys.stderr)
        return 2
    logger.info("gating against %s (model %s) on %s", spec.baseline.label, spec.baseline.model, ", ".join(spec.metrics))
    return spec


def _finish_gate(result: EvalResult, args: argparse.Namespace, verdict: GateVerdict | None) -> int:
    """Print the verdict, write --report-md / --junit; the exit status: 1 when the gate failed, 2 when a report could
    not be written, else 0."""
    if verdict is not None:
        print(f"\ngate: the run {rule_text(verdict)}")
        print("\n".join(table([VERDICT_HEADER, *verdict_rows(verdict)], right=2)))
        for note in verdict.notes:
            print(f"note: {note}")
        print(headline(verdict))
    try:
        written = write_reports(result.metrics, verdict, markdown=args.report_md, junit=args.junit)
    except OSError as exc:
        print(f"error: the CI report could not be written: {exc}", file=sys.stderr)
        return 2
    if written:
        print(f"wrote {', '.join(str(p) for p in written)}")
    return 1 if verdict is not None and not verdict.passed else 0


__all__ = ["build_parser", "main", "read_input", "summary_table"]


if __name__ == "__main__":
    sys.exit(main())
