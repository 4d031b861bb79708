"""Who is acting, and what they may do: viewers and editors (a leaf module: it imports nothing of the project's).

On a shared server a **viewer** scores, explains, evaluates and reads runs; an **editor** may also save or replace
queries in labelled sets, delete runs, and load models or endpoints outside the server's allowlist. The dashboard
finds the actor of a browser session (``lychee.ui.shell.identity``), the CLIs act as the local user; the functions
that change shared things (:meth:`eval.history.store.RunStore.delete`, :func:`eval.history.labelling.save_query`,
the dashboard's model loading) take the actor and call :func:`require_editor`, the one place the rule lives.

Example:
    >>> require_editor(Actor("ana@example.com", "viewer"), "delete runs")
    Traceback (most recent call last):
    PermissionDeniedError: ana@example.com is a viewer: only editors may delete runs. ...
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Literal

Role = Literal["viewer", "editor"]
ROLES: tuple[Role, ...] = ("viewer", "editor")


class PermissionDeniedError(PermissionError):
    """The actor's role does not allow the action; the message names both and who can change it."""


@dataclass(frozen=True)
class Actor:
    """Someone acting on the server.

    Attributes:
        name: what records show as their author: an e-mail (OIDC sign-in), ``"token"`` (the dashboard token is shared,
            so it names no one), the local user name (CLI, a dashboard on 127.0.0.1) or ``"anonymous"``.
        role: ``"viewer"`` or ``"editor"``.
    """

    name: str
    role: Role

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {list(ROLES)}, got {self.role!r}.")
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"an actor needs a non-empty name, got {self.name!r}.")

    @property
    def is_editor(self) -> bool:
        """Whether the actor may change shared things (sets, runs, free model choices)."""
        return self.role == "editor"


def require_editor(actor: Actor, action: str) -> None:
    """Refuse ``action`` unless ``actor`` is an editor.

    Args:
        actor: who asks.
        action: what they ask, as a verb phrase ("delete runs", "save queries into sets").

    Raises:
        PermissionDeniedError: ``actor`` is a viewer (or not an :class:`Actor` at all).
    """
    if not isinstance(actor, Actor):
        raise PermissionDeniedError(f"only editors may {action}, and no actor was given (got {actor!r}).")
    if not actor.is_editor:
        raise PermissionDeniedError(
            f"{actor.name} is a viewer: only editors may {action}. Ask the server's administrator to add you to "
            "LYCHEE_EDITORS (or to unset LYCHEE_READ_ONLY)."
        )


def local_user() -> str:
    """The name of the user running this process (``"local"`` when the system cannot say)."""
    try:
        return getpass.getuser() or "local"
    except (OSError, KeyError):  # no USER variable and no passwd entry (some containers)
        return "local"


def local_actor() -> Actor:
    """The user of a command line (``python -m eval``, ``python -m eval.runs``): an editor, since whoever runs it can
    change the files directly anyway."""
    return Actor(local_user(), "editor")


__all__ = ["ROLES", "Actor", "PermissionDeniedError", "Role", "local_actor", "local_user", "require_editor"]
