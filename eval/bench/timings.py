"""Benchmark: ``python -m eval.bench [--json]`` prints a table of median timings (and one JSON line with --json).

Default model (embedded all-MiniLM-L6-v2):
  default_encode51_s        bare ``SentenceTransformer.encode`` of the query + 50 titles (the floor)
  default_rerank50_s        ``scorer.rank(query, 50 titles)`` with an empty document cache (model warm)
  default_rerank50_cached_s the same with the 50 titles already cached
  default_eval_nocache_s    an evaluation over queries whose candidates repeat, cache disabled
  default_eval_cached_s     the same with the content cache (each distinct document encoded once)

VLM (synthetic, randomly initialised Qwen2.5-VL — or Qwen3-VL with ``--vlm-family`` — of ``--vlm-size``): an image
query (448x448) with 50 titles,
  vlm_image_query_plain_s   every pair's whole prompt (``use_prefix_cache=False``)
  vlm_image_query_prefix_s  the query's prompt prefix run once, its KV cache reused for the 50 title suffixes
  prefix_max_abs_diff       max |score_plain - score_prefix| (and prefix_max_abs_log_odds_diff for log-odds)
  vlm_prefix_path_pairs     how many of the 50 pairs the prefix path really scored (Prediction.path)
  vlm_plain_peak_gib / vlm_prefix_peak_gib  peak CUDA memory of one call of each path (CUDA only)
and a video query (a 3-second, 10 fps, 320x240 H.264 clip made with PyAV; 4 frames sampled at 1 fps) with the same
titles,
  vlm_video_query_plain_s   every pair's whole prompt, the clip encoded for every pair
  vlm_video_query_prefix_s  the clip's prefix run once, its KV cache reused for the title suffixes
  video_prefix_max_abs_diff (and video_prefix_max_abs_log_odds_diff), vlm_video_prefix_path_pairs, as above

API (``--api``; see :mod:`eval.bench.api`): a local server on the default model against the library, 50 fresh titles
per call,
  api_rerank50_s / library_rerank50_s            median latency of one /v1/rerank call / of rank() in-process
  api_concurrent8_rps / library_sequential_rps   8 concurrent API clients / sequential rank() calls, per second

Explanations (``--explain``; see :mod:`eval.bench.explain`): the API in this process on the default model, 50 fresh
titles,
  spans50_s / spans50_variants_s   one /v1/rerank with relevant_spans / one predict_pairs of exactly its pairs
  spans50_ratio                    their ratio, median over interleaved calls (target <= 1.15)

Remote model (``--model URL [--concurrency N]``; see :mod:`eval.bench.remote`): only the endpoint is measured,
  remote_rerank50_s        median latency of one rank() of 50 fresh titles
  remote_pairs_per_s       pairs per second of one predict_pairs call at that concurrency

Timings are medians over ``--repeats`` runs after one warm-up; repetitions of the variants being compared are
interleaved so that machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

from eval.bench.clock import interleaved, median_time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

COLORS = ["red", "blue", "black", "white", "green", "grey", "pink", "navy", "beige", "orange"]
PRODUCTS = [
    "running shoes",
    "trail sneakers",
    "rain jacket",
    "wool socks",
    "yoga mat",
    "water bottle",
    "backpack",
    "sports watch",
    "cycling gloves",
    "tennis racket",
]
BRANDS = ["Nike", "Adidas", "Puma", "Asics", "Salomon", "Garmin", "Osprey", "Decathlon", "Brooks", "Hoka"]


def titles(n: int, offset: int = 0) -> list[str]:
    """``n`` distinct, realistic product titles (deterministic)."""
    out = []
    for i in range(offset, offset + n):
        out.append(f"{BRANDS[i % 10]} {COLORS[(i // 10) % 10]} {PRODUCTS[(i * 7) % 10]} - model {i}")
    return out


def bench_default(repeats: int) -> dict[str, float]:
    from lychee import load_scorer
    from lychee.scorers.embedding import DEFAULT_CACHE_BYTES, EmbeddingCache

    scorer = load_scorer("default", device="cpu")
    query, docs = "red running shoes", titles(50)
    model = scorer.model

    def floor() -> None:
        model.encode(
            [query] + docs,
            batch_size=scorer.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def rerank_cold() -> None:
        scorer.cache.clear()
        scorer.rank(query, docs)

    def rerank_warm() -> None:
        scorer.rank(query, docs)

    res = interleaved({"default_encode51_s": floor, "default_rerank50_s": rerank_cold}, repeats)
    scorer.cache.clear()
    scorer.rank(query, docs)
    res["default_rerank50_cached_s"] = median_time(rerank_warm, repeats)

    # An evaluation where documents repeat across queries: 20 queries x 50 candidates from a pool of 100 titles.
    pool = titles(100, offset=1000)
    queries = [f"{COLORS[i % 10]} {PRODUCTS[i % 10]}" for i in range(20)]
    sets = [[pool[(q * 13 + j * 7) % 100] for j in range(50)] for q in range(20)]

    def evaluation(cache_size: int) -> Callable[[], None]:
        def run() -> None:
            scorer.cache = EmbeddingCache(cache_size)
            for q, cands in zip(queries, sets):
                scorer.predict(q, cands)

        return run

    ev = interleaved(
        {"default_eval_nocache_s": evaluation(0), "default_eval_cached_s": evaluation(DEFAULT_CACHE_BYTES)},
        max(1, repeats // 2),
    )
    res.update(ev)
    res["default_rerank_over_floor"] = res["default_rerank50_s"] / res["default_encode51_s"]
    res["default_eval_cache_speedup"] = res["default_eval_nocache_s"] / res["default_eval_cached_s"]
    return res


def compare_paths(scorer: Any, query: Any, docs: list[str], repeats: int, names: dict[str, str]) -> dict[str, Any]:
    """Time ``scorer.predict(query, docs)`` on the plain and the shared-prefix path (interleaved), compare their
    scores and count the pairs each path really scored; ``names`` maps ``plain_s``, ``prefix_s``, ``diff``,
    ``log_odds_diff``, ``prefix_pairs``, ``plain_pairs``, ``speedup``, ``tokens`` (and ``plain_peak`` /
    ``prefix_peak`` on CUDA) to output keys."""
    import torch

    cuda = scorer.info.device.startswith("cuda")

    def run(prefix: bool) -> Callable[[], list]:
        def f() -> list:
            scorer.use_prefix_cache = prefix
            preds = scorer.predict(query, docs)
            if cuda:
                torch.cuda.synchronize()
            return preds

        return f

    peaks: dict[str, float] = {}
    preds: dict[str, list] = {}
    for name, prefix in (("plain", False), ("prefix", True)):
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        preds[name] = run(prefix)()
        if cuda:
            torch.cuda.synchronize()
            peaks[name] = torch.cuda.max_memory_allocated() / 2**30
    times = interleaved({names["plain_s"]: run(False), names["prefix_s"]: run(True)}, repeats)
    out: dict[str, Any] = dict(times)
    pairs = list(zip(preds["plain"], preds["prefix"]))
    out[names["diff"]] = float(max(abs(a.score - b.score) for a, b in pairs))
    out[names["log_odds_diff"]] = float(max(abs(a.log_odds - b.log_odds) for a, b in pairs))
    # Which path really ran: a speedup means nothing if the pairs fell back to the plain path.
    out[names["prefix_pairs"]] = sum(p.path == "prefix" for p in preds["prefix"])
    out[names["plain_pairs"]] = sum(p.path == "plain" for p in preds["plain"])
    out[names["speedup"]] = times[names["plain_s"]] / times[names["prefix_s"]]
    out[names["tokens"]] = preds["plain"][0].n_tokens
    for name, peak in peaks.items():
        out[names[f"{name}_peak"]] = peak
    return out


IMAGE_KEYS = {
    "plain_s": "vlm_image_query_plain_s",
    "prefix_s": "vlm_image_query_prefix_s",
    "diff": "prefix_max_abs_diff",
    "log_odds_diff": "prefix_max_abs_log_odds_diff",
    "prefix_pairs": "vlm_prefix_path_pairs",
    "plain_pairs": "vlm_plain_path_pairs",
    "speedup": "vlm_prefix_speedup",
    "tokens": "vlm_pair_tokens",
    "plain_peak": "vlm_plain_peak_gib",
    "prefix_peak": "vlm_prefix_peak_gib",
}
VIDEO_KEYS = {
    "plain_s": "vlm_video_query_plain_s",
    "prefix_s": "vlm_video_query_prefix_s",
    "diff": "video_prefix_max_abs_diff",
    "log_odds_diff": "video_prefix_max_abs_log_odds_diff",
    "prefix_pairs": "vlm_video_prefix_path_pairs",
    "plain_pairs": "vlm_video_plain_path_pairs",
    "speedup": "vlm_video_prefix_speedup",
    "tokens": "vlm_video_pair_tokens",
    "plain_peak": "vlm_video_plain_peak_gib",
    "prefix_peak": "vlm_video_prefix_peak_gib",
}


def write_bench_clip(path: Any, *, seconds: float = 3.0, fps: int = 10, size: tuple[int, int] = (320, 240)) -> Any:
    """A clip of random frames encoded with PyAV (H.264), for the video workload."""
    import av
    import numpy as np

    width, height = size
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for _ in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def bench_vlm(
    size: str,
    repeats: int,
    device: str | None,
    dtype: str | None,
    n_titles: int = 50,
    family: str = "lychee",
    video: bool = True,
) -> dict[str, Any]:
    """Plain batching vs shared-prefix KV reuse on a synthetic reranker checkpoint (random weights).

    The workloads are an image query (448x448) and a video query (3-second clip) with ``n_titles`` product titles
    each. ``size="7b"`` builds the real dimensions directly on the GPU in bfloat16 (``device`` defaults to
    ``"cuda"`` there).
    """
    import tempfile
    from pathlib import Path

    import numpy as np
    from PIL import Image

    from lychee import Item, load_scorer
    from lychee.synthetic import build_synthetic_checkpoint

    try:
        import torch
    except ImportError:  # pragma: no cover
        return {}
    real = size in ("7b", "8b")
    build_device = (device or "cuda") if real else "cpu"
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = build_synthetic_checkpoint(tmp, family=family, size=size, seed=0, device=build_device)
        build_s = time.perf_counter() - t0
        if build_device.startswith("cuda"):
            torch.cuda.empty_cache()  # the builder's copy is gone; do not count its blocks as the scorer's
        scorer = load_scorer(str(path), device=device, dtype=dtype)
        rng = np.random.default_rng(0)
        image = Image.fromarray(rng.integers(0, 255, (448, 448, 3), dtype=np.uint8))
        query = Item(text="red running shoes like this one", image=image, name="query")
        docs = titles(n_titles)
        out: dict[str, Any] = compare_paths(scorer, query, docs, repeats, IMAGE_KEYS)
        if video:
            clip = write_bench_clip(Path(tmp) / "query.mp4")
            clip_query = Item(text="red running shoes like in this clip", video=str(clip), name="query")
            out.update(compare_paths(scorer, clip_query, docs, repeats, VIDEO_KEYS))
        out["vlm_family"] = family
        out["vlm_size"] = size
        out["vlm_dtype"] = scorer.info.dtype
        out["vlm_device"] = scorer.info.device
        out["vlm_attention"] = scorer.info.attention
        out["vlm_batch_size"] = scorer.batch_size
        out["vlm_parameters"] = scorer.info.parameters
        out["vlm_build_s"] = build_s
        return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        import torch

        if torch.cuda.is_available():
            return f"{torch.cuda.get_device_name(0)}; {os.cpu_count()} CPU cores"
    except ImportError:  # pragma: no cover
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except OSError:  # pragma: no cover
        pass
    return f"CPU only ({cpu}), {os.cpu_count()} cores{mem}"


def build_parser() -> argparse.ArgumentParser:
    """The options of ``python -m eval.bench``; its description is this module's docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="end with one line of JSON holding every figure")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per measurement (median); default 7")
    parser.add_argument(
        "--vlm-size",
        choices=["none", "tiny", "cpu", "7b"],
        default="cpu",
        help="synthetic Qwen2.5-VL size: 'cpu' runs in minutes on 2 cores; '7b' is the real "
        "dimensions (GPU only); 'none' skips the VLM part",
    )
    parser.add_argument(
        "--vlm-family",
        choices=["lychee", "qwen3-vl-reranker"],
        default="lychee",
        help="synthetic architecture: 'lychee' (Qwen2.5-VL, default) or 'qwen3-vl-reranker' (Qwen3-VL)",
    )
    parser.add_argument("--vlm-repeats", type=int, default=3, help="timed runs for the VLM part; default 3")
    parser.add_argument("--device", default=None, help="VLM device (default: cuda when available, else cpu)")
    parser.add_argument("--dtype", default=None, help="VLM dtype (default: bfloat16 on CUDA, float32 on CPU)")
    parser.add_argument("--skip-default", action="store_true", help="skip the embedded-default part")
    parser.add_argument(
        "--api",
        action="store_true",
        help="also benchmark the HTTP API against the library (starts a local server on a free port)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also benchmark relevant_spans through the API against one predict_pairs of its pairs (local server)",
    )
    parser.add_argument(
        "--model", default=None, help="measure this remote model (a URL, see docs/deploy.md) instead of the local parts"
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, help="with --model: requests in flight per endpoint (default 4)"
    )
    parser.add_argument(
        "--queries",
        type=int,
        default=20,
        help="with --model: queries x 50 fresh titles in the throughput run (default 20)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m eval.bench`` with ``argv`` (default: the process's arguments); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_args(args, parser)
    logging.basicConfig(level=logging.WARNING)
    results: dict[str, Any] = {"machine": machine()}
    if args.model is not None:
        try:
            results.update(_remote_results(args, parser))
        except (ValueError, ConnectionError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        args.skip_default, args.vlm_size = True, "none"  # the local parts measure another thing
    if not args.skip_default:
        results.update(bench_default(args.repeats))
    if args.api:
        from eval.bench.api import bench_api

        results.update(bench_api(args.repeats, titles=titles))
    if args.explain:
        from eval.bench.explain import bench_explain

        results.update(bench_explain(args.repeats, titles=titles))
    if args.vlm_size != "none":
        results.update(bench_vlm(args.vlm_size, args.vlm_repeats, args.device, args.dtype, family=args.vlm_family))
    print_results(results, as_json=args.json)
    return 0


def _check_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Refuse (``parser.error``, exit status 2) repeats below 1, and the 7b size where CUDA is missing."""
    if args.repeats < 1 or args.vlm_repeats < 1:
        parser.error(f"--repeats and --vlm-repeats must be >= 1, got {args.repeats} and {args.vlm_repeats}")
    if args.vlm_size == "7b" and (args.device or "cuda").startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            parser.error(
                "--vlm-size 7b builds the real Qwen2.5-VL-7B / Qwen3-VL-8B dimensions (about 16 GB in bfloat16) on "
                "the GPU, but CUDA is not available here. Use --vlm-size cpu (or tiny) on this machine."
            )


def _remote_results(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, Any]:
    """The remote model's measures (:mod:`eval.bench.remote`), after checking ``--model`` is a URL."""
    from eval.bench.remote import bench_remote
    from lychee.scorers.remote import is_remote

    if not is_remote(args.model) or args.concurrency < 1 or args.queries < 1:
        parser.error(
            f"--model must be the URL of a served model (http(s)://host:port...), got {args.model!r}; "
            "--concurrency and --queries must be >= 1."
        )
    return bench_remote(
        args.model, titles=titles, concurrency=args.concurrency, repeats=args.repeats, queries=args.queries
    )


def print_results(results: dict[str, Any], *, as_json: bool) -> None:
    """Print the ``measure  value`` table (floats to 4 decimals), then, with ``as_json``, one line of JSON."""
    width = max(len(k) for k in results)
    print(f"{'measure'.ljust(width)}  value")
    print(f"{'-' * width}  {'-' * 12}")
    for k, v in results.items():
        shown = f"{v:.4f}" if isinstance(v, float) else str(v)
        print(f"{k.ljust(width)}  {shown}")
    if as_json:
        print(json.dumps(results))


__all__ = [
    "IMAGE_KEYS",
    "VIDEO_KEYS",
    "bench_default",
    "bench_vlm",
    "build_parser",
    "compare_paths",
    "machine",
    "main",
    "print_results",
    "titles",
    "write_bench_clip",
]
