"""Run ``python -m eval`` in a subprocess, and kill it from outside in the middle of a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
# Generous: model loading alone takes ~10 s on a loaded 2-core machine.
TIMEOUT_S = 300
POLL_S = 0.002


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """``python -m eval ARGS --quiet`` to completion, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "eval", *args, "--quiet"],
        cwd=ROOT,
        env={**os.environ, **ENV},
        check=False,  # the tests assert on the exit status
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def finished_queries(partial: Path) -> int:
    """Complete query lines in a partial file (its header and a torn last line do not count)."""
    try:
        data = partial.read_bytes()
    except FileNotFoundError:
        return 0
    return max(0, data.count(b"\n") - 1)


@dataclass
class Killed:
    returncode: int
    finished: int  # queries on disk after the kill
    stderr: str


def kill_mid_run(*args: str, out: Path, attempts: int = 3) -> Killed:
    """Start ``python -m eval ARGS --out OUT --quiet``; SIGKILL it as soon as ``OUT/partial.jsonl`` holds a finished query.

    Nothing in the CLI cooperates: the test watches the partial file from outside and kills the process, as a user's
    ``kill -9`` or an OOM killer would. Use a small ``--chunk-pairs`` so queries are saved one chunk at a time and
    the run lasts long after the first one. In the unlikely case that the whole run finished between two looks at the
    file (a badly starved test process), the attempt is repeated on a fresh folder.
    """
    for _ in range(attempts):
        if out.exists():
            for child in out.iterdir():
                child.unlink()
        partial = out / "partial.jsonl"
        with tempfile.TemporaryFile(mode="w+") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "eval", *args, "--out", str(out), "--quiet"],
                cwd=ROOT,
                env={**os.environ, **ENV},
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
            deadline = time.monotonic() + TIMEOUT_S
            try:
                while proc.poll() is None and finished_queries(partial) == 0:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"python -m eval {' '.join(args)} saved no query in {TIMEOUT_S} s")
                    time.sleep(POLL_S)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
            finally:
                if proc.poll() is None:
                    proc.kill()
                proc.wait(timeout=TIMEOUT_S)
            stderr.seek(0)
            text = stderr.read()
        if proc.returncode == -signal.SIGKILL:
            return Killed(proc.returncode, finished_queries(partial), text)
        if proc.returncode != 0:
            raise AssertionError(f"python -m eval failed before it could be killed ({proc.returncode}):\n{text}")
    raise AssertionError(f"python -m eval finished every time before it could be killed ({attempts} attempts)")


__all__ = ["ROOT", "Killed", "finished_queries", "kill_mid_run", "run_cli"]
