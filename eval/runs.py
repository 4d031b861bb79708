"""Command line over the run store: list, show and delete recorded evaluations.

Usage::

    python -m eval.runs list [--set SET] [--json]    # newest first; --json prints one line: a JSON list of runs
    python -m eval.runs show ID [--json]              # one run: settings, every metric with its interval, per query
    python -m eval.runs delete ID                     # remove a run (its output folder is left alone)
    python -m eval.runs trend --set SET [--metric ndcg@10] [--json]   # a metric over the set's runs, oldest first

``--db PATH`` (before the command) reads another store than ``$LYCHEE_RUNS_DB`` / ``data/runs.sqlite``. Exit status:
0 success, 1 the store cannot be read or written (the message says why), 2 bad input (an unknown run id...), 141 the
reader of the output stopped early (``| head``; nothing is printed about it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from eval.console import HelpFormatter, stops_quietly_on_closed_pipe
from eval.history.store import MAIN_METRIC, RunNotFoundError, RunRecord, RunStore, RunStoreError
from eval.history.trend import Trend, resolve_set, set_trend
from eval.history.workspace import RUNS_DB_ENV, runs_db_path
from eval.tables import table
from lychee.formatting import shorten
from lychee.roles import local_actor


def _run_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a run id (a positive integer from `python -m eval.runs list`), got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a run id (a positive integer from `python -m eval.runs list`), got {text!r}"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eval.runs",
        formatter_class=HelpFormatter,
        description="List, show and delete the evaluations recorded in the run store.",
        epilog=f"Runs are recorded by `python -m eval` and the dashboard's Evaluation page in {runs_db_path()} "
        f"(${RUNS_DB_ENV} or --db sets another file; default data/runs.sqlite in the checkout).",
    )
    parser.add_argument("--db", default=None, help="the run store file (default: $LYCHEE_RUNS_DB or data/runs.sqlite)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{list,show,delete,trend}")
    listing = commands.add_parser("list", help="every run, newest first")
    listing.add_argument("--set", default=None, help="only runs of this set (its absolute path, or an upload's name)")
    listing.add_argument("--json", action="store_true", help="print one line: a JSON list of runs")
    show = commands.add_parser("show", help="one run with every metric and per-query value")
    show.add_argument("id", type=_run_id, help="the run id")
    show.add_argument("--json", action="store_true", help="print the run as one JSON object")
    delete = commands.add_parser("delete", help="delete one run from the store")
    delete.add_argument("id", type=_run_id, help="the run id")
    _add_trend(commands)
    return parser


def _add_trend(commands: argparse._SubParsersAction) -> None:
    trend = commands.add_parser("trend", help="one metric of every run of a set, oldest first, with gate marks")
    trend.add_argument(
        "--set", required=True, help="the set: its path as evaluated (a file or BEIR folder), or an upload's name"
    )
    trend.add_argument("--metric", default=MAIN_METRIC, help=f"the metric (default {MAIN_METRIC})")
    trend.add_argument("--json", action="store_true", help="print one line: the trend as a JSON object")


def _short(text: str | None, limit: int) -> str:
    return "-" if text is None else shorten(text, limit)


def list_text(runs: list[RunRecord]) -> str:
    """The printed table of ``list``: id, created, set, model, instruction, k, ndcg@10, queries."""
    rows = [["id", "created", "set", "model", "instruction", "k", MAIN_METRIC, "queries"]]
    for r in runs:
        rows.append(
            [
                str(r.id),
                r.created,
                _short(r.set, 48),
                _short(r.model + (f" | B {r.model_b}" if r.model_b and r.model_b != r.model else ""), 40),
                _short(r.instruction + (" | B: " + r.instruction_b if r.instruction_b is not None else ""), 50),
                str(r.k),
                "-" if r.main is None else f"{r.main:.4f}",
                str(r.n_queries),
            ]
        )
    return "\n".join(table(rows))


def show_text(run: RunRecord) -> str:
    """The printed form of ``show``: the run's settings, each system's metrics, and per-query values."""
    out = [
        f"run {run.id} — recorded {run.created} from the {run.source}"
        + (f" by {run.created_by}" if run.created_by else ""),
        f"set          {run.set_name}"
        + (f" ({run.set_path})" if run.set_path and run.set_path != run.set_name else ""),
        f"set sha256   {run.set_hash}",
        f"model        {run.model}",
        f"instruction  {run.instruction}",
    ]
    if run.model_b is not None:
        out += [f"model B      {run.model_b}", f"instr. B     {run.instruction_b}"]
    out += [f"k            {run.k}", f"queries      {run.n_queries}", f"output       {run.output_dir or '-'}", ""]
    names = list(next(iter(run.metrics.values()), {}))
    rows = [["system", *names]]
    for system, by_metric in run.metrics.items():
        rows.append([system] + [f"{m:.4f} [{lo:.3f}, {hi:.3f}]" for m, lo, hi in by_metric.values()])
    out += ["metrics (mean [95% bootstrap interval])", *table(rows), ""]
    systems = run.systems
    qids = list(run.per_query["model"][names[0]]) if names else []
    rows = [["qid"] + [f"{s}:{m}" for s in systems for m in names]]
    for q in qids:
        rows.append([q] + [f"{run.per_query[s][m][q]:.4f}" for s in systems for m in names])
    out += ["per query", *table(rows)]
    return "\n".join(out)


def trend_text(trend: Trend) -> str:
    """The printed form of ``trend``: one row per run, oldest first — the metric with its interval, the change from
    the run before, the model and instruction, and the gate mark of gated runs."""
    rows = [["id", "created", trend.metric, "95% CI", "change", "gate", "model", "instruction", "queries"]]
    previous = None
    for p in trend.points:
        change = "" if previous is None else f"{p.mean - previous.mean:+.4f}"
        if previous is not None and p.set_hash != previous.set_hash:
            change += " (set changed)"
        rows.append(
            [
                str(p.run_id),
                p.created,
                f"{p.mean:.4f}",
                f"[{p.ci95[0]:.3f}, {p.ci95[1]:.3f}]",
                change,
                {"pass": "pass", "fail": "FAIL"}.get(p.gate or "", "-"),
                _short(p.model, 40),
                _short(p.instruction, 50),
                str(p.n_queries),
            ]
        )
        previous = p
    out = [f"{trend.metric} of {trend.set}, {len(trend.points)} runs, oldest first (gate: gated runs only)", ""]
    out += table(rows)
    if trend.without_metric:
        listed = ", ".join(str(i) for i in trend.without_metric)
        out += ["", f"runs without {trend.metric} (another k), left out: {listed}"]
    return "\n".join(out)


def _show_json(run: RunRecord) -> str:
    obj = run.summary()
    obj["metrics"] = {
        s: {m: {"mean": v[0], "ci95": [v[1], v[2]]} for m, v in by_metric.items()}
        for s, by_metric in run.metrics.items()
    }
    obj["per_query"] = run.per_query
    obj["details"] = run.details
    return json.dumps(obj, ensure_ascii=False)


@stops_quietly_on_closed_pipe
def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    store = RunStore(args.db)
    try:
        if args.command == "list":
            runs = store.list(of_set=args.set)
            if args.json:
                print(json.dumps([r.summary() for r in runs], ensure_ascii=False))
            elif not runs:
                where = f" of set {args.set!r}" if args.set else ""
                print(
                    f"no runs{where} recorded in {store.path} yet; `python -m eval --data ... --out ...` records one."
                )
            else:
                print(list_text(runs))
        elif args.command == "show":
            run = store.get(args.id)
            print(_show_json(run) if args.json else show_text(run))
        elif args.command == "trend":
            trend = set_trend(store, resolve_set(args.set), metric=args.metric)
            print(json.dumps(trend.as_dict(), ensure_ascii=False) if args.json else trend_text(trend))
        else:
            run = store.delete(args.id, actor=local_actor())
            print(f"deleted run {run.id} ({run.created}, {run.set}, model {run.model}) from {store.path}")
    except (RunNotFoundError, ValueError) as exc:  # an unknown run id, set or metric
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RunStoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


__all__ = ["build_parser", "list_text", "main", "show_text", "trend_text"]

if __name__ == "__main__":
    sys.exit(main())
