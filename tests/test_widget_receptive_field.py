"""The receptive-field explorer and the growth figure, driven headless."""

import re

import ipywidgets as widgets
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course.receptive_field import ReceptiveField, input_window, receptive_field
from course.widgets.core import Explorer, render_png
from course.widgets.receptive_field import (FieldView, build_stack, draw_receptive_field,
                                            explore, growth_curves, layer_specs, receptive_field_explorer,
                                            receptive_field_growth_figure)


def _caption(explorer: Explorer) -> str:
    (html,) = [w for w in explorer.widget.children if isinstance(w, widgets.HTML)]
    return re.sub(r"<[^>]+>", "", html.value)


def _patch(explorer: Explorer, axes: int, gid: str):
    (patch,) = [p for p in explorer.figure.axes[axes].patches if p.get_gid() == gid]
    return patch


def _rectangle(explorer: Explorer, axes: int = 0) -> tuple[tuple[int, int], tuple[int, int]]:
    """The solid rectangle as an inclusive ((y0, y1), (x0, x1)) pixel window."""
    patch = _patch(explorer, axes, "receptive-field")
    x, y = patch.get_xy()
    height, width = patch.get_height(), patch.get_width()
    return (round(y + 0.5), round(y + height - 0.5)), (round(x + 0.5), round(x + width - 0.5))


def _heat_support(explorer: Explorer) -> np.ndarray:
    (image,) = [im for im in explorer.figure.axes[1].images if im.get_gid() == "gradient"]
    return ~np.ma.getmaskarray(image.get_array())


def _stack(num_layers, kernel, downsampling, every, dilation) -> list[tuple]:
    """The explorer's stack written out independently: (kernel, stride, padding, dilation) tuples."""
    layers = []
    for i in range(1, num_layers + 1):
        down = downsampling != "none" and i % every == 0
        layers.append((kernel, 2 if down and downsampling == "stride-2 conv" else 1, dilation * (kernel - 1) // 2,
                       dilation))
        if down and downsampling == "2x2 max pooling":
            layers.append((2, 2, 0, 1))
    return layers


def _torch_output_size(num_layers, kernel, downsampling, every, dilation, size=64) -> tuple[int, int]:
    """PyTorch's own output size for the stack (kernels are odd, so (2, 2, 0, 1) is the pooling)."""
    x = torch.zeros(1, 1, size, size)
    for k, s, p, d in _stack(num_layers, kernel, downsampling, every, dilation):
        if (k, s, p, d) == (2, 2, 0, 1):
            x = nn.functional.max_pool2d(x, 2)
        else:
            x = nn.functional.conv2d(x, torch.ones(1, 1, k, k), stride=s, padding=p, dilation=d)
    return tuple(x.shape[2:])


def _reachable(layers: list[tuple], size: int, index: int) -> list[int]:
    """Input positions (one axis) connected to output ``index``: a direct walk through the taps."""
    sizes = [size]
    for k, s, p, d in layers:
        sizes.append((sizes[-1] + 2 * p - d * (k - 1) - 1) // s + 1)
    positions = {index}
    for (k, s, p, d), n in zip(reversed(layers), reversed(sizes[:-1])):
        positions = {x for q in positions for j in range(k) if 0 <= (x := q * s - p + j * d) < n}
    return sorted(positions)


SETTINGS = [
    dict(num_layers=4, kernel=3, downsampling="2x2 max pooling", every=2, dilation=1),
    dict(num_layers=6, kernel=5, downsampling="stride-2 conv", every=3, dilation=1),
    dict(num_layers=3, kernel=7, downsampling="none", every=2, dilation=1),
    dict(num_layers=5, kernel=3, downsampling="2x2 max pooling", every=1, dilation=2),
    dict(num_layers=8, kernel=1, downsampling="stride-2 conv", every=2, dilation=4),
    dict(num_layers=12, kernel=3, downsampling="2x2 max pooling", every=2, dilation=1),
]


def test_initial_caption_rectangle_and_sliders_show_the_default_stack():
    explorer = receptive_field_explorer()
    # 4 convs 3x3 with 2x2 pooling after conv 2 and 4: r = 3, 5, 6, 10, 14, 16; S = 4; P = 1 + 1 + 2 + 2
    assert "r = 16, S = 4, P = 6, output size 16x16" in _caption(explorer)
    assert explorer.controls["row"].max == explorer.controls["col"].max == 15
    row, col = explorer.controls["row"].value, explorer.controls["col"].value
    assert (row, col) == (7, 7)
    assert _rectangle(explorer, 0) == _rectangle(explorer, 1) == ((22, 37), (22, 37))  # 7 * 4 - 6 = 22
    assert "output pixel (7, 7) sees input rows 22..37, cols 22..37" in _caption(explorer)
    assert explorer.figure.axes[2].get_title() == "output 16x16"


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_controls_update_caption_rectangle_sliders_and_heatmap(settings):
    explorer = receptive_field_explorer()
    redraws = explorer.redraws
    for name, value in settings.items():
        explorer.controls[name].value = value
    changed = sum(value != default for value, default in zip(
        settings.values(), (4, 3, "2x2 max pooling", 2, 1)))
    assert explorer.redraws == redraws + changed, "one redraw per control change"
    out_h, out_w = _torch_output_size(**settings)
    assert (explorer.controls["row"].max, explorer.controls["col"].max) == (out_h - 1, out_w - 1)
    layers = _stack(**settings)
    field = receptive_field(layers)
    for position in [(0, 0), (out_h // 2, out_w - 1), (out_h - 1, out_w // 3)]:
        explorer.controls["row"].value, explorer.controls["col"].value = position
        expected = f"r = {field.size}, S = {field.stride}, P = {field.padding}, output size {out_h}x{out_w}"
        assert expected in _caption(explorer)
        (y0, y1), (x0, x1) = field.window(position[0]), field.window(position[1])
        assert f"output pixel {position} sees input rows {y0}..{y1}, cols {x0}..{x1}" in _caption(explorer)
        window = input_window(layers, position, input_size=(64, 64))
        assert _rectangle(explorer, 0) == _rectangle(explorer, 1) == window
        (cy0, cy1), (cx0, cx1) = window
        box = np.zeros((64, 64), bool)
        box[cy0:cy1 + 1, cx0:cx1 + 1] = True
        support = _heat_support(explorer)
        rows, cols = _reachable(layers, 64, position[0]), _reachable(layers, 64, position[1])
        reached = np.zeros((64, 64), bool)
        reached[np.ix_(rows, cols)] = True
        np.testing.assert_array_equal(support, reached, err_msg=f"{settings} at {position}")
        assert not (support & ~box).any(), f"{settings} at {position}: gradient outside the rectangle"
        if settings["dilation"] == 1:  # no holes: the support fills the rectangle
            np.testing.assert_array_equal(support, box, err_msg=f"{settings} at {position}")
        dashed = _patch(explorer, 0, "window")
        assert dashed.get_visible() == ((y0, y1, x0, x1) != (cy0, cy1, cx0, cx1))


def test_pixel_sliders_follow_the_output_size_and_keep_their_relative_place():
    explorer = receptive_field_explorer()
    explorer.controls["row"].value = 15  # the last row of the 16x16 output
    explorer.controls["col"].value = 0
    explorer.controls["downsampling"].value = "none"
    assert explorer.controls["row"].max == 63 and explorer.controls["row"].value == 63
    assert explorer.controls["col"].value == 0
    explorer.controls["every"].value = 1
    assert explorer.controls["row"].max == 63, "'every' does nothing without downsampling"
    explorer.controls["downsampling"].value = "stride-2 conv"
    assert explorer.controls["row"].max == 3 and explorer.controls["row"].value == 3  # 64 / 2^4
    assert "output size 4x4" in _caption(explorer) and "output pixel (3, 0)" in _caption(explorer)


def test_a_stack_that_shrinks_the_input_to_nothing_gives_a_message_not_an_exception():
    explorer = receptive_field_explorer()
    explorer.controls["every"].value = 1
    explorer.controls["num_layers"].value = 7  # 7 poolings: 64 -> 32 -> ... -> 1 -> nothing
    assert _caption(explorer) == ("No output: layer pool7 gets a feature map of size 1, too small for its 2-pixel "
                                  "window with padding 0: a 64x64 input is too small for this network. Use fewer "
                                  "layers or downsample less often.")
    assert explorer.controls["row"].max == 0
    assert not explorer.figure.axes[1].get_visible() and explorer.figure.axes[0].get_visible()
    assert "No output" in explorer.figure.texts[-1].get_text()
    explorer.controls["num_layers"].value = 6
    assert "r = 190, S = 64, P = 63, output size 1x1" in _caption(explorer)
    assert explorer.figure.axes[1].get_visible() and explorer.figure.texts[-1].get_text() == ""
    assert receptive_field(_stack(6, 3, "2x2 max pooling", 1, 1)) == ReceptiveField(190, 64, 63)


def test_explore_clamps_the_pixel_and_measures_the_gradient():
    view = explore(2, 5, "none", 2, 1, row=99, col=-3)
    assert view.position == (63, 0) and view.output_shape == (64, 64)
    assert view.field == ReceptiveField(9, 1, 4)
    assert view.window == ((59, 67), (-4, 4))
    assert view.gradient.shape == (64, 64)
    np.testing.assert_array_equal(np.argwhere(view.gradient > 0).min(0), [59, 0])
    np.testing.assert_array_equal(np.argwhere(view.gradient > 0).max(0), [63, 4])


def test_dilated_stacks_without_downsampling_show_the_gridding_lattice():
    view = explore(3, 3, "none", 2, 2, 32, 32)  # taps 2 pixels apart in every layer
    assert view.window == ((26, 38), (26, 38))
    support = view.gradient > 0
    np.testing.assert_array_equal(np.argwhere(support.any(1)).ravel(), np.arange(26, 39, 2))
    assert support.sum() == 7 * 7


def test_layer_specs_and_the_built_stack():
    assert layer_specs(3, 3, "2x2 max pooling", 2, 2) == [
        ("conv1", 3, 1, 2, 2), ("conv2", 3, 1, 2, 2), ("pool1", 2, 2, 0, 1), ("conv3", 3, 1, 2, 2)]
    assert layer_specs(2, 5, "stride-2 conv", 1) == [("conv1", 5, 2, 2, 1), ("conv2", 5, 2, 2, 1)]
    model = build_stack(layer_specs(3, 3, "2x2 max pooling", 2, 2))
    assert list(dict(model.named_children())) == ["conv1", "relu1", "conv2", "relu2", "pool1", "conv3", "relu3"]
    assert model(torch.zeros(1, 1, 20, 20)).shape == (1, 1, 10, 10)
    for kwargs, message in [
        (dict(downsampling="avg"), r"expected downsampling to be one of \('none', '2x2 max pooling', "
                                   r"'stride-2 conv'\), got 'avg'"),
        (dict(kernel=4), r"expected an odd kernel \(the stack pads 'same'\), got 4"),
        (dict(num_layers=0), r"expected num_layers to be an int >= 1, got 0"),
        (dict(every=True), r"expected every to be an int >= 1, got True"),
        (dict(dilation=[1, 2]), r"expected dilation to be an int >= 1 or 3 of them, got \[1, 2\]"),
    ]:
        with pytest.raises(ValueError, match=message):
            layer_specs(**(dict(num_layers=3, kernel=3) | kwargs))


def test_growth_curves_by_hand():
    curves = growth_curves(8, 3)
    assert list(curves) == ["plain 3x3 convs", "2x2 max pooling every 2 layers", "stride-2 conv every 2 layers",
                            "dilated convs (dilation 1, 2, 4, ...)"]
    assert curves["plain 3x3 convs"] == [1 + 2 * n for n in range(1, 9)]
    # conv, conv, pool: 3, 5, 6; then steps of 2 * 2 per conv and 1 * 2 for the pool ...
    assert curves["2x2 max pooling every 2 layers"] == [3, 6, 10, 16, 24, 36, 52, 76]
    assert curves["stride-2 conv every 2 layers"] == [3, 5, 9, 13, 21, 29, 45, 61]
    assert curves["dilated convs (dilation 1, 2, 4, ...)"] == [2 ** (n + 1) - 1 for n in range(1, 9)]
    assert growth_curves(4, 5)["plain 5x5 convs"] == [5, 9, 13, 17]


def test_growth_figure_has_four_curves_on_a_log_scale_and_the_input_size_line():
    fig = receptive_field_growth_figure(max_depth=16, kernel=3)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    curves = [line for line in ax.get_lines() if line.get_label() in growth_curves(16, 3)]
    assert len(curves) == 4
    assert [list(line.get_ydata()) for line in curves] == list(growth_curves(16, 3).values())
    (reference,) = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert list(reference.get_ydata()) == [512, 512]
    assert "plain 3x3 convs need 256 layers to see 512 px" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(growth_curves(16, 3))
    assert render_png(fig)[:4] == b"\x89PNG"


def test_draw_receptive_field_for_a_view_and_for_a_message():
    fig = draw_receptive_field(explore(1, 3, "none", 2, 1, 0, 0))
    assert len(fig.axes) == 3 and all(ax.get_visible() for ax in fig.axes)
    fig = draw_receptive_field(FieldView(None, None, None, None, None, 64, "No output: too small"))
    assert not fig.axes[1].get_visible() and fig.texts[-1].get_text() == "No output: too small"
