"""Who may change what a set says beyond their own grades: editing a set's guidelines, its aggregation rule, and
adjudicating a disagreement (setting a final grade) are editor actions (:mod:`lychee.roles`). Pages ask
:func:`can_edit` before they offer those actions; the library functions (:mod:`eval.history.judging`) refuse a viewer
anyway.
"""

from __future__ import annotations

from lychee.roles import Actor


def can_edit(actor: Actor | None) -> bool:
    """Whether ``actor`` (this session's, :func:`lychee.ui.shell.identity.current_actor`) may edit a set's guidelines,
    aggregation rule and adjudications: an editor; nobody when no one is signed in."""
    return actor is not None and actor.is_editor


__all__ = ["can_edit"]
