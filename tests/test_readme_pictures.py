"""tools/readme_pictures.py: which stored figure becomes a lesson's README picture, and its size."""

import base64
import io
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from PIL import Image

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import readme_pictures  # noqa: E402


def _figure_cell(width, height, tags=()):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    cell = new_code_cell("plot()", outputs=[new_output("display_data", data={
        "image/png": base64.b64encode(buffer.getvalue()).decode(), "text/plain": "<Figure>"})])
    cell.metadata["tags"] = list(tags)
    return cell


def test_the_tagged_figure_wins_over_a_larger_one(tmp_path):
    path = tmp_path / "lesson.ipynb"
    nbformat.write(new_notebook(cells=[_figure_cell(300, 200), _figure_cell(100, 80, ["readme-picture"]),
                                       _figure_cell(120, 90, ["readme-picture"])]), path)
    assert readme_pictures.largest_figure(path).size == (120, 90)
    nbformat.write(new_notebook(cells=[_figure_cell(300, 200), _figure_cell(100, 80)]), path)
    assert readme_pictures.largest_figure(path).size == (300, 200)
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), path)
    with pytest.raises(ValueError, match="expected a stored figure in lesson.ipynb, got none"):
        readme_pictures.largest_figure(path)


def test_pictures_are_narrow_and_small_or_explain_why_not():
    gradient = Image.linear_gradient("L").resize((1600, 900)).convert("RGB")
    data = readme_pictures.small_png(gradient, width=640, max_kb=20)
    picture = Image.open(io.BytesIO(data))
    assert picture.size == (640, 360) and len(data) <= 20 * 1024
    noise = Image.effect_noise((800, 400), 80).convert("RGB")
    with pytest.raises(ValueError, match="expected a picture of at most 8 KB, got"):
        readme_pictures.small_png(noise, width=640, max_kb=8)
