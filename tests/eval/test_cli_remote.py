"""``python -m eval --model URL`` against this project's own server started for real (``./start.sh``): the same
metrics.json numbers and run file as a local run of the same model, resumable after a kill, and a clear exit when the
endpoint dies mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from clihelpers import ENV, ROOT, finished_queries, kill_mid_run, run_cli

from tests.servers import kill_server, serve

DATA = "eval/data/ecommerce.jsonl"
N_QUERIES = 22


def numbers(out: Path) -> dict:
    """metrics.json without what names the model (its URL or 'default'): every number a run produced."""
    metrics = json.loads((out / "metrics.json").read_text())
    metrics.pop("settings")
    for system in metrics["systems"].values():
        system.pop("description", None)
    return metrics


def run_rows(out: Path) -> tuple[list[tuple[str, ...]], list[float]]:
    """run.trec as (qid, docid, rank) rows and their scores."""
    rows = [line.split() for line in (out / "run.trec").read_text().splitlines()]
    return [(r[0], r[2], r[3]) for r in rows], [float(r[4]) for r in rows]


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local")
    proc = run_cli("--data", DATA, "--model", "default", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def test_remote_run_equals_local_run(project_server, local_run, tmp_path):
    out = tmp_path / "remote"
    proc = run_cli("--data", DATA, "--model", project_server, "--concurrency", "4", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert numbers(out) == numbers(local_run)  # every metric, interval, per-query value and calibration figure
    # The same ranking; scores equal up to float32 noise: the server encodes each query's documents in a batch of
    # their own, the local run a 64-pair chunk at a time (measured: differences of a few 1e-8).
    rows, scores = run_rows(out)
    local_rows, local_scores = run_rows(local_run)
    assert rows == local_rows
    assert scores == pytest.approx(local_scores, abs=1e-6)
    settings = json.loads((out / "metrics.json").read_text())["settings"]["systems"]["model"]
    assert settings["model"] == project_server


def test_killed_remote_run_resumes_to_the_same_numbers(project_server, local_run, tmp_path):
    out = tmp_path / "resumed"
    killed = kill_mid_run("--data", DATA, "--model", project_server, "--chunk-pairs", "1", out=out)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert 1 <= killed.finished < N_QUERIES
    resumed = run_cli("--data", DATA, "--model", project_server, "--chunk-pairs", "1", "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {killed.finished} of {N_QUERIES} queries already scored" in resumed.stderr
    assert numbers(out) == numbers(local_run)


def test_endpoint_dying_mid_run_exits_3_and_keeps_finished_queries(tmp_path):
    with serve(ready_path="/api/health") as url:
        out = tmp_path / "dying"
        proc = subprocess.Popen(
            [sys.executable, "-m", "eval", "--data", DATA, "--model", url, "--chunk-pairs", "1", "--out", str(out)]
            + ["--quiet"],
            cwd=ROOT,
            env={**os.environ, **ENV},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 300
        while finished_queries(out / "partial.jsonl") < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        kill_server(url)  # the server goes away in the middle of the run
        _, stderr = proc.communicate(timeout=300)
    if proc.returncode == 0:
        pytest.skip("the run finished before the server could be killed (a starved machine); nothing to check")
    assert proc.returncode == 3, stderr
    assert "no endpoint answered after" in stderr and url in stderr
    assert "Finished queries are kept in" in stderr and "re-run the same command" in stderr
    assert finished_queries(out / "partial.jsonl") >= 2


def test_option_for_the_wrong_kind_of_model(tmp_path):
    proc = run_cli("--data", DATA, "--model", "default", "--concurrency", "4", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "--concurrency applies to a remote model (an http(s):// URL), but --model is 'default'" in proc.stderr
    proc = run_cli("--data", DATA, "--model", "http://127.0.0.1:9", "--device", "cpu", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "--device applies to a local model, but --model is the URL 'http://127.0.0.1:9'" in proc.stderr


def test_dead_url_is_a_clear_error(tmp_path):
    from tests.servers import free_port

    url = f"http://127.0.0.1:{free_port()}"
    proc = run_cli("--data", DATA, "--model", url, "--out", str(tmp_path))
    assert proc.returncode == 2
    assert f"error: remote model {url}: no usable answer. Tried: GET {url}/api/model: connection refused" in proc.stderr
