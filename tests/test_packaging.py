"""``pip install -e .`` (what start.sh runs): ``lychee`` and ``eval`` import from any folder, the console scripts run.

The install goes into a fresh, throw-away venv (never the shared .venv), which sees the shared venv's packages through
a ``.pth`` line so that nothing is downloaded; start.sh's own stamped step is checked in its text.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ("lychee-eval", "lychee-runs", "lychee-bench")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv with this checkout installed editable; returns its bin/ folder."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    bin_dir = venv / "bin"
    target_site = Path(
        subprocess.run(
            [str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
    )
    # The shared venv's packages (torch, streamlit, setuptools...), without installing anything.
    (target_site / "shared.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "-q", "--no-deps",
         "--no-build-isolation", "-e", str(ROOT)],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return bin_dir


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}


def test_lychee_and_eval_import_from_another_folder(installed, tmp_path):
    code = "import lychee, eval.runs, eval.engine.baselines; print(lychee.__file__); print(eval.runs.__file__)"
    proc = subprocess.run(
        [str(installed / "python"), "-c", code],
        cwd=tmp_path,  # not the checkout: only the install can find the packages
        env=_clean_env(),
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lychee_file, runs_file = proc.stdout.split()
    assert Path(lychee_file) == ROOT / "lychee" / "__init__.py"  # editable: the checkout's own files
    assert Path(runs_file) == ROOT / "eval" / "runs.py"


@pytest.mark.parametrize("script", SCRIPTS)
def test_console_scripts_run_from_another_folder(installed, tmp_path, script):
    proc = subprocess.run(
        [str(installed / script), "--help"],
        cwd=tmp_path,
        env=_clean_env(),
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout


def test_the_checkout_does_not_ship_tests_or_pages(installed, tmp_path):
    proc = subprocess.run(
        [str(installed / "python"), "-c", "import importlib.util as u; print(u.find_spec('tests'), u.find_spec('pages'))"],
        cwd=tmp_path,
        env=_clean_env(),
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["None", "None"]


def test_start_sh_installs_the_checkout():
    text = (ROOT / "start.sh").read_text()
    assert "-e ." in text and "ensure_project" in text
    # Both modes (serve and test) install it.
    assert text.count("    ensure_project\n") == 2
