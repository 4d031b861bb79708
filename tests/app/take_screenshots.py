"""Re-create the README screenshots in docs/screenshots/ from a live dashboard in headless Chromium.

Usage (from the repository root)::

    .venv/bin/python tests/app/take_screenshots.py            # serves with ./start.sh on a free port
    /some/python tests/app/take_screenshots.py --python /some/python   # serve with that interpreter instead

Each page is opened fresh, its example input is run (Score / Rerank), and a full-page PNG is saved. PNGs are reduced to
a 256-colour palette (and downscaled if still needed) so each stays under 500 KB.

``--zh`` adds the README's two Chinese screenshots, taken in a zh-CN browser: ``batch_rerank_zh.png`` (a query and
titles of the Chinese sample set reranked by BM25, the one offline model that reads Chinese) and
``evaluation_segments_zh.png`` (the Evaluation page's per-segment table of that set, on the embedded default model);
``--only-zh`` takes only those. Chinese needs a CJK font (Debian's fonts-noto-cjk; ``./start.sh test`` installs it).

``--synthetic-vlm`` adds ``single_pair_image_synthetic.png``: the single-pair page on a randomly initialised tiny
Lychee checkpoint (lychee.synthetic) with an uploaded image, to show the image heatmap. Its scores and heatmap are
random and mean nothing; say so wherever it is shown.
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))  # the repository root, for lychee
import browser

MAX_BYTES = 500 * 1024
logger = logging.getLogger("take_screenshots")


def save_small_png(png: bytes, path: Path, *, max_bytes: int = MAX_BYTES) -> int:
    """Save ``png`` as a palette PNG no larger than ``max_bytes`` (downscaling if needed); returns the size."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    while True:
        buf = io.BytesIO()
        img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            buf, "PNG", optimize=True
        )
        if buf.tell() <= max_bytes or img.width < 400:
            break
        img = img.resize((int(img.width * 0.85), int(img.height * 0.85)), Image.LANCZOS)
    path.write_bytes(buf.getvalue())
    return buf.tell()


def shoot(page, path: Path, *, width: int = 1400) -> None:
    """Grow the viewport to the page's content (Streamlit scrolls inside stMain, so full_page alone cuts it), shoot."""
    browser.wait_idle(page)
    page.wait_for_timeout(800)  # let charts and fonts settle
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }"
    )
    page.set_viewport_size({"width": width, "height": max(900, min(int(height) + 40, 4000))})
    # a page taller than the cap shows its top: Streamlit may have scrolled to the last output
    page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollTo(0, 0)")
    page.wait_for_timeout(800)
    size = save_small_png(page.screenshot(full_page=True), path)
    page.set_viewport_size({"width": width, "height": 900})  # so the next page is measured from scratch
    logger.info("saved %s (%d KB)", path, size // 1024)


def demo_image(path: Path) -> Path:
    """A simple product-style picture (a red sneaker shape on white) for the image-upload screenshot."""
    img = Image.new("RGB", (480, 320), "white")
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle([60, 150, 420, 250], radius=40, fill=(200, 30, 40))
    draw.polygon([(60, 200), (180, 90), (300, 150), (300, 200)], fill=(220, 50, 60))
    draw.rectangle([50, 240, 430, 265], fill=(240, 240, 240), outline=(120, 120, 120))
    for x in range(150, 290, 30):
        draw.line([(x, 120), (x + 25, 160)], fill="white", width=4)
    img.save(path)
    return path


def synthetic_vlm_shot(args: argparse.Namespace) -> None:
    from lychee.synthetic import build_synthetic_checkpoint

    with tempfile.TemporaryDirectory(prefix="lychee-shots-") as tmp:
        folder = build_synthetic_checkpoint(Path(tmp) / "synthetic-lychee-tiny", family="lychee", size="tiny")
        image = demo_image(Path(tmp) / "red-sneaker.png")
        env = {"LYCHEE_MODEL": str(folder)}
        with browser.serve(python=args.python, env=env) as url, browser.chromium(width=1400, height=900) as page:
            page.goto(f"{url}/Single_pair")
            page.get_by_role("button", name="Score and explain").wait_for()
            browser.wait_idle(page)
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').nth(2).set_input_files(str(image))  # query image, query clip, document image
            browser.wait_idle(page)
            page.get_by_role("button", name="Score and explain").click()
            page.get_by_text("Biggest effects").wait_for()
            page.get_by_role("tab", name="Image heatmaps").click()
            shoot(page, args.out / "single_pair_image_synthetic.png")


ZH_SET = browser.ROOT / "eval" / "data" / "ecommerce_zh.jsonl"


def shoot_between(page, top, bottom, path: Path, *, stop_above_bottom: bool = False, sidebar: bool = False) -> None:
    """Shoot the page from the locator ``top`` down to the locator ``bottom`` (included, or cut just above it with
    ``stop_above_bottom``), the main column only unless ``sidebar``; the viewport is grown to the whole page first, as
    :func:`shoot` does, so nothing is scrolled away."""
    browser.wait_idle(page)
    page.wait_for_timeout(800)
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }"
    )
    page.set_viewport_size({"width": 1400, "height": max(900, min(int(height) + 40, 8000))})
    page.wait_for_timeout(800)
    first, last = top.bounding_box(), bottom.bounding_box()
    main = page.get_by_test_id("stMain").bounding_box()
    y0 = max(0, first["y"] - 16)
    y1 = last["y"] - 8 if stop_above_bottom else last["y"] + last["height"] + 16
    x0 = 0 if sidebar else main["x"]
    clip = {"x": x0, "y": y0, "width": main["x"] + main["width"] - x0, "height": y1 - y0}
    size = save_small_png(page.screenshot(clip=clip, full_page=True), path)
    page.set_viewport_size({"width": 1400, "height": 900})
    logger.info("saved %s (%d KB)", path, size // 1024)


def chinese_shots(args: argparse.Namespace, env: dict[str, str]) -> None:
    """The Batch rerank page and the Evaluation page's segment table in a zh-CN browser."""
    import json

    first = json.loads(ZH_SET.read_text(encoding="utf-8").splitlines()[0])
    query, titles = first["query"]["text"], [c["text"] for c in first["candidates"]]
    with (
        browser.serve(python=args.python, env={**env, "LYCHEE_MODEL": "bm25"}) as url,
        browser.chromium(width=1400, height=900, locale="zh-CN") as page,
    ):
        page.goto(f"{url}/Batch_rerank")
        page.get_by_role("button", name="重排序").wait_for()
        browser.wait_idle(page)
        page.get_by_role("textbox", name="查询", exact=True).fill(query)
        page.get_by_role("textbox", name="标题 — 每行一个，最多 50 个").fill("\n".join(titles))
        page.get_by_role("button", name="重排序").click()
        page.get_by_text("排名第一").wait_for()
        shoot_between(
            page,
            page.get_by_test_id("stAppViewContainer"),
            page.get_by_role("heading", name="为什么 A 排在 B 之上"),
            args.out / "batch_rerank_zh.png",
            stop_above_bottom=True,
            sidebar=True,
        )
    with (
        browser.serve(python=args.python, env=env) as url,
        browser.chromium(width=1400, height=900, locale="zh-CN") as page,
    ):
        page.goto(f"{url}/Evaluation")
        page.get_by_role("button", name="运行评测").wait_for()
        browser.wait_idle(page)
        page.get_by_role("combobox", name="示例集").click()
        page.get_by_role("option").filter(has_text="ecommerce_zh.jsonl").first.click()
        browser.wait_idle(page)
        page.get_by_role("button", name="运行评测").click()
        page.get_by_text("已记入运行记录").wait_for(timeout=600_000)
        browser.wait_idle(page, timeout=600)
        shoot_between(
            page,
            page.get_by_text("分组结果").first,
            page.get_by_text("柱：各系统的平均值").first,
            args.out / "evaluation_segments_zh.png",
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", help="serve with `<python> -m streamlit` instead of ./start.sh")
    parser.add_argument("--out", type=Path, default=browser.ROOT / "docs" / "screenshots")
    parser.add_argument("--synthetic-vlm", action="store_true", help="also shoot the image heatmap on a random VLM")
    parser.add_argument("--only-synthetic-vlm", action="store_true", help="shoot only the image heatmap on a random VLM")
    parser.add_argument("--zh", action="store_true", help="also shoot Batch rerank and the segment table in Chinese")
    parser.add_argument("--only-zh", action="store_true", help="shoot only the two Chinese screenshots")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only_synthetic_vlm:
        synthetic_vlm_shot(args)
        return 0

    # Runs and saved sets of this session go to a temporary workspace, never into the repository's data/.
    workspace = Path(tempfile.mkdtemp(prefix="lychee-shots-workspace-"))
    env = {"LYCHEE_RUNS_DB": str(workspace / "runs.sqlite"), "LYCHEE_SETS_DIR": str(workspace / "sets")}
    if args.only_zh:
        chinese_shots(args, env)
        return 0
    with browser.serve(python=args.python, env=env) as url, browser.chromium(width=1400, height=900) as page:
        page.goto(url)
        page.get_by_text("is loaded").first.wait_for()
        shoot(page, args.out / "home.png")

        page.goto(f"{url}/Single_pair")
        page.get_by_role("button", name="Score and explain").click()
        page.get_by_text("Biggest effects").wait_for()
        page.get_by_text("Comprehensiveness").first.wait_for()  # the deletion curve beside the highlights
        shoot(page, args.out / "single_pair.png")

        page.goto(f"{url}/Batch_rerank")
        page.get_by_role("button", name="Rerank").click()
        page.get_by_text("Top result").wait_for()
        shoot(page, args.out / "batch_rerank.png")

        # The Chinese set with its four segments, on the embedded default (the page warns it reads English), twice:
        # the second run gives the Runs page two runs of one set to compare.
        page.goto(f"{url}/Evaluation")
        run = page.get_by_role("button", name="Run evaluation")
        run.wait_for()
        browser.wait_idle(page)
        page.get_by_role("combobox", name="Sample set").click()
        page.get_by_role("option").filter(has_text="ecommerce_zh.jsonl").first.click()
        browser.wait_idle(page)
        for n_runs in (1, 2):
            page.get_by_role("button", name="Run evaluation").click()
            page.get_by_text(f"Recorded as run #{n_runs}").wait_for(timeout=600_000)
            browser.wait_idle(page, timeout=600)
        page.get_by_text("Per segment").first.wait_for()
        shoot(page, args.out / "evaluation.png")

        page.goto(f"{url}/Runs")
        page.get_by_text("Runs").first.wait_for()
        browser.wait_idle(page)
        shoot(page, args.out / "runs.png")
    if args.synthetic_vlm:
        synthetic_vlm_shot(args)
    if args.zh:
        chinese_shots(args, {**env, "LYCHEE_RUNS_DB": str(workspace / "runs_zh.sqlite")})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
