"""Re-create the README screenshots in docs/screenshots/ from a live dashboard in headless Chromium.

Usage (from the repository root)::

    .venv/bin/python tests/app/take_screenshots.py            # serves with ./start.sh on a free port
    /some/python tests/app/take_screenshots.py --python /some/python   # serve with that interpreter instead

Each page is opened fresh, its example input is run (Score / Rerank), and a full-page PNG is saved. PNGs are reduced to
a 256-colour palette (and downscaled if still needed) so each stays under 500 KB.
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser  # noqa: E402  (a sibling helper module, not a package)

MAX_BYTES = 500 * 1024
logger = logging.getLogger("take_screenshots")


def save_small_png(png: bytes, path: Path, *, max_bytes: int = MAX_BYTES) -> int:
    """Save ``png`` as a palette PNG no larger than ``max_bytes`` (downscaling if needed); returns the size."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    while True:
        buf = io.BytesIO()
        img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(buf, "PNG", optimize=True)
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
    page.wait_for_timeout(800)
    size = save_small_png(page.screenshot(full_page=True), path)
    logger.info("saved %s (%d KB)", path, size // 1024)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", help="serve with `<python> -m streamlit` instead of ./start.sh")
    parser.add_argument("--out", type=Path, default=browser.ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)

    with browser.serve(python=args.python) as url, browser.chromium(width=1400, height=900) as page:
        page.goto(url)
        page.get_by_text("is loaded").first.wait_for()
        shoot(page, args.out / "home.png")

        page.goto(f"{url}/Single_pair")
        page.get_by_role("button", name="Score and explain").click()
        page.get_by_text("Biggest effects").wait_for()
        shoot(page, args.out / "single_pair.png")

        page.goto(f"{url}/Batch_rerank")
        page.get_by_role("button", name="Rerank").click()
        page.get_by_text("Top result").wait_for()
        shoot(page, args.out / "batch_rerank.png")

        if (browser.ROOT / "pages" / "3_Evaluation.py").exists():
            page.goto(f"{url}/Evaluation")
            page.get_by_role("heading").first.wait_for()
            shoot(page, args.out / "evaluation.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
