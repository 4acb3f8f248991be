"""Strided convolution explorer: where the filter sits in the input for every output position.

Compute (pure): :func:`conv_positions`, :func:`conv_taps` and
:func:`output_size_formula` along one axis, as ``torch.nn.functional.conv2d`` counts them
(the size itself: :func:`course.geometry.conv_output_size`).
Draw: :func:`draw_strided_conv`, with the shared grid drawing of :mod:`course.widgets.grid`.
Wiring: :func:`strided_conv_explorer`.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from ..arguments import check_int
from ..geometry import conv_output_size, sliding_length
from .. import viz
from .core import Explorer, slider
from .grid import HIGHLIGHT, PADDING, box, canvas, draw_cells, draw_text, label, message_figure, tint

DONE = viz.PALETTE[2]  # sky blue: output cells already computed


# ---------------------------------------------------------------------------
# Compute
# ---------------------------------------------------------------------------


def _check_geometry(size, kernel, stride, padding, dilation) -> tuple[int, int, int, int, int]:
    return (check_int("size", size, 1), check_int("kernel", kernel, 1),
            check_int("stride", stride, 1), check_int("padding", padding, 0),
            check_int("dilation", dilation, 1))


def conv_positions(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> np.ndarray:
    """Input index (int64, shape (out,)) of the top-left tap of every output position.

    Indices are in the unpadded input: ``i * stride - padding``; negative ones (and ones
    >= ``size``) fall in the zero padding.
    """
    out = conv_output_size(size, kernel, stride, padding, dilation)
    return np.arange(out, dtype=np.int64) * stride - padding


def conv_taps(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> np.ndarray:
    """Input index (int64, shape (out, kernel)) of every tap of the filter at every output position."""
    starts = conv_positions(size, kernel, stride, padding, dilation)
    return starts[:, None] + dilation * np.arange(kernel, dtype=np.int64)


def output_size_formula(size: int, kernel: int, stride: int = 1, padding: int = 0,
                        dilation: int = 1, name: str = "H") -> str:
    """The output-size formula with symbols, with numbers, and its value.

    Terms that do not apply are left out (no padding, no dilation), e.g.
    ``"floor((H - k) / s) + 1 = floor((4 - 2) / 2) + 1 = 2"``. A value <= 0 means the kernel
    does not fit; the text then says so instead of raising.
    """
    size, kernel, stride, padding, dilation = _check_geometry(size, kernel, stride, padding, dilation)
    symbols = name + (" + 2p" if padding else "") + (" - k" if dilation == 1 else " - d(k - 1) - 1")
    numbers = f"{size}" + (f" + 2*{padding}" if padding else "") + (
        f" - {kernel}" if dilation == 1 else f" - {dilation}*({kernel} - 1) - 1")
    value = sliding_length(size, kernel, stride, padding, dilation)
    text = f"floor(({symbols}) / s) + 1 = floor(({numbers}) / {stride}) + 1 = {value}"
    if value <= 0:
        text += " (the kernel does not fit: no output)"
    return text


# ---------------------------------------------------------------------------
# Draw
# ---------------------------------------------------------------------------


def draw_strided_conv(size: int, kernel: int, stride: int, padding: int, dilation: int,
                      position: int, reuse: Figure | None = None) -> Figure:
    """The zero-padded input with the filter's taps at output ``position`` (row-major; its previous
    place dashed), the output grid (cells done in blue), an arrow between them and a caption
    ``output (i, j) <- input rows a..b, cols c..d``.

    Images ``gid`` "input" (the padded grid) and "output"; boxes "footprint", "previous", "cell".
    ``reuse``: the figure drawn last, redrawn (see :func:`~course.widgets.grid.canvas`).
    """
    out = conv_output_size(size, kernel, stride, padding, dilation)
    if not 0 <= position < out * out:
        raise ValueError(f"expected an output position in 0..{out * out - 1}, got {position}")
    taps = conv_taps(size, kernel, stride, padding, dilation) + padding  # in the padded grid
    i, j = divmod(position, out)
    full = size + 2 * padding
    inside = np.zeros((full, full), bool)
    inside[padding:padding + size, padding:padding + size] = True
    footprint = np.zeros((full, full), bool)
    footprint[np.ix_(taps[i], taps[j])] = True

    cell = min(2.2 / full, 6.1 / (2 * full))                 # inches per cell
    margin, labels, top, gap, bottom = (v / cell for v in (0.08, 0.3, 0.35, 0.9, 0.55))
    fig, ax = canvas(2 * margin + labels + 2 * full + gap, 2 * margin + top + full + bottom, cell, reuse=reuse)
    origin_in = (margin + top, margin + labels)
    origin_out = (origin_in[0] + (full - out) / 2, origin_in[1] + full + gap + (full - out) / 2)

    colors = tint((full, full), footprint, HIGHLIGHT, amount=0.75,
                  base=tint((full, full), ~inside, PADDING, amount=1.0))
    draw_cells(ax, colors, origin_in, "input")
    span = dilation * (kernel - 1) + 1
    box(ax, taps[i, 0], taps[j, 0], span, span, origin_in, gid="footprint")
    if position > 0:
        pi, pj = divmod(position - 1, out)
        box(ax, taps[pi, 0], taps[pj, 0], span, span, origin_in, color="0.3", lw=1.5, ls="--", gid="previous")
    indices = np.arange(0, size, 2 if size > 7 else 1)  # index labels below and left of the input
    along = padding + indices + 0.5
    below = np.column_stack([origin_in[1] + along, np.full(len(indices), origin_in[0] + full + 0.13 / cell)])
    left = np.column_stack([np.full(len(indices), origin_in[1] - 0.14 / cell), origin_in[0] + along])
    draw_text(ax, [str(i) for i in np.concatenate([indices, indices])], np.concatenate([below, left]), 8.0,
              color="0.35", gid="index/numbers")
    label(ax, origin_in[1] + full / 2, origin_in[0] - 0.08 / cell,
          f"input {size}x{size}" + (f", zero padding {padding}" if padding else ""), 10.5, gid="input/title")

    order = np.arange(out * out).reshape(out, out)
    out_colors = tint((out, out), order == position, HIGHLIGHT, amount=0.75,
                      base=tint((out, out), order < position, DONE, amount=0.35))
    draw_cells(ax, out_colors, origin_out, "output")
    box(ax, i, j, 1, 1, origin_out, gid="cell")
    label(ax, origin_out[1] + out / 2, origin_out[0] - 0.08 / cell, f"output {out}x{out}", 10.5, gid="output/title")
    start = (origin_in[1] + taps[j, 0] + span / 2, origin_in[0] + taps[i, 0] + span / 2)
    ax.add_patch(FancyArrowPatch(start, (origin_out[1] + j + 0.5, origin_out[0] + i + 0.5), arrowstyle="-|>",
                                 mutation_scale=16, lw=2, color=HIGHLIGHT, shrinkA=0, shrinkB=4))
    label(ax, ax.get_xlim()[1] / 2, origin_in[0] + full + 0.3 / cell,
          f"output ({i}, {j}) <- input {_span_text('rows', taps[i] - padding, size)}, "
          f"{_span_text('cols', taps[j] - padding, size)}", va="top", gid="caption")
    return fig


def _span_text(what: str, taps: np.ndarray, size: int) -> str:
    text = f"{what} {taps[0]}..{taps[-1]}"
    if len(taps) > 1 and taps[1] - taps[0] > 1:
        text += f" (step {taps[1] - taps[0]})"
    if taps[0] < 0 or taps[-1] >= size:
        text += " incl. padding"
    return text


# ---------------------------------------------------------------------------
# Wiring
# ---------------------------------------------------------------------------


def strided_conv_explorer(size: int = 7, kernel: int = 3, stride: int = 2, padding: int = 0,
                          dilation: int = 1) -> Explorer:
    """Input size, kernel, stride, padding, dilation and the output position (with a Play button).

    The figure shows the padded input with the filter's taps at that output position and
    the output grid; the line above it gives the output-size formula with the numbers.
    """
    controls = {"size": slider("input size", size, 5, 9), "kernel": slider("kernel", kernel, 1, 5),
                "stride": slider("stride", stride, 1, 3), "padding": slider("padding", padding, 0, 2),
                "dilation": slider("dilation", dilation, 1, 2), "position": slider("output pos.", 0, 0, 0)}
    play = widgets.Play(min=0, max=0, interval=900, description="animate the output position")
    widgets.jslink((play, "value"), (controls["position"], "value"))
    formula = widgets.HTML()
    shown: dict = {}  # the figure drawn last, redrawn by the next change

    def render(size, kernel, stride, padding, dilation, position) -> Figure:
        line = output_size_formula(size, kernel, stride, padding, dilation)
        steps = f"{stride} position{'s' if stride > 1 else ''}"
        formula.value = (f"<b>output size</b> (rows and columns) = <code>{line}</code><br>The filter moves "
                         f"<b>{steps}</b> in the input (dashed: its previous place) for every position "
                         "in the output.")
        try:
            out = conv_output_size(size, kernel, stride, padding, dilation)
        except ValueError as error:
            return message_figure(f"No output for this combination:\n{error}")
        controls["position"].max = play.max = out * out - 1  # may clamp the position (no extra redraw)
        shown["figure"] = draw_strided_conv(size, kernel, stride, padding, dilation, controls["position"].value,
                                            reuse=shown.get("figure"))
        return shown["figure"]

    return Explorer(controls, render, extra=[widgets.HBox([play, formula], layout=widgets.Layout(align_items="center"))], columns=3)
