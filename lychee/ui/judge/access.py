"""Who may change what a set says beyond their own grades: the one hook point for roles.

Editing a set's guidelines, its aggregation rule, and adjudicating a disagreement (setting a final grade) are editor
actions. Sign-in and roles are being added separately; they plug in here, in :func:`can_edit`, and every page asks
this function before it offers those actions. Until then every rater is an editor.
"""

from __future__ import annotations

from pathlib import Path


def can_edit(rater: str | None, set_path: Path | None = None) -> bool:
    """Whether ``rater`` may edit the set at ``set_path``: its guidelines, aggregation rule and adjudications.

    Today: always ``True`` (no roles yet). The roles work replaces this body (e.g. the signed-in user's role for the
    set); callers already pass the rater and the set.
    """
    return True


__all__ = ["can_edit"]
