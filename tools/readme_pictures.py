"""Make the README's lesson pictures, docs/images/lesson-NN.png, one per lesson in solutions/, and
autograder/README.md's picture of a feedback page, docs/images/feedback.png.

A lesson with widgets gets the browser tests' screenshot of its first explorer as a student first
sees it (``tests/browser/artifacts/solutions/<lesson>/cell<N>-0-00-before.png``, written by
``pytest tests/browser``); any other lesson gets the largest figure stored in its solution
notebook's cells tagged ``readme-picture``, or in all its cells if none is tagged. The feedback
page is the browser tests' screenshot ``tests/browser/artifacts/feedback/course-grade.png``
(``tests/browser/test_feedback.py``). Pictures are scaled to at most ``--width`` pixels and stored
as palette PNGs of at most ``--max-kb`` kilobytes.

    python tools/readme_pictures.py            # from the screenshots of the last browser test run
    python tools/readme_pictures.py --browser  # run the browser tests first (about two minutes)
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("COURSE_BROWSER_ARTIFACTS") or ROOT / "tests" / "browser" / "artifacts")
OUT = ROOT / "docs" / "images"
PICTURE_TAG = "readme-picture"
BEFORE = re.compile(r"cell(\d+)-0-00-before\.png")


def screenshot(lesson: str) -> Path | None:
    """The first explorer's screenshot before any interaction, if the browser tests made one."""
    shots = sorted((int(m.group(1)), p) for p in (ARTIFACTS / "solutions" / lesson).glob("*.png")
                   if (m := BEFORE.fullmatch(p.name)))
    return shots[0][1] if shots else None


def largest_figure(notebook: Path) -> Image.Image:
    """The stored image/png output with the most pixels of ``notebook``'s cells tagged
    ``readme-picture`` (of all its code cells if none is)."""
    cells = [cell for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
    cells = [cell for cell in cells if PICTURE_TAG in cell.metadata.get("tags", [])] or cells
    images = [Image.open(io.BytesIO(base64.b64decode(out["data"]["image/png"])))
              for cell in cells for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]
    if not images:
        raise ValueError(f"expected a stored figure in {notebook.name}, got none "
                         "(run the browser tests for a widget screenshot, or execute the notebook)")
    return max(images, key=lambda image: image.width * image.height)


def small_png(image: Image.Image, width: int, max_kb: int) -> bytes:
    """``image`` at most ``width`` px wide as a palette PNG of at most ``max_kb`` KB (fewer colours,
    then a smaller width, until it fits)."""
    image = image.convert("RGB")
    for colors in (256, 128, 64, 32):
        scale = min(1.0, width / image.width)
        while True:
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            small = image.resize(size, Image.Resampling.LANCZOS).quantize(
                colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)  # keeps rare colours
            buffer = io.BytesIO()
            small.save(buffer, format="PNG", optimize=True)
            if buffer.tell() <= max_kb * 1024:
                return buffer.getvalue()
            if scale < 0.5 or colors != 32:
                break
            scale *= 0.85
    raise ValueError(f"expected a picture of at most {max_kb} KB, got {buffer.tell() // 1024} KB at the smallest")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--browser", action="store_true", help="run the browser tests first, for fresh screenshots")
    parser.add_argument("--width", type=int, default=640, help="largest width in pixels (default 640)")
    parser.add_argument("--max-kb", type=int, default=120, help="largest file size in KB (default 120)")
    args = parser.parse_args(argv)
    if args.width < 64 or args.max_kb < 8:
        parser.error(f"expected --width >= 64 and --max-kb >= 8, got {args.width} and {args.max_kb}")
    if args.browser:
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--no-header",
                        "tests/browser/test_lessons.py", "tests/browser/test_feedback.py", "-k",
                        "solution or pictured"], cwd=ROOT, check=True,
                       env=dict(os.environ, COURSE_BROWSER_FAST="1"))  # trained as nbval trains, not for one epoch
    OUT.mkdir(parents=True, exist_ok=True)
    for notebook in sorted((ROOT / "solutions").glob("[0-9][0-9]-*/*.ipynb")):
        lesson = notebook.parent.name
        shot = screenshot(lesson)
        image = Image.open(shot) if shot else largest_figure(notebook)
        data = small_png(image, args.width, args.max_kb)
        target = OUT / f"lesson-{lesson[:2]}.png"
        target.write_bytes(data)
        source = shot.relative_to(ROOT) if shot and shot.is_relative_to(ROOT) else (shot or f"{notebook.relative_to(ROOT)} (largest figure)")
        print(f"{target.relative_to(ROOT)}  {len(data) / 1024:5.1f} KB  from {source}")
    shot = ARTIFACTS / "feedback" / "course-grade.png"
    if not shot.is_file():
        print(f"expected a screenshot of a feedback page at {shot}, got none: run with --browser", file=sys.stderr)
        return 1
    data = small_png(Image.open(shot), args.width, args.max_kb)
    (OUT / "feedback.png").write_bytes(data)
    print(f"{(OUT / 'feedback.png').relative_to(ROOT)}  {len(data) / 1024:5.1f} KB  from {shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
