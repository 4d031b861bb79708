"""Several raters per candidate: the aggregation rules that turn their grades into one ``label``, and the checks of
the JSONL fields that carry them (a leaf module: it imports nothing of ``eval``).

A candidate of a JSONL set may carry, beside ``"label"``::

    "grades": {"alice": 2, "bob": 3},                        # rater -> grade (a non-negative integer, 0-3 on the page)
    "graded_at": {"alice": "2025-05-01T09:30:00+00:00", ...}, # rater -> when (ISO 8601), optional
    "adjudicated": {"grade": 2, "by": "carol", "at": "..."}  # an editor's final grade, optional

Its ``label`` is then the adjudicated grade when there is one, else the aggregate of its grades by the set's rule
(:data:`AGGREGATES`); a ``label`` written in the file must equal it (or be left out). A candidate with neither a
label nor grades is *unjudged*: it counts as not relevant in the metrics and as unjudged in ``judged@k``. A file with
only ``label`` (every set before several raters) is one implicit rater, :data:`IMPLICIT_RATER`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

#: The aggregation rules, the default first: ``mean`` rounded half up, ``median`` (of an even count: the mean of the
#: two middle grades, rounded half up), ``majority`` (the most common grade; a tie goes to the lowest tied grade),
#: ``max`` (optimistic), ``min`` (pessimistic).
AGGREGATES = ("mean", "median", "majority", "max", "min")
DEFAULT_AGGREGATE = "mean"
#: The rater of a set's plain ``label`` values (a file written before several raters, or by hand).
IMPLICIT_RATER = "(original)"
#: The most characters a rater's name may have (a sign-in e-mail address fits).
MAX_RATER_CHARS = 120


def round_half_up(value: Fraction) -> int:
    """``value`` rounded to the nearest integer, halves up (2.5 -> 3; exact, no binary floating point)."""
    return math.floor(value + Fraction(1, 2))


def aggregate(grades: Sequence[int], rule: str = DEFAULT_AGGREGATE) -> int:
    """One label from several raters' grades by ``rule`` (:data:`AGGREGATES`).

    Raises:
        ValueError: no grades, or an unknown rule.

    Example:
        >>> aggregate([2, 3]), aggregate([2, 3], "median"), aggregate([1, 3], "majority"), aggregate([1, 3], "max")
        (3, 3, 1, 3)
    """
    check_rule(rule)
    if not grades:
        raise ValueError("aggregate: no grades to aggregate; a candidate without grades is unjudged.")
    values = sorted(int(g) for g in grades)
    if rule == "mean":
        return round_half_up(Fraction(sum(values), len(values)))
    if rule == "median":
        middle = len(values) // 2
        if len(values) % 2:
            return values[middle]
        return round_half_up(Fraction(values[middle - 1] + values[middle], 2))
    if rule == "majority":
        counts = Counter(values)
        top = max(counts.values())
        return min(g for g, n in counts.items() if n == top)
    return values[-1] if rule == "max" else values[0]


def check_rule(rule: Any, what: str = "aggregation rule") -> str:
    """``rule`` when it is one of :data:`AGGREGATES`.

    Raises:
        ValueError: naming the value and the rules.
    """
    if rule not in AGGREGATES:
        raise ValueError(f"{what} must be one of {', '.join(AGGREGATES)}; got {rule!r}.")
    return rule


def check_rater(name: Any) -> str:
    """A rater's name as typed on a page: trimmed, non-empty, at most :data:`MAX_RATER_CHARS` characters, not
    starting with ``(`` (kept for :data:`IMPLICIT_RATER`).

    Raises:
        ValueError: naming the value and what a name may be.
    """
    text = name.strip() if isinstance(name, str) else ""
    if not text or len(text) > MAX_RATER_CHARS or text.startswith("(") or "|" in text:
        raise ValueError(
            f"rater name {name!r} cannot be used: expected 1-{MAX_RATER_CHARS} characters, not starting with '(' and "
            "without '|', e.g. 'alice' or an e-mail address."
        )
    return text


@dataclass(frozen=True)
class Judgment:
    """What a candidate's fields say once checked: its label, whether it is judged, the raters' grades and the
    adjudicated grade (with its editor)."""

    label: int
    judged: bool
    grades: tuple[tuple[str, int], ...] = ()
    adjudicated: int | None = None
    adjudicated_by: str | None = None


def _grade(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _check_grades(grades: Any, where: str) -> tuple[tuple[tuple[str, int], ...], list[str]]:
    if not isinstance(grades, dict):
        return (), [f'{where}: grades must be an object {{"<rater>": <grade>, ...}}, got {grades!r}.']
    problems, out = [], []
    for rater, value in grades.items():
        grade = _grade(value)
        if not rater.strip():
            problems.append(f"{where}: a rater's name in grades is empty; name every rater.")
        elif grade is None:
            problems.append(
                f"{where}: grade of rater {rater!r} must be a non-negative integer (0-3 on the page), got {value!r}."
            )
        else:
            out.append((rater, grade))
    return tuple(out), problems


def _check_times(graded_at: Any, raters: set[str], where: str) -> list[str]:
    if graded_at is None:
        return []
    if not isinstance(graded_at, dict) or not all(isinstance(v, str) for v in graded_at.values()):
        return [f'{where}: graded_at must be an object {{"<rater>": "<ISO 8601 time>"}}, got {graded_at!r}.']
    stray = sorted(set(graded_at) - raters)
    if stray:
        return [f"{where}: graded_at names rater(s) {stray} that have no grade; expected only raters of grades."]
    return []


def _check_adjudicated(value: Any, where: str) -> tuple[int | None, str | None, list[str]]:
    if value is None:
        return None, None, []
    ok = (
        isinstance(value, dict)
        and set(value) <= {"grade", "by", "at"}
        and _grade(value.get("grade")) is not None
        and isinstance(value.get("by"), str)
        and value["by"].strip()
    )
    if not ok:
        return None, None, [
            f'{where}: adjudicated must be {{"grade": <non-negative integer>, "by": "<editor>", "at": "<time>"}}, '
            f"got {value!r}."
        ]
    return value["grade"], value["by"], []


def check_judgment(
    label: Any, grades: Any, graded_at: Any, adjudicated: Any, *, rule: str, where: str, missing: object
) -> tuple[Judgment | None, list[str]]:
    """Check a candidate's label, grades, times and adjudication; returns ``(judgment, [])`` or ``(None, problems)``.

    ``label`` is ``missing`` (or ``None``) when the file has none; ``label`` errors themselves (not an integer...) are
    the caller's, which is why a plain label comes back unchecked as the judgment's label.
    """
    no_label = label is missing or label is None
    if grades is missing or grades is None or grades == {}:
        if adjudicated is not None:
            return None, [f"{where}: adjudicated without grades; an editor settles the grades of several raters."]
        if graded_at is not None:
            return None, [f"{where}: graded_at without grades; expected it only beside grades."]
        return (Judgment(0, False) if no_label else Judgment(label, True)), []
    pairs, problems = _check_grades(grades, where)
    problems += _check_times(graded_at, {r for r, _ in pairs}, where)
    final, editor, more = _check_adjudicated(adjudicated, where)
    problems += more
    if problems:
        return None, problems
    derived = final if final is not None else aggregate([g for _, g in pairs], rule)
    if not no_label and label != derived:
        how = "its adjudicated grade" if final is not None else f"the set's rule {rule!r} applied to its grades"
        return None, [
            f"{where}: label {label!r} differs from {how} ({derived}; grades {dict(pairs)}). The label of a graded "
            "candidate is derived from its grades: fix the label or leave it out."
        ]
    return Judgment(derived, True, pairs, final, editor), []


def check_judging(value: Any, where: str) -> tuple[tuple[tuple[str, dict], ...], str | None]:
    """A query's ``judging`` record (rater -> ``{"at", "scores_shown", "seed"}``), checked: ``(pairs, problem)``."""
    if value is None:
        return (), None
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        expected = '{"<rater>": {"at": ..., "scores_shown": ..., "seed": ...}}'
        return (), f"{where}: judging must be an object {expected}, got {value!r}."
    return tuple(value.items()), None


def unjudged_note(name: str, candidates: Sequence[Any]) -> tuple[str, ...]:
    """A note when some of ``candidates`` (:class:`~eval.sets.labelled.Candidate`) have neither a label nor grades."""
    n = sum(1 for c in candidates if not c.judged)
    if not n:
        return ()
    return (
        f"{name}: {n} of {len(candidates)} candidates have no label or grade yet; they count as not relevant and as "
        "unjudged (judged@k says how much of each top k was graded).",
    )


def relabel(judgment: Judgment, rule: str) -> int:
    """The label of an already checked judgment under another rule (an evaluation's ``--aggregate``)."""
    if judgment.adjudicated is not None or not judgment.grades:
        return judgment.label
    return aggregate([g for _, g in judgment.grades], rule)


def check_header(obj: Mapping[str, Any]) -> tuple[str, str | None, list[str]]:
    """The set header's ``{"set": {"aggregate": ..., "guidelines": ...}}``: ``(rule, guidelines, problems)``."""
    body = obj.get("set")
    if not isinstance(body, dict):
        expected = '{"set": {"aggregate": ..., "guidelines": ...}}'
        return DEFAULT_AGGREGATE, None, [f"the set header must be {expected}, got {obj!r}."]
    problems = []
    unknown = sorted(set(body) - {"aggregate", "guidelines"})
    if unknown:
        problems.append(f"the set header has unknown field(s) {unknown}; expected 'aggregate' and/or 'guidelines'.")
    rule = body.get("aggregate", DEFAULT_AGGREGATE)
    if rule not in AGGREGATES:
        problems.append(f"the set header's aggregate must be one of {', '.join(AGGREGATES)}; got {rule!r}.")
        rule = DEFAULT_AGGREGATE
    guidelines = body.get("guidelines")
    if guidelines is not None and not isinstance(guidelines, str):
        problems.append(f"the set header's guidelines must be a markdown string, got {type(guidelines).__name__}.")
        guidelines = None
    return rule, guidelines, problems


__all__ = [
    "AGGREGATES",
    "DEFAULT_AGGREGATE",
    "IMPLICIT_RATER",
    "MAX_RATER_CHARS",
    "Judgment",
    "aggregate",
    "check_header",
    "check_judging",
    "check_judgment",
    "check_rater",
    "check_rule",
    "relabel",
    "round_half_up",
    "unjudged_note",
]
