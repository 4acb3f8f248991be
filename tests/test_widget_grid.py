"""The shared grid drawing: colours, number formats, glyph text, cells, boxes, messages."""

import numpy as np
import pytest

from course import viz
from course.widgets import grid
from course.widgets.core import render_png


def test_colours_come_from_the_course_palette():
    assert (grid.HIGHLIGHT, grid.WRONG) == (viz.PALETTE[1], viz.PALETTE[6])
    assert grid.PADDING == "#e4e4e4" == grid.lighten(viz.PALETTE[9], 0.62)
    assert grid.lighten("#000000", 0.5) == "#808080" and grid.lighten("red", 1) == "#ffffff"


def test_tint_blends_the_chosen_cells_only():
    cells = np.array([[True, False], [False, False]])
    rgb = grid.tint((2, 2), cells, "black", amount=0.25)
    np.testing.assert_allclose(rgb[0, 0], 0.75)
    np.testing.assert_allclose(rgb[1:, :].reshape(-1, 3), 1.0)
    base = np.zeros((2, 2, 3))
    np.testing.assert_allclose(grid.tint((2, 2), True, "white", np.array([[0, 1], [0.5, 0]]), base)[..., 0],
                               [[0, 1], [0.5, 0]])


def test_shade_grows_with_the_magnitude_and_leaves_masked_cells_white():
    rgb = grid.shade([[0, -2, 4]], 4, "black", mask=[[True, True, False]])
    np.testing.assert_allclose(rgb[0, :, 0], [0.88, 0.58, 1.0])


@pytest.mark.parametrize("value, digits, text", [(6, 3, "6"), (6.0, 3, "6"), (3.25, 3, "3.25"), (2 / 3, 2, "0.67"),
                                                 (-4.0, 3, "-4"), (float("nan"), 3, "nan"), (np.int64(12), 2, "12")])
def test_format_number(value, digits, text):
    assert grid.format_number(value, digits) == text


def test_glyphs_are_centred_and_placed_by_vertical_alignment():
    low, high = grid.digit_extent()
    assert -0.05 < low < 0 and 0.6 < high < 0.8
    one = grid.glyphs("10", 10).get_extents()
    assert one.x0 == pytest.approx(-one.x1) and one.y0 == pytest.approx(-one.y1)
    two = grid.glyphs("0\n0", 10, va="top").get_extents()
    assert two.y1 == pytest.approx(0, abs=1e-9) and two.y0 == pytest.approx(-12.5 - 10 * (high - low))
    middle = grid.glyphs("0\n0", 10).get_extents()
    assert middle.y0 == pytest.approx(-middle.y1)
    bottom = grid.glyphs("0", 10, va="bottom").get_extents()
    assert bottom.y0 == pytest.approx(2.5 + 10 * low)
    assert len(grid.glyphs(" \n", 10).vertices) == 1  # blank: an empty outline
    np.testing.assert_allclose(grid.extents("100", 20), 2 * grid.extents("100", 10))
    x0, _, x1, _ = grid.extents("100", 6)
    assert grid.fit(["1", "100"], 12, x1 - x0) == pytest.approx(6)
    assert grid.fit(["1"], 12, 100) == 12


def test_cells_numbers_boxes_and_labels_land_where_asked():
    fig, ax = grid.canvas(6, 4, 0.5, margin=1)
    assert tuple(fig.get_size_inches()) == (4, 3) and ax.get_xlim() == (-1, 7) and ax.get_ylim() == (5, -1)
    values = np.array([[1, 2.5], [3, 40]])
    image = grid.draw_cells(ax, grid.tint((2, 2), values > 2, grid.HIGHLIGHT), (1, 2), "g", cell=0.5)
    assert tuple(image.get_extent()) == (2, 3, 2, 1) and image.get_gid() == "g" and list(ax.images) == [image]
    np.testing.assert_array_equal(image.get_array(), grid.tint((2, 2), values > 2, grid.HIGHLIGHT))
    numbers = grid.draw_numbers(ax, values, (1, 2), 9, "g/numbers", cell=0.5, bold=values > 2)
    assert numbers.get_label() == numbers.get_text() == "1 2.5 3 40"
    np.testing.assert_allclose(numbers.get_offsets(), [[2.25, 1.25], [2.75, 1.25], [2.25, 1.75], [2.75, 1.75]])
    assert list(numbers.get_sizes()) == [81]  # outlines at 1 point, scaled to 9 (sizes are areas)
    np.testing.assert_allclose(numbers.get_paths()[3].vertices * 9, grid.glyphs("40", 9, "bold").vertices)
    assert grid.draw_text(ax, ["40"], [(0, 0)], 20, bold=True).get_paths()[0] is numbers.get_paths()[3]  # cached
    rect = grid.box(ax, 1, 0, 1, 2, origin=(1, 2), cell=0.5, gid="b", lw=1)
    assert rect.get_xy() == (2, 1.5) and (rect.get_width(), rect.get_height()) == (1, 0.5) and rect.get_linewidth() == 1
    title = grid.label(ax, 3, 0.9, "a title\nin two lines", 10, gid="t")
    assert title.get_text() == "a title\nin two lines" and title.get_gid() == "t"
    np.testing.assert_allclose(title.get_offsets(), [[3, 0.9]])
    ink = title.get_window_extent()  # like a Text: unclipped, and a tight bounding box holds its ink
    x0, y0, x1, y1 = grid.extents("a title\nin two lines", 10, va="bottom") * fig.dpi / 72
    (x, y), = ax.transData.transform([(3, 0.9)])
    np.testing.assert_allclose(ink.extents, [x + x0, y + y0, x + x1, y + y1])
    assert not title.get_clip_on()
    assert grid.grid_lines((0, 0), (2, 4), step=(2, 2)) == [
        [(0, 0), (4, 0)], [(0, 2), (4, 2)], [(0, 0), (0, 2)], [(2, 0), (2, 2)], [(4, 0), (4, 2)]]
    assert render_png(fig)[:4] == b"\x89PNG"


def test_wrap_keeps_shapes_whole_and_cuts_lines():
    text = "expected an array of shape (1, 1, 2, 2), got shape (4, 4)"
    assert grid.wrap(text, 30) == "expected an array of shape\n(1, 1, 2, 2), got shape (4, 4)"
    assert grid.wrap("one two three\nfour", 7, max_lines=2) == "one two\nthree"


def test_message_figure_says_the_text_in_the_error_colour():
    fig = grid.message_figure("No output for this combination:\n" + "word " * 30)
    (text,) = fig.texts
    assert text.get_gid() == "message" and text.get_color() == grid.WRONG
    assert text.get_text().count("\n") == 2 and fig.get_size_inches()[1] == pytest.approx(0.9)


def test_canvas_reuses_a_figure_it_made_emptied_and_resized():
    fig, ax = grid.canvas(6, 4, 0.5)
    grid.draw_cells(ax, np.ones((2, 2, 3)), (0, 0), "g")
    grid.label(ax, 1, 1, "old")
    again, ax2 = grid.canvas(3, 2, 1.0, margin=0.5, reuse=fig)
    assert again is fig and ax2 is ax and fig.axes == [ax]
    assert not (ax.images or ax.collections or ax.patches or ax.texts)
    assert tuple(fig.get_size_inches()) == (4, 3) and ax.get_xlim() == (-0.5, 3.5) and ax.get_ylim() == (2.5, -0.5)
    other = grid.message_figure("not a canvas")
    assert grid.canvas(3, 2, 1.0, reuse=other)[0] is not other


def test_a_message_figure_becomes_an_image_in_a_notebook():
    """IPython renders no PNG for a figure without axes: the message would show as '<Figure ...>' text."""
    from IPython.core.pylabtools import print_figure

    from course.widgets.grid import message_figure

    assert print_figure(message_figure("kernel larger than the input")) is not None
