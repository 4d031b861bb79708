"""The dashboard layer's own layout: views draw, the rest of ``lychee/ui`` is pure.

Every page package holds pure modules (no streamlit, so tests call them directly) beside its views (``view.py``,
``*_view.py``). Besides the views, only the shell (sidebar and its pickers, sign-in, language, state, model loading, progress, notices),
the upload previews, the server and the package's re-exports draw. A pure module imports neither streamlit nor a module that draws.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.servers import ROOT

UI = ROOT / "lychee" / "ui"
#: The modules besides the views that draw (each imports streamlit or the shell, so this list cannot go stale).
DRAWING = {
    "lychee.ui",
    "lychee.ui.previews",
    "lychee.ui.server",
    "lychee.ui.shell.identity",
    "lychee.ui.shell.language",
    "lychee.ui.shell.models",
    "lychee.ui.shell.notices",
    "lychee.ui.shell.offered_picker",
    "lychee.ui.shell.progress",
    "lychee.ui.shell.remote_picker",
    "lychee.ui.shell.sidebar",
    "lychee.ui.shell.state",
}


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in sorted(UI.rglob("*.py"))}


def _draws(name: str) -> bool:
    return name in DRAWING or name.rsplit(".", 1)[-1] == "view" or name.endswith("_view")


def _imports(name: str) -> set[str]:
    """Everything ``name`` imports (top level and in functions), as dotted names, relative imports resolved."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not _draws(n)))
def test_pure_modules_import_no_streamlit_and_nothing_that_draws(name):
    imported = _imports(name)
    assert not any(i == "streamlit" or i.startswith("streamlit.") for i in imported), (
        f"{name} imports streamlit; move the drawing into a view (view.py / *_view.py) and keep this module pure."
    )
    drawing = sorted(i for i in imported if i in MODULES and _draws(i))
    assert drawing == [], f"{name} imports modules that draw: {drawing}; a pure module imports only pure ones."


@pytest.mark.parametrize("name", sorted(DRAWING))
def test_the_drawing_list_names_modules_that_draw(name):
    assert name in MODULES, f"{name} is no module of lychee/ui any more; remove it from DRAWING."
    imported = _imports(name)
    draws = "streamlit" in {i.split(".")[0] for i in imported} or any(i in DRAWING for i in imported if i != name)
    assert draws, f"{name} imports neither streamlit nor the shell; remove it from DRAWING so the pure rule covers it."
