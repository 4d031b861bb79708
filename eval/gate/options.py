"""The gate's command-line options for ``python -m eval`` and the :class:`~eval.gate.verdict.GateSpec` they name.

``--gate BASELINE [--gate-metric M ...] [--max-drop D] [--alpha A]`` and ``--report-md FILE``, ``--junit FILE`` (for
any run). The CLI adds them with :func:`add_gate_options` and builds the spec with :func:`gate_spec` before scoring.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

from eval.gate.baseline import LAST_PASS, load_baseline
from eval.gate.verdict import DEFAULT_ALPHA, DEFAULT_MAX_DROP, GateSpec
from eval.history.store import RunStore
from eval.sets.labelled import LabelledSet

#: Options that mean nothing without ``--gate``.
GATE_ONLY = ("gate_metric", "max_drop", "alpha", "gate_segments")


def max_drop_type(text: str) -> float:
    """argparse type of ``--max-drop``: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a number >= 0 (a drop of the mean, e.g. 0.005), got {text!r}")
    return value


def alpha_type(text: str) -> float:
    """argparse type of ``--alpha``: a significance level in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a significance level in (0, 1], e.g. 0.05, got {text!r}")
    return value


def add_gate_options(parser: argparse.ArgumentParser) -> None:
    """Add the gate and CI report options to ``python -m eval``'s parser."""
    group = parser.add_argument_group("gate and CI reports")
    group.add_argument(
        "--gate",
        metavar="BASELINE",
        default=None,
        help=f"compare with a baseline and exit 1 when the model is significantly worse: a run id of the run store, "
        f"'{LAST_PASS}' (the newest run of this set that passed its gate), a run's output folder, or a metrics.json",
    )
    group.add_argument(
        "--gate-metric",
        action="append",
        default=None,
        metavar="METRIC",
        help="a metric to gate on, repeatable (default ndcg@k, i.e. ndcg@10)",
    )
    group.add_argument(
        "--max-drop",
        type=max_drop_type,
        default=None,
        help=f"fail only when the mean drops by more than this (default {DEFAULT_MAX_DROP})",
    )
    group.add_argument(
        "--alpha",
        type=alpha_type,
        default=None,
        help=f"... and the paired randomization test gives p below this (default {DEFAULT_ALPHA})",
    )
    group.add_argument(
        "--gate-segments",
        action="store_true",
        default=None,
        help="a segment's significant drop fails the gate too (default: it is reported as a warning and only the "
        "drop over all shared queries fails)",
    )
    group.add_argument("--report-md", default=None, metavar="FILE", help="write a Markdown summary of the run")
    group.add_argument("--junit", default=None, metavar="FILE", help="write the run (and its gate) as JUnit XML")


def orphan_gate_options(args: argparse.Namespace) -> list[str]:
    """The gate-only options given without ``--gate`` (as typed: ``--max-drop``...)."""
    if args.gate is not None:
        return []
    return [f"--{name.replace('_', '-')}" for name in GATE_ONLY if getattr(args, name) is not None]


def gate_spec(
    args: argparse.Namespace, labelled: LabelledSet, metric_names: Sequence[str], *, store: RunStore
) -> GateSpec:
    """The spec ``--gate`` and its options name, checked against the set and its metrics (before scoring).

    Args:
        args: the parsed options (``gate``, ``gate_metric``, ``max_drop``, ``alpha``, ``k``, ``data``/``qrels``).
        labelled: the set about to be evaluated.
        metric_names: the metrics the run will have (:func:`eval.engine.report.report_metrics`).
        store: the run store (run ids, ``last-pass``).

    Raises:
        ValueError: the baseline cannot be read, or cannot be gated against this set (the message says why).
        RunStoreError: the run store cannot be read.
    """
    set_key = str(Path(args.data or args.qrels).resolve())
    spec = GateSpec(
        load_baseline(args.gate, store=store, set_key=set_key),
        metrics=tuple(dict.fromkeys(args.gate_metric or [f"ndcg@{args.k}"])),
        max_drop=DEFAULT_MAX_DROP if args.max_drop is None else args.max_drop,
        alpha=DEFAULT_ALPHA if args.alpha is None else args.alpha,
        segments=bool(args.gate_segments),
    )
    spec.check(labelled.qids, metric_names)
    return spec


__all__ = ["GATE_ONLY", "add_gate_options", "alpha_type", "gate_spec", "max_drop_type", "orphan_gate_options"]
