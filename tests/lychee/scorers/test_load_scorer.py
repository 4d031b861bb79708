from __future__ import annotations

import json
import re

import pytest

from lychee import load_scorer
from lychee.scorers import family_of, resolve_checkpoint


def test_missing_local_folder_says_what_was_tried(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ValueError) as err:
        load_scorer(str(missing))
    msg = str(err.value)
    assert f"local folder {missing}" in msg and "(does not exist)" in msg
    assert "To provide weights" in msg and "'default'" in msg


def test_uncached_hub_id_offline_is_refused(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ValueError, match=re.escape("Hugging Face hub id 'vec-ai/lychee-rerank-mm' (cache only, downloads not allowed")):
        load_scorer("vec-ai/lychee-rerank-mm")


def test_folder_without_config(tmp_path):
    with pytest.raises(ValueError, match="has no config.json"):
        resolve_checkpoint(str(tmp_path))


def test_file_instead_of_folder(tmp_path):
    f = tmp_path / "model.bin"
    f.write_bytes(b"x")
    with pytest.raises(ValueError, match="is a file; expected a checkpoint folder"):
        load_scorer(str(f))


def test_unsupported_model_type(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(ValueError, match=re.escape("model_type 'llama' is not supported; expected one of ['qwen2_5_vl', 'qwen3_vl']")):
        family_of(tmp_path)


def test_family_from_model_type(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "qwen3_vl"}))
    assert family_of(tmp_path) == "qwen3-vl-reranker"
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "qwen2_5_vl"}))
    assert family_of(tmp_path) == "lychee"


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_batch_size(bad):
    with pytest.raises(ValueError, match=re.escape(f"batch_size must be a positive integer, got {bad!r}.")):
        load_scorer("default", batch_size=bad)


def test_empty_model_name():
    with pytest.raises(ValueError, match="model_name_or_path must be 'default'"):
        load_scorer("  ")
