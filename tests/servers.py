"""Start the real server (``./start.sh``: dashboard + API on one port) in its own process group, for tests; and
:class:`LocalHTTPServer`, the in-process HTTP server of a test's own handler (stand-ins, image hosts, listeners).

Used by the browser test (``tests/app/browser.py``) and the API tests (``tests/lychee/api``). Servers started here are
killed (their whole process group) when the ``with`` block ends, whatever happens inside it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lychee.serving.environment import server_command

ROOT = Path(__file__).resolve().parents[1]

#: Applied to every server :func:`serve` starts: a developer's shell must not change what the tests start.
SERVER_ENV: dict[str, str | None] = {
    "LYCHEE_MODEL": None,
    "LYCHEE_DEVICE": None,
    "LYCHEE_DTYPE": None,
    "LYCHEE_LOCK_MODEL": None,
    "LYCHEE_API_KEY": None,
    "LYCHEE_API_ALLOW_URLS": None,
    "LYCHEE_API_MAX_BODY_MB": None,
    "LYCHEE_API_MAX_DOCUMENTS": None,
    "LYCHEE_API_MAX_IN_FLIGHT": None,
    "LYCHEE_HOST": None,
    "LYCHEE_DASHBOARD_TOKEN": None,
    "LYCHEE_ALLOW_ANONYMOUS": None,
    "LYCHEE_READ_ONLY": None,
    "LYCHEE_EDITORS": None,
    "LYCHEE_MODELS": None,
    "LYCHEE_REMOTE_ALLOW": None,
    "LYCHEE_REMOTE_API_KEY": None,
    "LYCHEE_API_URL_NETWORKS": None,
    "LYCHEE_API_CORS_ORIGINS": None,
    "LYCHEE_API_MAX_TEXT_CHARS": None,
    "LYCHEE_API_MAX_REQUEST_MP": None,
    "LYCHEE_MAX_IMAGE_PIXELS": None,
}

#: The sign-in link an exposed server prints in its log (lychee.access.settings.startup_lines).
TOKEN_LINE = re.compile(r"open the dashboard at (http://\S+?)/\?token=([A-Za-z0-9_%.~-]+)")

# The servers running now, by base URL, so that a test can kill one in the middle of its work (kill_server), and
# their logs (printed_token).
_RUNNING: dict[str, subprocess.Popen] = {}
_LOGS: dict[str, Path] = {}


class LocalHTTPServer:
    """``handler`` served on a free 127.0.0.1 port from a daemon thread while the ``with`` block runs; closed after.

    Example:
        >>> with LocalHTTPServer(MyHandler) as server:
        ...     urllib.request.urlopen(server.url + "/x")
    """

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def free_port() -> int:
    """A TCP port that is free right now on localhost."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(url: str, headers: dict[str, str]) -> int | None:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


@contextlib.contextmanager
def serve(
    *,
    port: int | None = None,
    python: str | None = None,
    timeout: float = 600.0,
    log_path: Path | None = None,
    env: dict[str, str] | None = None,
    ready_path: str = "/_stcore/health",
    ready_headers: dict[str, str] | None = None,
    host: str | None = None,
) -> Iterator[str]:
    """Start the server in its own process group and yield its base URL once ``ready_path`` answers 200; kill the
    whole group on exit.

    Args:
        port: the port (a free one by default).
        python: run ``<python> -m streamlit run lychee/ui/server.py`` (what ``./start.sh`` runs) instead of ``./start.sh``, for
            local experiments while .venv is not ready; committed tests use ``./start.sh``, which sets up .venv on
            first use, hence the long timeout.
        timeout: seconds to wait for ``ready_path``.
        log_path: where the server's output goes (a temp file by default).
        env: environment variables on top of :data:`SERVER_ENV`, which always applies (a value of ``None`` removes
            the variable).
        ready_path: the path that must answer 200: ``/_stcore/health`` (the dashboard is up) or ``/api/health``
            (the model is loaded, too).
        ready_headers: headers for the readiness probe (e.g. the API key); an exposed server's printed token is
            used for it when none is given.
        host: the address to listen on (``LYCHEE_HOST``; ``./start.sh``'s default, 127.0.0.1, when ``None``). The
            yielded URL always reaches it through 127.0.0.1; :func:`printed_token` reads the token an exposed server
            printed.

    Raises:
        RuntimeError: the server exited or did not become ready in time; the message quotes its log tail.
    """
    port = port or free_port()
    if python is None:
        cmd = ["./start.sh"]
    else:
        cmd = server_command(python, port, host or "127.0.0.1")
    full_env = {**os.environ, "PORT": str(port), "HF_HUB_OFFLINE": "1"}
    for name, value in {**SERVER_ENV, "LYCHEE_HOST": host, **(env or {})}.items():
        if value is None:
            full_env.pop(name, None)
        else:
            full_env[name] = value
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
    url = f"http://127.0.0.1:{port}"
    _LOGS[url] = log_path
    try:
        deadline = time.monotonic() + timeout
        while _status(f"{url}{ready_path}", _probe_headers(url, ready_headers)) != 200:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}; log tail:\n{tail(log_path)}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"server not ready ({ready_path}) on port {port} after {timeout:.0f} s; log tail:\n{tail(log_path)}"
                )
            time.sleep(0.5)
        _RUNNING[url] = proc
        yield url
    finally:
        _RUNNING.pop(url, None)
        _LOGS.pop(url, None)
        kill_group(proc)


def printed_token(url: str) -> str | None:
    """The token the server at ``url`` (started by :func:`serve`) printed in its log as ``/?token=...``, or ``None``."""
    log = _LOGS.get(url)
    found = TOKEN_LINE.search(log.read_text(errors="replace")) if log is not None and log.exists() else None
    return None if found is None else urllib.parse.unquote(found.group(2))


def server_log(url: str) -> str:
    """Everything the server at ``url`` (started by :func:`serve`) wrote so far."""
    log = _LOGS.get(url)
    return log.read_text(errors="replace") if log is not None and log.exists() else ""


def _probe_headers(url: str, headers: dict[str, str] | None) -> dict[str, str]:
    if headers:
        return headers
    token = printed_token(url)
    return {"Authorization": f"Bearer {token}"} if token else {}


def tail(path: Path, n: int = 3000) -> str:
    """The last ``n`` characters of a log file."""
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


def kill_group(proc: subprocess.Popen) -> None:
    """SIGTERM the process group of ``proc`` (SIGKILL after 15 s)."""
    if proc.poll() is not None:
        return
    pgid = os.getpgid(proc.pid)
    os.killpg(pgid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(pgid, signal.SIGKILL)
        proc.wait(timeout=15)


def peak_memory_during(url: str, action) -> tuple[int, object]:
    """``(bytes, result)``: how far the resident memory of the server :func:`serve` started at ``url`` rose above what
    it held before ``action()`` ran, at its peak while it ran (Linux: the peak is reset through ``clear_refs``)."""
    pid = _RUNNING[url].pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM, the peak resident size, to the current size

    def field(name: str) -> int:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no {name} in /proc/{pid}/status")

    before = field("VmRSS")
    result = action()
    return field("VmHWM") - before, result


def kill_server(url: str) -> None:
    """Kill the server that :func:`serve` started at ``url`` now (its ``with`` block may still be running: a test
    takes a replica away in the middle of a run)."""
    kill_group(_RUNNING[url])


__all__ = [
    "ROOT",
    "SERVER_ENV",
    "free_port",
    "kill_group",
    "kill_server",
    "peak_memory_during",
    "printed_token",
    "serve",
    "server_log",
    "tail",
]
