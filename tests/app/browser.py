"""Helpers to serve the dashboard with ``start.sh`` and drive it in Debian's headless Chromium (no playwright install).

Used by ``test_browser.py`` and ``take_screenshots.py``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
logger = logging.getLogger(__name__)


def free_port() -> int:
    """A TCP port that is free right now on localhost."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def serve(
    *,
    port: int | None = None,
    python: str | None = None,
    timeout: float = 600.0,
    log_path: Path | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Start the dashboard in its own process group and yield its base URL; kill the whole group on exit.

    Args:
        port: the port (a free one by default).
        python: run ``<python> -m streamlit run streamlit_app.py`` instead of ``./start.sh`` (for local experiments
            while .venv is not ready); the committed browser test always uses ``./start.sh``, which sets up .venv on
            first use, hence the long timeout.
        timeout: seconds to wait for ``/_stcore/health``.
        log_path: where the server's output goes (a temp file by default).
        env: extra environment variables.

    Raises:
        RuntimeError: the server exited or did not become healthy in time; the message quotes its log tail.
    """
    port = port or free_port()
    if python is None:
        cmd = ["./start.sh"]
    else:
        cmd = [
            python,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ]
    full_env = {**os.environ, "PORT": str(port), "HF_HUB_OFFLINE": "1", **(env or {})}
    log_path = log_path or Path(tempfile.mkstemp(prefix="lychee-server-", suffix=".log")[1])
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: start.sh execs streamlit, and we kill the group
        )
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(port):
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}; log tail:\n{_tail(log_path)}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"server not healthy on port {port} after {timeout:.0f} s; log tail:\n{_tail(log_path)}"
                )
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        _kill_group(proc)


def _tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


def _kill_group(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    pgid = os.getpgid(proc.pid)
    os.killpg(pgid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(pgid, signal.SIGKILL)
        proc.wait(timeout=15)


@contextlib.contextmanager
def chromium(*, width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A Playwright page in Debian's Chromium with a fresh user-data dir (never ``playwright install``)."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="lychee-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": width, "height": height},
                accept_downloads=True,
            )
            try:
                page = context.pages[0] if context.pages else context.new_page()
                page.set_default_timeout(120_000)
                yield page
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def wait_idle(page: Any, timeout: float = 180.0) -> None:
    """Wait until Streamlit finished the current run (the 'Running...' status widget is gone)."""
    page.wait_for_timeout(300)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.locator('[data-testid="stStatusWidget"]').count() == 0:
            page.wait_for_timeout(300)
            if page.locator('[data-testid="stStatusWidget"]').count() == 0:
                return
        page.wait_for_timeout(250)
    raise TimeoutError(f"Streamlit still running after {timeout:.0f} s")
