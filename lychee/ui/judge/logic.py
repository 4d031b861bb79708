"""Blind judging without Streamlit: what a rater sees (titles in a seeded random order, never a score), who the rater
is, the guidelines made safe to render, and the tables of agreement, disagreements and the revealed scores.

:mod:`lychee.ui.judge.grader_view` draws the grading rows; :mod:`lychee.ui.judge.view` and
:mod:`lychee.ui.batch.judge_view` put them on the Judge page and in Batch rerank's Judge mode.
"""

from __future__ import annotations

import hashlib
import random
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from eval.judgments.ratings import Disagreement, Progress
from eval.measures.agreement import Agreement
from eval.sets.labelled import LabelledQuery
from lychee.ui.i18n import N_, _, grade_meaning


@dataclass(frozen=True)
class Title:
    """A title as the rater sees it while grading: its id, its text and its position in the list — no score, band
    or rank (those stay off the page until the rater finishes or asks to see them)."""

    docid: str
    text: str | None
    position: int
    image_name: str | None = None


def new_seed() -> int:
    """A fresh seed for a rater's shuffled order (recorded with the grades, so the order can be replayed)."""
    return secrets.randbelow(2**31 - 1) + 1


def widget_suffix(*parts: object) -> str:
    """A short, stable widget-key suffix for a set, query... (widgets of one set never show another set's state)."""
    return hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()[:12]


def shuffled(n: int, seed: int) -> list[int]:
    """Positions ``0..n-1`` in the random order ``seed`` gives (the same seed, the same order).

    Example:
        >>> shuffled(5, 7) == shuffled(5, 7) and sorted(shuffled(5, 7)) == [0, 1, 2, 3, 4]
        True
    """
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return order


def titles_of_query(query: LabelledQuery) -> list[Title]:
    """The candidates of a saved set's query as titles (the set's document ids)."""
    return [Title(c.docid, c.text, i, c.image_name) for i, c in enumerate(query.candidates)]


def titles_of_list(titles: Sequence[str]) -> list[Title]:
    """Pasted titles as titles, ``d<position>`` zero-padded (the ids Batch rerank saves under)."""
    width = len(str(len(titles)))
    return [Title(f"d{i + 1:0{width}d}", t, i) for i, t in enumerate(titles)]


#: How several raters' grades become a label (eval.sets.grades.AGGREGATES), as the pages name the rules.
RULE_NAMES = {
    "mean": N_("mean, rounded half up (default)"),
    "median": N_("median"),
    "majority": N_("majority (a tie goes to the lowest grade)"),
    "max": N_("max (optimistic)"),
    "min": N_("min (pessimistic)"),
}


def rule_name(rule: str) -> str:
    """An aggregation rule (``"mean"``, ``"majority"`` ...) in the session's language."""
    return _(RULE_NAMES[rule]) if rule in RULE_NAMES else rule


def grade_label(grade: int | None) -> str:
    """How a grade reads in the select: ``"2 · relevant"``."""
    return "—" if grade is None else f"{grade} · {grade_meaning(grade)}"


def rater_from_user(user: Mapping[str, Any]) -> str | None:
    """The signed-in user's name for the grades (e-mail, else name, else subject), or ``None`` when nobody is signed
    in (``user`` is ``st.user`` as a dict, with ``is_logged_in``)."""
    if not user.get("is_logged_in"):
        return None
    for key in ("email", "name", "sub"):
        value = user.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def escape_markdown(text: str) -> str:
    """``text`` with markdown's special characters backslash-escaped, so a title shows as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


_HTML_TAG = re.compile(r"<[^>]*>")
_SCRIPT_LINK = re.compile(r"\]\(\s*(?:javascript|data|vbscript):(?:[^()]|\([^()]*\))*\)", re.IGNORECASE)


def safe_markdown(text: str) -> str:
    """Guidelines as markdown that cannot inject anything: HTML tags removed, ``javascript:``/``data:`` link targets
    dropped (the page also renders markdown without HTML)."""
    return _SCRIPT_LINK.sub("](#)", _HTML_TAG.sub("", text))


def progress_label(item: Progress, text: str | None) -> str:
    """A query in the Judge page's picker: its id, text, how much this rater graded and who else did."""
    mark = "✓" if item.done else f"{item.graded}/{item.total}"
    others = _(" · raters: {join}").format(join=", ".join(item.raters)) if item.raters else ""
    return f"{mark} · {item.qid} · {text or _('(no text)')}{others}"


def revealed_table(
    titles: Sequence[Title],
    order: Sequence[int],
    grades: Sequence[int | None],
    scores: Sequence[float],
    bands: Sequence[str],
) -> pd.DataFrame:
    """After the reveal: in the order the rater graded, each title with their grade, the model's rank, P(yes) and
    band (``scores``/``bands`` by input position)."""
    rank = {p: r for r, p in enumerate(sorted(range(len(scores)), key=lambda p: -scores[p]), start=1)}
    return pd.DataFrame(
        {
            "title": [titles[p].text or titles[p].docid for p in order],
            "your_grade": pd.array([grades[p] for p in order], dtype="Int64"),
            "model_rank": [rank[p] for p in order],
            "score": [float(scores[p]) for p in order],
            "band": [bands[p] for p in order],
        }
    )


def agreement_rows(result: Agreement) -> pd.DataFrame:
    """The set's agreement as a two-column table (measure, value); undefined values read "n/a"."""

    def number(value: float | None, form: str = ".3f") -> str:
        return "n/a" if value is None else format(value, form)

    rows = [
        (_("Raters"), ", ".join(result.raters) or _("(none)")),
        (_("Titles graded by 2+ raters"), str(result.items)),
        (_("Krippendorff's α (ordinal)"), number(result.krippendorff_alpha_ordinal)),
        (
            _("Fleiss' κ ({fleiss_items} titles graded by every rater)").format(fleiss_items=result.fleiss_items),
            number(result.fleiss_kappa),
        ),
        (_("Exact agreement (every grade the same)"), number(result.exact_agreement, ".1%")),
    ]
    for pair, kappa in result.cohen_kappa_quadratic.items():
        rows.append(
            (
                _("Cohen's κ, quadratic: {pair} ({pair_items} titles)").format(
                    pair=pair, pair_items=result.pair_items[pair]
                ),
                number(kappa),
            )
        )
    return pd.DataFrame(rows, columns=["measure", "value"])


def query_agreement_table(items: Sequence[tuple[LabelledQuery, Agreement]]) -> pd.DataFrame:
    """One row per query: its raters, titles graded twice, α and exact agreement (None where undefined)."""
    return pd.DataFrame(
        {
            "qid": [q.qid for q, _ in items],
            "query": [q.text or "" for q, _ in items],
            "raters": [len(a.raters) for _, a in items],
            "titles_graded_twice": [a.items for _, a in items],
            "alpha": [a.krippendorff_alpha_ordinal for _, a in items],
            "exact": [a.exact_agreement for _, a in items],
        }
    )


def disagreement_table(items: Sequence[Disagreement]) -> pd.DataFrame:
    """The disagreement queue as a table: query, title, every grade, the spread, the label and the final grade."""
    return pd.DataFrame(
        {
            "qid": [d.qid for d in items],
            "title": [d.text or d.docid for d in items],
            "grades": [", ".join(f"{r}: {g}" for r, g in d.grades.items()) for d in items],
            "span": [d.span for d in items],
            "label": [d.label for d in items],
            "final": [
                _("{adjudicated} by {adjudicated_by}").format(
                    adjudicated=d.adjudicated, adjudicated_by=d.adjudicated_by
                )
                if d.adjudicated is not None
                else ""
                for d in items
            ],
        }
    )


__all__ = [
    "RULE_NAMES",
    "Title",
    "agreement_rows",
    "disagreement_table",
    "escape_markdown",
    "grade_label",
    "new_seed",
    "progress_label",
    "query_agreement_table",
    "rater_from_user",
    "revealed_table",
    "rule_name",
    "safe_markdown",
    "shuffled",
    "titles_of_list",
    "titles_of_query",
    "widget_suffix",
]
