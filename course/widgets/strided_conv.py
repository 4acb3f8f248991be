"""Strided convolution explorer: where the filter sits in the input for every output position.

Compute (pure): :func:`conv_output_size`, :func:`conv_positions`, :func:`conv_taps` and
:func:`output_size_formula` along one axis, as ``torch.nn.functional.conv2d`` counts them.
Draw: :func:`draw_strided_conv`, built from grid helpers the pooling explorer shares
(:func:`canvas`, :func:`draw_cells`, :func:`draw_numbers`, :func:`box`): every panel lies in
one axes measured in cells (y down), numbers are cached glyph outlines, so a redraw stays fast.
Wiring: :func:`strided_conv_explorer`.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache
from numbers import Integral

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyArrowPatch, Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D, IdentityTransform

from .. import viz
from .core import Explorer, slider

HIGHLIGHT = viz.PALETTE[1]  # orange: the selected output cell and its input window
DONE = viz.PALETTE[2]       # sky blue: output cells already computed
WRONG = viz.PALETTE[6]      # vermillion: errors, cells that differ
PADDING = "#e4e4e4"         # light grey: zero padding, input cells no window covers


# ---------------------------------------------------------------------------
# Compute
# ---------------------------------------------------------------------------


def _check_int(name: str, value, minimum: int) -> int:
    if not isinstance(value, Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"expected {name} to be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_geometry(size, kernel, stride, padding, dilation) -> tuple[int, int, int, int, int]:
    return (_check_int("size", size, 1), _check_int("kernel", kernel, 1),
            _check_int("stride", stride, 1), _check_int("padding", padding, 0),
            _check_int("dilation", dilation, 1))


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """Outputs along one axis: ``floor((size + 2p - d(k - 1) - 1) / s) + 1``, as conv2d computes.

    Raises ValueError when the (dilated) kernel is wider than the padded input.
    """
    size, kernel, stride, padding, dilation = _check_geometry(size, kernel, stride, padding, dilation)
    span = dilation * (kernel - 1) + 1
    if span > size + 2 * padding:
        raise ValueError(
            f"kernel {kernel} (dilation {dilation}, spanning {span} inputs) does not fit an input of "
            f"size {size} with padding {padding}: expected dilation * (kernel - 1) + 1 <= "
            f"size + 2 * padding, got {span} > {size + 2 * padding}")
    return (size + 2 * padding - span) // stride + 1


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
    value = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    text = f"floor(({symbols}) / s) + 1 = floor(({numbers}) / {stride}) + 1 = {value}"
    if value <= 0:
        text += " (the kernel does not fit: no output)"
    return text


# ---------------------------------------------------------------------------
# Draw: grids in one axes measured in cells
# ---------------------------------------------------------------------------


def format_number(v, digits: int = 3) -> str:
    """``6`` for whole numbers, else ``digits`` significant digits (``3.25``)."""
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:.{digits}g}"


def tint(shape: tuple[int, int], cells, color: str, amount: float = 0.45,
         base: np.ndarray | str = "white") -> np.ndarray:
    """RGB cell colours (H, W, 3): ``base`` blended towards ``color`` where ``cells`` (bool (H, W)) is set."""
    rgb = np.broadcast_to(to_rgb(base), (*shape, 3)) if isinstance(base, str) else np.asarray(base, float)
    cells = np.asarray(cells, bool)[..., None]
    return np.where(cells, (1 - amount) * rgb + amount * np.array(to_rgb(color)), rgb)


def canvas(width: float, height: float, cell: float) -> tuple[Figure, Axes]:
    """A figure of ``width`` x ``height`` cells of ``cell`` inches, with one bare axes in cell units (y down)."""
    fig = plt.figure(figsize=(width * cell, height * cell))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    return fig, ax


def draw_cells(ax: Axes, colors: np.ndarray, origin: tuple[float, float], name: str) -> None:
    """Cells of RGB ``colors`` (H, W, 3) with (0, 0) at ``origin`` = (row, col), one cell per unit.

    The image gets ``gid`` = ``name`` (its extent tells where the grid lies); grey lines between cells.
    """
    h, w = colors.shape[:2]
    r0, c0 = origin
    ax.imshow(colors, extent=(c0, c0 + w, r0 + h, r0), interpolation="nearest", gid=name)
    segments = ([[(c0, r0 + i), (c0 + w, r0 + i)] for i in range(h + 1)]
                + [[(c0 + j, r0), (c0 + j, r0 + h)] for j in range(w + 1)])
    ax.add_collection(LineCollection(segments, colors="0.55", linewidths=0.8), autolim=False)


def draw_numbers(ax: Axes, values, origin: tuple[float, float] | None, size: float, name: str,
                 bold=None, color: str = "0.1", centres=None) -> PathCollection:
    """Write ``values`` (H, W) in the cells of the grid at ``origin`` in a ``size``-point font.

    Drawn as one PathCollection of cached glyph outlines (much faster than a Text per cell)
    with ``gid`` "<name>/numbers" and ``label`` the texts, space-separated, row-major.
    ``bold`` (H, W): cells in bold. ``centres``: (N, 2) (x, y) positions of N values instead.
    """
    values = np.asarray(values)
    texts = [format_number(v) for v in values.ravel()]
    if centres is None:
        rows, cols = np.indices(values.shape)
        centres = np.column_stack([origin[1] + cols.ravel() + 0.5, origin[0] + rows.ravel() + 0.5])
    strong = np.zeros(len(texts), bool) if bold is None else np.asarray(bold, bool).ravel()
    paths = [glyphs(t, round(size, 1), "bold" if b else "normal") for t, b in zip(texts, strong)]
    numbers = PathCollection(paths, sizes=[1.0], offsets=centres, offset_transform=ax.transData,
                             transform=IdentityTransform(), facecolors=color, edgecolors="none",
                             gid=f"{name}/numbers", label=" ".join(texts))
    ax.add_collection(numbers, autolim=False)
    return numbers


@lru_cache(maxsize=1024)
def glyphs(text: str, size: float, weight: str = "normal") -> Path:
    """Outline of ``text`` in a ``size``-point font, centred on (0, 0), y up, in points."""
    path = TextPath((0, 0), text, size=size, prop=FontProperties(weight=weight))
    extents = path.get_extents()
    return path.transformed(Affine2D().translate(-(extents.x0 + extents.x1) / 2, -(extents.y0 + extents.y1) / 2))


def box(ax: Axes, row: float, col: float, height: float, width: float, origin=(0.0, 0.0),
        color: str = HIGHLIGHT, gid: str | None = None, **kwargs) -> Rectangle:
    """Outline ``height`` x ``width`` cells from (row, col) of the grid at ``origin``."""
    style = {"fill": False, "edgecolor": color, "lw": 3} | kwargs
    rect = Rectangle((origin[1] + col, origin[0] + row), width, height, gid=gid, **style)
    ax.add_patch(rect)
    return rect


def title(ax: Axes, x: float, y: float, text: str, **kwargs):
    """A panel title centred at ``x``, its bottom at ``y`` (cell units)."""
    return ax.text(x, y, text, ha="center", va="bottom", fontsize=10.5, **kwargs)


def message_figure(text: str) -> Figure:
    """A small figure that only says ``text`` (an impossible combination, an error); ``gid`` "message"."""
    lines = [part for line in text.splitlines() for part in textwrap.wrap(line, 95)]
    fig = plt.figure(figsize=(7.5, 0.3 + 0.2 * len(lines)))
    fig.text(0.5, 0.5, "\n".join(lines), ha="center", va="center", fontsize=10, color=WRONG, gid="message")
    return fig


def draw_strided_conv(size: int, kernel: int, stride: int, padding: int, dilation: int,
                      position: int) -> Figure:
    """The zero-padded input with the filter's taps at output ``position`` (row-major; its previous
    place dashed), the output grid (cells done in blue), an arrow between them and a caption
    ``output (i, j) <- input rows a..b, cols c..d``.

    Images ``gid`` "input" (the padded grid) and "output"; boxes "footprint", "previous", "cell".
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
    fig, ax = canvas(2 * margin + labels + 2 * full + gap, 2 * margin + top + full + bottom, cell)
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
    draw_numbers(ax, np.concatenate([indices, indices]), None, 8.0, "index", color="0.35",
                 centres=np.concatenate([below, left]))
    title(ax, origin_in[1] + full / 2, origin_in[0] - 0.08 / cell,
          f"input {size}x{size}" + (f", zero padding {padding}" if padding else ""), gid="input/title")

    order = np.arange(out * out).reshape(out, out)
    out_colors = tint((out, out), order == position, HIGHLIGHT, amount=0.75,
                      base=tint((out, out), order < position, DONE, amount=0.35))
    draw_cells(ax, out_colors, origin_out, "output")
    box(ax, i, j, 1, 1, origin_out, gid="cell")
    title(ax, origin_out[1] + out / 2, origin_out[0] - 0.08 / cell, f"output {out}x{out}", gid="output/title")
    start = (origin_in[1] + taps[j, 0] + span / 2, origin_in[0] + taps[i, 0] + span / 2)
    ax.add_patch(FancyArrowPatch(start, (origin_out[1] + j + 0.5, origin_out[0] + i + 0.5), arrowstyle="-|>",
                                 mutation_scale=16, lw=2, color=HIGHLIGHT, shrinkA=0, shrinkB=4))
    ax.text(ax.get_xlim()[1] / 2, origin_in[0] + full + 0.3 / cell,
            f"output ({i}, {j}) <- input {_span_text('rows', taps[i] - padding, size)}, "
            f"{_span_text('cols', taps[j] - padding, size)}", ha="center", va="top", fontsize=10, gid="caption")
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
        return draw_strided_conv(size, kernel, stride, padding, dilation, controls["position"].value)

    return Explorer(controls, render, extra=[widgets.HBox([play, formula])], columns=3)


def benchmark_cases() -> list[tuple[str, Explorer, list[dict]]]:
    """A student exploring strides, padding and dilation, and stepping through positions."""
    steps = [{"position": 1}, {"position": 2}, {"stride": 1}, {"padding": 1}, {"position": 7},
             {"kernel": 5}, {"dilation": 2}, {"size": 9}, {"stride": 3}, {"size": 5}]
    return [("strided_conv_explorer", strided_conv_explorer(), steps)]
