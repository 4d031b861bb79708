"""The VLM part of ``python -m eval.bench`` on the tiny synthetic size: output keys, the path that really ran, parity.

Timings are printed by the benchmark, never asserted here.
"""

from __future__ import annotations

import json

import pytest
import torch

from eval.bench.timings import bench_vlm, main


@pytest.mark.parametrize("family", ["lychee", "qwen3-vl-reranker"])
def test_bench_vlm_reports_both_paths(family):
    out = bench_vlm("tiny", 1, "cpu", None, n_titles=6, family=family)
    for key in ("vlm_image_query_plain_s", "vlm_image_query_prefix_s", "prefix_max_abs_diff", "vlm_prefix_speedup"):
        assert isinstance(out[key], float) and out[key] >= 0, key
    assert out["vlm_prefix_path_pairs"] == 6 and out["vlm_plain_path_pairs"] == 6
    assert out["prefix_max_abs_diff"] <= 1e-4 and out["prefix_max_abs_log_odds_diff"] <= 1e-4
    described = (out["vlm_family"], out["vlm_size"], out["vlm_dtype"], out["vlm_device"])
    assert described == (family, "tiny", "float32", "cpu")
    assert "vlm_plain_peak_gib" not in out  # peak memory is a CUDA figure
    # the video query: a 3-second clip, both paths, the same scores
    for key in ("vlm_video_query_plain_s", "vlm_video_query_prefix_s", "vlm_video_prefix_speedup"):
        assert isinstance(out[key], float) and out[key] > 0, key
    assert out["vlm_video_prefix_path_pairs"] == 6 and out["vlm_video_plain_path_pairs"] == 6
    assert out["video_prefix_max_abs_diff"] <= 1e-4 and out["video_prefix_max_abs_log_odds_diff"] <= 1e-4
    # 320x240 frames are resized up to 280x392 (patch 14) or 320x448 (patch 16): 20 x 28 patches, 140 merged tokens
    # per temporal patch, two temporal patches (4 frames)
    assert out["vlm_video_pair_tokens"] > 280


def test_bench_cli_prints_table_and_json(capsys, monkeypatch):
    from eval.bench import timings as bench

    monkeypatch.setattr(bench, "bench_vlm", lambda *a, **k: {"vlm_image_query_plain_s": 2.0, "vlm_family": k["family"]})
    assert main(["--skip-default", "--vlm-size", "tiny", "--vlm-family", "qwen3-vl-reranker", "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["measure", "value"]
    assert any(line.split() == ["vlm_image_query_plain_s", "2.0000"] for line in lines)
    assert json.loads(lines[-1])["vlm_family"] == "qwen3-vl-reranker"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_bench_7b_without_cuda_is_a_clear_error(capsys):
    with pytest.raises(SystemExit):
        main(["--skip-default", "--vlm-size", "7b"])
    assert "--vlm-size 7b builds the real Qwen2.5-VL-7B / Qwen3-VL-8B dimensions" in capsys.readouterr().err
