"""The files CI systems show for a run, gated or not: a Markdown summary (``--report-md``, e.g. appended to GitHub's
``$GITHUB_STEP_SUMMARY``) and JUnit XML (``--junit``, read by Jenkins, GitLab, GitHub test reporters).

JUnit layout (valid against the Jenkins xunit plugin's ``junit-10.xsd``, which the tests validate against):

* a gated run: one ``<testsuite name="gate">`` with one ``<testcase>`` per gated metric and scope —
  ``classname="gate.all"`` over every shared query, ``gate.segment.<name>`` per segment; a failing row carries a
  ``<failure>`` whose message holds the numbers (baseline, candidate, delta, p, the rule);
* any run: one ``<testsuite name="metrics">`` with a passing ``<testcase>`` per metric (``metrics.all``) and per
  segment (``metrics.segment.<name>``), the mean and 95% interval in ``<system-out>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eval.gate.verdict import ALL, GateRow, GateVerdict
from eval.sets.atomic import write_atomically


def _cell(text: Any) -> str:
    """A Markdown table cell: pipes escaped, line breaks flattened."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _model(metrics: Mapping[str, Any]) -> tuple[str, str, str]:
    """``(set, model, instruction)`` of a metrics.json object."""
    settings = metrics["settings"]
    system = settings["systems"]["model"]
    return str(settings["data"]), str(system["model"]), str(system["instruction"])


def verdict_rows(verdict: GateVerdict) -> list[list[str]]:
    """The verdict table's rows: scope, metric, n, baseline, candidate, delta, p, wins/ties/losses, verdict."""
    return [
        [
            row.scope,
            row.metric,
            str(row.n),
            f"{row.baseline:.4f}",
            f"{row.candidate:.4f}",
            f"{row.delta:+.4f}",
            f"{row.p_value:.4g}",
            f"{row.wins} / {row.ties} / {row.losses}",
            _row_verdict(row, verdict),
        ]
        for row in verdict.rows
    ]


def _row_verdict(row: GateRow, verdict: GateVerdict) -> str:
    """``FAIL`` (the row fails the gate), ``warn`` (a segment's significant drop that does not decide), or ``pass``."""
    if not row.failed:
        return "pass"
    return "FAIL" if verdict.decides(row) else "warn"


VERDICT_HEADER = ["scope", "metric", "n", "baseline", "candidate", "delta", "p", "wins / ties / losses", "verdict"]


def rule_text(verdict: GateVerdict) -> str:
    """The rule in one sentence, with its thresholds."""
    spec = verdict.spec
    return (
        f"fails when a mean drops by more than {spec.max_drop:g} with paired randomization p < {spec.alpha:g} "
        "(10,000 sign flips, two-sided), "
        + (
            "over all shared queries or within a segment"
            if spec.segments
            else "over all shared queries (a segment's such drop is a warning; --gate-segments makes it fail)"
        )
    )


def headline(verdict: GateVerdict) -> str:
    """``Gate passed ...`` / ``Gate FAILED against run #2: ndcg@10 dropped by 0.0777 (...) on all shared queries,
    and 1 more row failed.``: the failed row over all shared queries with the largest drop, else the worst segment."""
    baseline = verdict.spec.baseline.label
    if verdict.passed:
        warned = verdict.warned_rows
        if warned:
            names = ", ".join(sorted({r.scope for r in warned}))
            return (
                f"Gate passed against {baseline}: no significant drop beyond {verdict.spec.max_drop:g} over all "
                f"shared queries; warning: a significant drop within segment{'s' if len(warned) > 1 else ''} {names}."
            )
        return f"Gate passed against {baseline}: no significant drop beyond {verdict.spec.max_drop:g}."
    failed = verdict.failed_rows
    overall = [r for r in failed if r.scope == ALL]
    worst = min(overall or failed, key=lambda r: r.delta)  # the whole set's drop first, else the worst segment
    where = "all shared queries" if worst.scope == ALL else f"segment {worst.scope}"
    more = len(failed) - 1
    return (
        f"Gate FAILED against {baseline}: {worst.metric} dropped by {-worst.delta:.4f} ({worst.baseline:.4f} -> "
        f"{worst.candidate:.4f}, p = {worst.p_value:.4g}) on {where}"
        + (f", and {more} more row{'s' if more > 1 else ''} failed." if more else ".")
    )


def _systems_table(metrics: Mapping[str, Any]) -> list[str]:
    systems = metrics["systems"]
    names = list(systems["model"]["means"])
    rows = [
        [key] + [f"{s['means'][m]:.4f} [{s['ci95'][m][0]:.3f}, {s['ci95'][m][1]:.3f}]" for m in names]
        for key, s in systems.items()
    ]
    return _md_table(["system", *names], rows)


def _segments_table(metrics: Mapping[str, Any]) -> list[str]:
    segments = metrics.get("segments") or {}
    if not segments:
        return []
    names = [m for m in metrics["systems"]["model"]["means"]]
    rows = [[name, str(seg["n"])] + [f"{seg[m]:.4f}" for m in names] for name, seg in segments.items()]
    return ["", "Per segment (model):", "", *_md_table(["segment", "n", *names], rows)]


def markdown_report(metrics: Mapping[str, Any], verdict: GateVerdict | None = None) -> str:
    """The Markdown summary of a run (``--report-md``): the verdict and its table when gated, then the run's metrics.

    Args:
        metrics: the run's metrics.json object.
        verdict: the gate's verdict, or ``None`` for an ungated run.
    """
    data, model, instruction = _model(metrics)
    lines = []
    if verdict is not None:
        mark = "✅" if verdict.passed else "❌"
        lines += [f"## {mark} {headline(verdict)}", ""]
        base = verdict.spec.baseline
        lines += [
            f"Set `{data}` · model `{model}` · baseline {base.label} (model `{base.model}`) · "
            f"{verdict.shared} shared queries. Rule: {rule_text(verdict)}.",
            "",
            *_md_table(VERDICT_HEADER, verdict_rows(verdict)),
        ]
        lines += [""] + [f"> {note}" for note in verdict.notes] if verdict.notes else []
        lines += ["", "### This run", ""]
    else:
        lines += [f"## Evaluation of `{model}` on `{data}`", ""]
    lines += [f"{metrics['n_queries']} queries, {metrics['n_pairs']} pairs · instruction: {_cell(instruction)}", ""]
    lines += ["Means with 95% bootstrap intervals:", "", *_systems_table(metrics), *_segments_table(metrics)]
    return "\n".join(lines) + "\n"


def _scope_class(prefix: str, scope: str) -> str:
    return f"{prefix}.all" if scope == ALL else f"{prefix}.segment.{scope}"


def _gate_case(row: GateRow, verdict: GateVerdict) -> ET.Element:
    case = ET.Element("testcase", {"classname": _scope_class("gate", row.scope), "name": row.metric})
    numbers = (
        f"{row.metric} on {'all shared queries' if row.scope == ALL else 'segment ' + row.scope} (n = {row.n}): "
        f"baseline {row.baseline:.4f}, candidate {row.candidate:.4f}, delta {row.delta:+.4f}, p = {row.p_value:.4g}, "
        f"wins / ties / losses {row.wins} / {row.ties} / {row.losses}"
    )
    if row.failed and not verdict.decides(row):
        numbers += ". A significant drop within this segment: a warning, not a failure (--gate-segments gates segments)"
    elif row.failed:
        failure = ET.SubElement(
            case,
            "failure",
            {"type": "GateFailure", "message": f"{numbers}. The gate {rule_text(verdict)}."},
        )
        failure.text = f"{numbers}\nbaseline: {verdict.spec.baseline.label}\nrule: {rule_text(verdict)}"
    ET.SubElement(case, "system-out").text = numbers
    return case


def _suite(name: str, cases: list[ET.Element], properties: Mapping[str, str]) -> ET.Element:
    failures = sum(1 for c in cases if c.find("failure") is not None)
    suite = ET.Element(
        "testsuite", {"name": name, "tests": str(len(cases)), "failures": str(failures), "errors": "0", "skipped": "0"}
    )
    props = ET.SubElement(suite, "properties")
    for key, value in properties.items():
        ET.SubElement(props, "property", {"name": key, "value": value})
    suite.extend(cases)
    return suite


def _metric_cases(metrics: Mapping[str, Any]) -> list[ET.Element]:
    model = metrics["systems"]["model"]
    scopes = [(ALL, metrics["n_queries"], model["means"], model["ci95"])]
    scopes += [(name, seg["n"], seg, seg["ci95"]) for name, seg in (metrics.get("segments") or {}).items()]
    cases = []
    for scope, n, means, ci95 in scopes:
        for metric in model["means"]:
            case = ET.Element("testcase", {"classname": _scope_class("metrics", scope), "name": metric})
            low, high = ci95[metric]
            ET.SubElement(case, "system-out").text = (
                f"{metric} = {means[metric]:.4f} [95% CI {low:.4f}, {high:.4f}] over {n} queries"
            )
            cases.append(case)
    return cases


def junit_report(metrics: Mapping[str, Any], verdict: GateVerdict | None = None) -> bytes:
    """The JUnit XML of a run (``--junit``), UTF-8 with an XML declaration (layout in the module docstring)."""
    data, model, instruction = _model(metrics)
    properties = {
        "set": data,
        "model": model,
        "instruction": instruction,
        "set_sha256": str(metrics["settings"]["data_sha256"]),
    }
    suites = []
    if verdict is not None:
        gate_properties = {
            **properties,
            "baseline": verdict.spec.baseline.label,
            "baseline_model": verdict.spec.baseline.model,
            "max_drop": f"{verdict.spec.max_drop:g}",
            "alpha": f"{verdict.spec.alpha:g}",
            "verdict": verdict.verdict,
        }
        suites.append(_suite("gate", [_gate_case(r, verdict) for r in verdict.rows], gate_properties))
    suites.append(_suite("metrics", _metric_cases(metrics), properties))
    root = ET.Element(
        "testsuites",
        {
            "name": "lychee-eval",
            "tests": str(sum(int(s.get("tests")) for s in suites)),
            "failures": str(sum(int(s.get("failures")) for s in suites)),
            "errors": "0",
        },
    )
    root.extend(suites)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write_reports(
    metrics: Mapping[str, Any],
    verdict: GateVerdict | None,
    *,
    markdown: str | Path | None = None,
    junit: str | Path | None = None,
) -> list[Path]:
    """Write the Markdown summary and/or the JUnit XML (atomically; folders created); returns the paths written.

    Raises:
        OSError: a path cannot be written.
    """
    written = []
    for path, render in ((markdown, markdown_report), (junit, junit_report)):
        if path is None:
            continue
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, render(metrics, verdict))
        written.append(target)
    return written


__all__ = [
    "VERDICT_HEADER",
    "headline",
    "junit_report",
    "markdown_report",
    "rule_text",
    "verdict_rows",
    "write_reports",
]
