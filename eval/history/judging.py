"""What an editor changes in a saved set besides grades: an adjudicated final grade, the aggregation rule and the
judging guidelines. Every change goes through :func:`eval.history.setfile.edit_set` (locked, checked, atomic), and
every label is re-derived so the file stays consistent with its rule.

Example:
    >>> adjudicate(set_path("shoes"), qid="boots", docid="d2", grade=1, editor="carol", actor=Actor("carol@example.com", "editor"))
    >>> set_guidelines(set_path("shoes"), "**3**: the exact product; **0**: another category.")
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from eval.history.labelling import GRADES, now
from eval.history.setfile import SetContent, derive_label, edit_set, ensure_grades
from eval.sets.grades import check_rater, check_rule
from lychee.roles import Actor, require_editor

#: The longest guidelines accepted (a page of markdown is plenty; a pasted file is probably a mistake).
MAX_GUIDELINES_CHARS = 20_000


@dataclass(frozen=True)
class Adjudication:
    """The final grade an editor set for one candidate (``grade`` None: the adjudication was withdrawn)."""

    qid: str
    docid: str
    grade: int | None
    editor: str
    at: str


def adjudicate(
    set_file: str | os.PathLike,
    *,
    qid: str,
    docid: str,
    grade: int | None,
    editor: str,
    actor: Actor,
    at: str | None = None,
) -> Adjudication:
    """Record an editor's final grade for one candidate (its label from now on), or withdraw it (``grade=None``:
    the label is the aggregate of the grades again). ``editor`` is the name recorded with the grade (the rater's);
    ``actor`` who does it, who must be an editor (:func:`lychee.roles.require_editor`).

    Raises:
        PermissionDeniedError: ``actor`` is not an editor (nothing is written).
        ValueError: a grade outside 0–3, a bad editor name, an unknown query or document, or a candidate without
            grades (there is nothing to adjudicate); nothing is written then.
    """
    require_editor(actor, "adjudicate grades")
    if grade is not None and (isinstance(grade, bool) or grade not in GRADES):
        raise ValueError(f"the final grade must be 0, 1, 2 or 3; got {grade!r}.")
    editor = check_rater(editor)
    when = at or now()

    def change(content: SetContent) -> Adjudication:
        obj = content.find(qid)
        if obj is None:
            raise ValueError(f"the set has no query {qid!r}; reload the set and pick the query again.")
        candidate = next((c for c in obj["candidates"] if str(c["docid"]) == docid), None)
        if candidate is None:
            raise ValueError(f"query {qid!r} of the set has no document {docid!r}; reload the set and try again.")
        if not ensure_grades(candidate):
            candidate.pop("grades", None)
            raise ValueError(f"document {docid!r} of query {qid!r} has no grades yet; grade it before adjudicating.")
        if grade is None:
            candidate.pop("adjudicated", None)
        else:
            candidate["adjudicated"] = {"grade": grade, "by": editor, "at": when}
        derive_label(candidate, content.rule)
        return Adjudication(qid, docid, grade, editor, when)

    return edit_set(set_file, change)[0]


def set_aggregate(set_file: str | os.PathLike, rule: str, *, actor: Actor) -> int:
    """Make ``rule`` the set's aggregation rule and re-derive every graded label; returns how many labels changed.

    Raises:
        PermissionDeniedError: ``actor`` is not an editor (nothing is written).
        ValueError: an unknown rule, or a set that does not exist or load.
    """
    require_editor(actor, "change a set's aggregation rule")
    check_rule(rule)

    def change(content: SetContent) -> int:
        content.settings()["aggregate"] = rule
        changed = 0
        for _, obj in content.entries:
            for candidate in obj["candidates"]:
                before = candidate.get("label")
                derive_label(candidate, rule)
                changed += candidate.get("label") != before
        return changed

    return edit_set(set_file, change)[0]


def set_guidelines(set_file: str | os.PathLike, text: str, *, actor: Actor) -> None:
    """Store ``text`` (markdown) as the set's judging guidelines; blank removes them.

    Raises:
        PermissionDeniedError: ``actor`` is not an editor (nothing is written).
        ValueError: guidelines longer than :data:`MAX_GUIDELINES_CHARS`, or a set that does not exist or load.
    """
    require_editor(actor, "edit a set's guidelines")
    if not isinstance(text, str):
        raise ValueError(f"guidelines must be markdown text, got {type(text).__name__}.")
    if len(text) > MAX_GUIDELINES_CHARS:
        raise ValueError(
            f"guidelines of {len(text):,} characters are too long; the limit is {MAX_GUIDELINES_CHARS:,}. Keep them "
            "to what a rater reads before grading."
        )

    def change(content: SetContent) -> None:
        settings = content.settings()
        if text.strip():
            settings["guidelines"] = text
        else:
            settings.pop("guidelines", None)
        if not settings and content.header is not None:
            content.header = None

    edit_set(set_file, change)


__all__ = ["MAX_GUIDELINES_CHARS", "Adjudication", "adjudicate", "set_aggregate", "set_guidelines"]
