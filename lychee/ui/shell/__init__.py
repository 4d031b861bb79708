"""What every page shares, around its own content: the sign-in and the session's actor (``identity``), the sidebar
(with the offered-models and remote-model pickers), what it chose (:class:`~lychee.ui.shell.settings.Settings`),
session-state binding, model loading and progress bars.

Pages reach these through :mod:`lychee.ui` (``ui.sidebar()``, ``ui.get_scorer()``, ``ui.bind()`` ...).
"""

from __future__ import annotations

__all__: list[str] = []
