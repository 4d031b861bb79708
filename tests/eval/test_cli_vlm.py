"""The image set end to end with a tiny random Qwen2.5-VL checkpoint built here (scores are meaningless; the paths
through images, A/B instructions and resume are real)."""

from __future__ import annotations

import io
import json
import signal
import zipfile
from pathlib import Path

from clihelpers import ROOT, kill_mid_run
from clihelpers import run_cli as _cli

SHAPES = "eval/data/shapes/shapes.jsonl"
INSTRUCTION_B = "Judge whether the picture shows the requested shape and colour."


def test_image_set_ab_and_resume_with_a_vlm(tiny_vlm, tmp_path):
    args = ["--data", SHAPES, "--model", str(tiny_vlm), "--instruction-b", INSTRUCTION_B, "--device", "cpu"]
    full = tmp_path / "full"
    proc = _cli(*args, "--out", str(full))
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((full / "metrics.json").read_text())
    assert set(metrics["systems"]) == {"model", "model_b", "input_order", "bm25"}
    assert metrics["settings"]["systems"]["model_b"]["instruction"] == INSTRUCTION_B
    assert metrics["comparison"]["b"] == "model_b"
    # The VLM reads the instruction: B's scores differ from A's.
    assert (full / "run.trec").read_text() != (full / "run_b.trec").read_text().replace(" model_b\n", " model\n")

    resumed = tmp_path / "resumed"
    killed = kill_mid_run(*args, "--chunk-pairs", "1", out=resumed)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert 1 <= killed.finished < 6
    again = _cli(*args, "--out", str(resumed))
    assert again.returncode == 0, again.stderr
    assert f"resuming: {killed.finished} of 6 queries already scored" in again.stderr
    # The VLM's float scores of re-batched queries may differ in the last bits; metrics.json is built from
    # rankings and score bins only, so it is byte-identical.
    assert (resumed / "metrics.json").read_bytes() == (full / "metrics.json").read_bytes()


def test_zip_upload_with_images_is_scored_by_a_vlm(tiny_vlm):
    from eval.engine.evaluate import evaluate_set
    from eval.sets.loader import load_labelled_set
    from lychee import load_scorer

    shapes_dir = ROOT / "eval" / "data" / "shapes"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.write(shapes_dir / "shapes.jsonl", "shapes/shapes.jsonl")
        for png in sorted((shapes_dir / "img").glob("*.png")):
            zf.write(png, f"shapes/img/{png.name}")
    from_zip = load_labelled_set(buf.getvalue(), name="shapes.zip")
    from_dir = load_labelled_set(shapes_dir / "shapes.jsonl")
    assert from_zip.qrels == from_dir.qrels

    scorer = load_scorer(str(tiny_vlm), device="cpu")
    a = evaluate_set(from_zip, scorer, chunk_pairs=1)
    b = evaluate_set(from_dir, scorer, chunk_pairs=1)
    assert a.runs["model"] == b.runs["model"]  # same images, same scores, whether from the zip or the folder


def test_model_b_compares_two_models(tiny_vlm, tmp_path, capsys):
    from eval.__main__ import main

    out = tmp_path / "ab"
    code = main(
        [
            "--data",
            str(ROOT / "eval/data/passages.csv"),
            "--model",
            "default",
            "--model-b",
            str(tiny_vlm),
            "--out",
            str(out),
            "--quiet",
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["settings"]["systems"]["model"]["model"] == "default"
    assert metrics["settings"]["systems"]["model_b"]["model"] == str(Path(tiny_vlm).resolve())
    assert metrics["settings"]["systems"]["model_b"]["scorer"] != metrics["settings"]["systems"]["model"]["scorer"]
    assert set(metrics["comparison"]["metrics"]) == {"ndcg@10", "ndcg_exp@10", "mrr@10", "hit@1", "recall@10"}
    printed = capsys.readouterr().out
    assert "A/B (model_b vs model; paired randomization test, 10,000 permutations, two-sided):" in printed
