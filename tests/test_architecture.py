"""The project's structure, as the architecture issues ask: every import arrow points down (no cycles, lazy and
``TYPE_CHECKING`` imports included), no module over 600 lines, no function over 80 lines, streamlit only in
``lychee/ui`` and the pages; in ``eval/``, at most 8 modules at the top and packages that import only the packages
below them (the map is ``eval/__init__.py``'s docstring)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lychee", "eval")
MAX_LINES = 600
MAX_FUNCTION_LINES = 80
MAX_EVAL_TOP_LEVEL = 8
# What each eval package may import of eval besides itself (eval/__init__.py draws the map). The top-level modules
# (the CLIs and their tables) sit above every package and may import anything; no package imports them.
EVAL_LAYERS: dict[str, frozenset[str]] = {
    "eval.measures": frozenset(),
    "eval.sets": frozenset({"eval.measures"}),
    "eval.engine": frozenset({"eval.sets", "eval.measures"}),
    "eval.history": frozenset({"eval.sets", "eval.measures"}),
    "eval.judgments": frozenset({"eval.history", "eval.sets", "eval.measures"}),
    "eval.gate": frozenset({"eval.history", "eval.sets", "eval.measures"}),
    "eval.parity": frozenset({"eval.sets", "eval.measures"}),
    "eval.bench": frozenset(),
    "eval.explain": frozenset({"eval.sets", "eval.measures", "eval.engine"}),
}


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "data" in path.relative_to(ROOT).parts[1:2]:
                continue  # eval/data holds sample sets and the script that writes them
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """Project modules imported anywhere in ``path`` (top level, in functions, under TYPE_CHECKING)."""
    return _imports_in(path.read_text(encoding="utf-8"), name, modules, is_package=path.name == "__init__.py")


def _imports_in(source: str, name: str, modules: Mapping[str, object], *, is_package: bool = False) -> set[str]:
    """Project modules (keys of ``modules``) that the source of module ``name`` imports anywhere."""
    tree = ast.parse(source)
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            # the deepest project module the import names (``from lychee.ui import models`` -> lychee.ui.models)
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, name, modules) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep) :] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycles():
    # a module's own package __init__ runs before it and is not an arrow back
    graph = {name: {d for d in deps if not name.startswith(d + ".")} for name, deps in _graph().items()}
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("name", sorted(_modules()))
def test_module_size(name):
    lines = len(_modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by responsibility (limit {MAX_LINES})."


def test_streamlit_only_in_the_ui_layer():
    offenders = [
        name
        for name, path in _modules().items()
        if not name.startswith("lychee.ui")
        and "streamlit"
        in {
            (n.names[0].name if isinstance(n, ast.Import) else n.module or "").split(".")[0]
            for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, (ast.Import, ast.ImportFrom))
        }
    ]
    assert offenders == [], f"modules outside lychee/ui import streamlit: {offenders}"


# --- eval/: few top-level modules, packages in layers ---------------------------------------------------------------
def _too_many_top_level(folder: Path, limit: int) -> str | None:
    """A message when ``folder`` holds more than ``limit`` modules directly (``__init__`` and ``__main__`` count)."""
    names = sorted(p.name for p in folder.glob("*.py"))
    if len(names) <= limit:
        return None
    return f"{folder.name}/ holds {len(names)} modules directly ({names}); at most {limit}. Move them into packages."


def test_eval_has_at_most_8_top_level_modules():
    problem = _too_many_top_level(ROOT / "eval", MAX_EVAL_TOP_LEVEL)
    assert problem is None, problem


def test_the_top_level_count_can_fail(tmp_path):
    for i in range(MAX_EVAL_TOP_LEVEL + 1):
        (tmp_path / f"m{i}.py").write_text("")
    assert "holds 9 modules directly" in _too_many_top_level(tmp_path, MAX_EVAL_TOP_LEVEL)
    (tmp_path / "m0.py").unlink()
    assert _too_many_top_level(tmp_path, MAX_EVAL_TOP_LEVEL) is None


def _eval_packages() -> set[str]:
    return {f"eval.{p.name}" for p in (ROOT / "eval").iterdir() if (p / "__init__.py").is_file()}


def _package_of(name: str, packages: set[str]) -> str | None:
    """The eval package module ``name`` is in (``eval.sets.loader`` -> ``eval.sets``); None for a top-level module."""
    return next((p for p in packages if name == p or name.startswith(p + ".")), None)


def _layer_violations(graph: Mapping[str, set[str]], packages: set[str]) -> list[str]:
    """Imports of eval modules that break :data:`EVAL_LAYERS`, or that reach ``lychee.ui``."""
    problems = []
    for name, deps in sorted(graph.items()):
        if name != "eval" and not name.startswith("eval."):
            continue
        package = _package_of(name, packages)
        for dep in sorted(deps):
            if dep == "lychee.ui" or dep.startswith("lychee.ui."):
                problems.append(f"{name} imports {dep}: eval never imports the dashboard (lychee.ui).")
            if package is None or not (dep == "eval" or dep.startswith("eval.")):
                continue  # a top-level CLI may import anything of eval
            target = _package_of(dep, packages)
            if target == package:
                continue
            allowed = EVAL_LAYERS.get(package, frozenset())
            if target not in allowed:
                may = ", ".join(sorted(allowed)) or "nothing of eval"
                problems.append(f"{name} imports {dep}: {package} may import {may} (see eval/__init__.py).")
    return problems


def test_every_eval_package_has_a_layer():
    assert sorted(_eval_packages()) == sorted(EVAL_LAYERS), "add the new package to EVAL_LAYERS and eval/__init__.py"


def test_eval_packages_import_only_the_packages_below_them():
    problems = _layer_violations(_graph(), _eval_packages())
    assert problems == [], "\n".join(problems)


def test_the_layer_check_finds_upward_lazy_and_type_checking_imports():
    modules = dict.fromkeys(
        ["eval", "eval.runs", "eval.sets", "eval.sets.labelled", "eval.engine.report", "eval.measures.metrics"]
    )
    modules["lychee.ui.models"] = None
    packages = {"eval.sets", "eval.engine", "eval.measures", "eval.history", "eval.bench"}
    source = """
from typing import TYPE_CHECKING
from eval.measures.metrics import trec_order
if TYPE_CHECKING:
    from eval.engine.report import Report
def load():
    from eval.runs import main
    import lychee.ui.models
"""
    graph = {"eval.sets.trec": _imports_in(source, "eval.sets.trec", modules)}
    assert _layer_violations(graph, packages) == [
        "eval.sets.trec imports eval.engine.report: eval.sets may import eval.measures (see eval/__init__.py).",
        "eval.sets.trec imports eval.runs: eval.sets may import eval.measures (see eval/__init__.py).",
        "eval.sets.trec imports lychee.ui.models: eval never imports the dashboard (lychee.ui).",
    ]
    # the same imports from a top-level command line: only the dashboard is out of bounds
    graph = {"eval.runs": _imports_in(source, "eval.runs", modules)}
    assert _layer_violations(graph, packages) == [
        "eval.runs imports lychee.ui.models: eval never imports the dashboard (lychee.ui)."
    ]


# --- no function over 80 lines ------------------------------------------------------------------------------------
def _function_files() -> list[Path]:
    return list(_modules().values()) + sorted((ROOT / "pages").glob("*.py")) + [ROOT / "streamlit_app.py"]


def _long_functions(source: str, limit: int) -> list[str]:
    """``"name (n lines)"`` for each function or method (nested ones too) whose body, docstring excluded, is longer
    than ``limit`` lines: from the first statement after the docstring to the function's last line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            if isinstance(body[0].value.value, str):
                body = body[1:]
        if not body:
            continue
        lines = node.end_lineno - body[0].lineno + 1
        if lines > limit:
            found.append(f"{node.name} ({lines} lines)")
    return found


@pytest.mark.parametrize("path", _function_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_function_over_80_lines(path):
    long = _long_functions(path.read_text(encoding="utf-8"), MAX_FUNCTION_LINES)
    assert long == [], f"{path.relative_to(ROOT)}: {long}; give the parts of each a name (limit {MAX_FUNCTION_LINES})."


def test_the_function_length_check_counts_from_after_the_docstring():
    def function(name: str, statements: int, *, method: bool = False) -> str:
        pad = "    " if method else ""
        body = "".join(f"{pad}    x{i} = {i}\n" for i in range(statements))
        return f'{pad}def {name}():\n{pad}    """A docstring\n{pad}    over two lines."""\n{body}'

    assert _long_functions(function("fits", 80), 80) == []
    assert _long_functions(function("too_long", 81), 80) == ["too_long (81 lines)"]
    assert _long_functions("class C:\n" + function("method", 81, method=True), 80) == ["method (81 lines)"]
