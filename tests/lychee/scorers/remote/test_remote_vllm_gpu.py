"""End to end on a GPU: vLLM serves synthetic checkpoints, the remote scorer's scores are compared with the local ones.

``gpu``-marked (deselected by default, skipped without CUDA). Run it on a GPU machine with::

    .venv/bin/python -m pytest -m gpu tests/lychee/scorers/remote/test_remote_vllm_gpu.py -v

vLLM pins its own torch, so it is never installed into the project's ``.venv``: the test uses the Python named by
``LYCHEE_VLLM_PYTHON`` (an environment that has vLLM), or creates ``artifacts/vllm-venv`` and runs ``pip install vllm``
there (needs the package index). Two servers run, one after the other, each on a free port:

* a synthetic Qwen2.5-VL (Lychee recipe, ``size="cpu"``) as a plain chat model, scored over ``openai-chat``;
* a synthetic Qwen3-VL reranker with ``--runner pooling`` and the recipe's score template, scored over ``rerank``.

Both compare with the local scorer on the same weights in bfloat16 on CUDA: log-odds within 1e-2. Each run writes
what it measured to ``artifacts/remote_gpu_<protocol>.json`` (vLLM version, largest differences) for the README.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import lychee
from tests.servers import ROOT, free_port

pytestmark = pytest.mark.gpu

ARTIFACTS = ROOT / "artifacts"
LOG_ODDS_TOLERANCE = 1e-2  # bfloat16 on both sides, different kernels
VLLM_MAIN = "import sys; from vllm.entrypoints.cli.main import main; sys.argv = sys.argv[1:]; main()"
HF_OVERRIDES = {
    "architectures": ["Qwen3VLForSequenceClassification"],
    "classifier_from_token": ["no", "yes"],
    "is_original_qwen3_reranker": True,
}


def _cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


if not _cuda():
    pytest.skip("needs CUDA (vLLM serves on a GPU)", allow_module_level=True)


def _image(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), mode="RGB")


PAIRS = [
    ("red running shoes", "Nike red running shoe, lightweight and breathable."),
    ("red running shoes", "blue ceramic teapot with a bamboo handle"),
    ("how to bake bread at home", "A simple recipe: flour, water, salt and yeast."),
    ("红色 跑鞋", "耐克 红色 跑鞋"),
    ({"image": _image(224, 168, 1)}, "A photo of a red shoe on a white background."),
    ("blue ceramic teapot", {"image": _image(150, 360, 2)}),
    (
        {"text": "shoes like this one", "image": _image(224, 168, 1)},
        {"text": "Nike shoe", "image": _image(150, 360, 2)},
    ),
]


@pytest.fixture(scope="module")
def vllm_python() -> str:
    """A Python that imports vLLM (see module docstring)."""
    named = os.environ.get("LYCHEE_VLLM_PYTHON")
    if named:
        return named
    venv = ARTIFACTS / "vllm-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import vllm"], capture_output=True)
    if probe.returncode != 0:
        done = subprocess.run([str(python), "-m", "pip", "install", "-q", "vllm"], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(
                "`pip install vllm` failed, so the remote scores could not be checked against vLLM; set "
                f"LYCHEE_VLLM_PYTHON to a Python that has vLLM. pip said:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
    return str(python)


def _vllm_version(python: str) -> str:
    out = subprocess.run([python, "-c", "import vllm; print(vllm.__version__)"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


@contextlib.contextmanager
def vllm_serve(python: str, model: Path, args: list[str], log: Path, timeout: float = 900) -> Iterator[str]:
    """``vllm serve <model> <args>`` on a free port in its own process group; yields the base URL once it answers."""
    port = free_port()
    script = Path(python).parent / "vllm"
    # the `vllm` console script next to that Python, else its entry point called through the Python itself
    launcher = [str(script)] if script.exists() else [python, "-c", VLLM_MAIN, "vllm"]
    cmd = [*launcher, "serve", str(model), "--port", str(port), "--host", "127.0.0.1", *args]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(url + "/v1/models", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"vllm serve did not come up ({' '.join(cmd)}); log tail:\n{tail}")
            time.sleep(2)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _compare(local, remote, protocol: str, python: str) -> dict:
    lo_local = [p.log_odds for p in local.predict_pairs(PAIRS)]
    lo_remote = [p.log_odds for p in remote.predict_pairs(PAIRS)]
    diffs = [abs(a - b) for a, b in zip(lo_local, lo_remote)]
    record = {
        "protocol": protocol,
        "vllm": _vllm_version(python),
        "pairs": len(PAIRS),
        "max_abs_log_odds_diff": max(diffs),
        "log_odds_local": lo_local,
        "log_odds_remote": lo_remote,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"remote_gpu_{protocol}.json").write_text(json.dumps(record, indent=2))
    return record


def test_lychee_served_as_a_chat_model_matches_local(vllm_python, tmp_path):
    from lychee.synthetic import QWEN2_5_VL_CHAT_TEMPLATE, build_synthetic_checkpoint

    path = build_synthetic_checkpoint(tmp_path / "lychee", family="lychee", size="cpu", seed=0)
    template = tmp_path / "chat_template.jinja"
    template.write_text(QWEN2_5_VL_CHAT_TEMPLATE)
    args = [
        "--dtype", "bfloat16", "--max-model-len", "4096", "--enforce-eager", "--gpu-memory-utilization", "0.3",
        "--served-model-name", "lychee-synthetic", "--chat-template", str(template),
        "--chat-template-content-format", "openai", "--max-logprobs", "20",
    ]  # fmt: skip
    local = lychee.load_scorer(str(path), device="cuda", dtype="bfloat16")
    with vllm_serve(vllm_python, path, args, ARTIFACTS / "vllm_chat.log") as url:
        remote = lychee.load_scorer("openai-chat+" + url, remote_family="lychee")
        record = _compare(local, remote, "openai-chat", vllm_python)
    assert record["max_abs_log_odds_diff"] <= LOG_ODDS_TOLERANCE, record


def test_qwen3_reranker_on_the_pooling_runner_matches_local(vllm_python, tmp_path):
    from lychee.scorers.remote.templates import qwen3_vl_reranker_template
    from lychee.synthetic import build_synthetic_checkpoint

    path = build_synthetic_checkpoint(tmp_path / "qwen3", family="qwen3-vl-reranker", size="cpu", seed=0)
    template = tmp_path / "qwen3_vl_reranker.jinja"
    template.write_text(qwen3_vl_reranker_template())
    args = [
        "--runner", "pooling", "--dtype", "bfloat16", "--max-model-len", "4096", "--enforce-eager",
        "--gpu-memory-utilization", "0.3", "--served-model-name", "qwen3-synthetic",
        "--hf-overrides", json.dumps(HF_OVERRIDES), "--chat-template", str(template),
    ]  # fmt: skip
    local = lychee.load_scorer(str(path), device="cuda", dtype="bfloat16")
    with vllm_serve(vllm_python, path, args, ARTIFACTS / "vllm_pooling.log") as url:
        remote = lychee.load_scorer(url, remote_family="qwen3-vl-reranker")
        assert remote.capabilities.uses_instruction is False  # vLLM's rerank takes the template's instruction
        record = _compare(local, remote, "rerank", vllm_python)
    assert record["max_abs_log_odds_diff"] <= LOG_ODDS_TOLERANCE, record
