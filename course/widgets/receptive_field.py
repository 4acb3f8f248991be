"""Receptive fields: how far an output pixel sees, with and without downsampling.

* :func:`receptive_field_explorer`: build a stack of convolutions (depth, kernel, dilation,
  downsampling every k layers), pick an output pixel, and compare its theoretical receptive
  field (a rectangle, from :mod:`course.receptive_field`) with the empirical one (the
  gradient of that pixel with respect to the input, measured with autograd).
* :func:`receptive_field_growth_figure`: receptive-field size against depth for plain,
  pooled, strided and dilated stacks; without downsampling it grows only linearly.
"""

from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Sequence

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter
from torch import nn

from .. import viz
from ..receptive_field import GradientProbe, ReceptiveField, output_size, receptive_field
from ..samples import street_scene
from .core import Explorer
from .grid import label, lighten

INPUT_SIZE = 64
DOWNSAMPLING = ("none", "2x2 max pooling", "stride-2 conv")
_MARGIN = 8  # pixels of padding shown around the input
_FIELD_COLOR = viz.PALETTE[6]


# --- compute --------------------------------------------------------------------------

def layer_specs(num_layers: int, kernel: int, downsampling: str = "none", every: int = 2,
                dilation: int | Sequence[int] = 1) -> list[tuple[str, int, int, int, int]]:
    """The stack as ``(name, kernel, stride, padding, dilation)`` rows, in order.

    ``num_layers`` convolutions with 'same' padding ``d (k - 1) / 2``; ``downsampling`` halves
    the resolution after every ``every``-th convolution: a 2x2 max pooling layer (named
    ``pool``) or stride 2 in that convolution. ``dilation`` is one value or one per layer.
    """
    if downsampling not in DOWNSAMPLING:
        raise ValueError(f"expected downsampling to be one of {DOWNSAMPLING}, got {downsampling!r}")
    for name, value in (("num_layers", num_layers), ("kernel", kernel), ("every", every)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"expected {name} to be an int >= 1, got {value!r}")
    if kernel % 2 == 0:
        raise ValueError(f"expected an odd kernel (the stack pads 'same'), got {kernel}")
    dilations = [dilation] * num_layers if isinstance(dilation, int) else list(dilation)
    if len(dilations) != num_layers or not all(isinstance(d, int) and d >= 1 for d in dilations):
        raise ValueError(f"expected dilation to be an int >= 1 or {num_layers} of them, got {dilation!r}")
    rows = []
    for i, d in enumerate(dilations, start=1):
        down = downsampling != "none" and i % every == 0
        stride = 2 if down and downsampling == "stride-2 conv" else 1
        rows.append((f"conv{i}", kernel, stride, d * (kernel - 1) // 2, d))
        if down and downsampling == "2x2 max pooling":
            rows.append((f"pool{i // every}", 2, 2, 0, 1))
    return rows


def build_stack(specs: Sequence[tuple[str, int, int, int, int]]) -> nn.Sequential:
    """A single-channel network of the rows of :func:`layer_specs` (ReLU after each conv)."""
    layers = OrderedDict()
    for name, k, s, p, d in specs:
        if name.startswith("pool"):
            layers[name] = nn.MaxPool2d(k, s, p)
        else:
            layers[name] = nn.Conv2d(1, 1, k, s, p, d)
            layers["relu" + name[4:]] = nn.ReLU()
    return nn.Sequential(layers)


@dataclass(frozen=True)
class FieldView:
    """What the explorer shows: the stack's field, the output pixel and its input gradient.

    ``window`` is the theoretical ((y0, y1), (x0, x1)) of the pixel (may reach into the
    padding); ``gradient`` is |d output pixel / d input| (H, W). If the stack does not fit
    the input, ``message`` says why and the other fields are None.
    """

    field: ReceptiveField | None
    output_shape: tuple[int, int] | None
    position: tuple[int, int] | None
    window: tuple[tuple[int, int], tuple[int, int]] | None
    gradient: np.ndarray | None
    input_size: int = INPUT_SIZE
    message: str = ""


def explore(num_layers: int, kernel: int, downsampling: str, every: int, dilation: int,
            row: int, col: int, input_size: int = INPUT_SIZE) -> FieldView:
    """Receptive field of output pixel (row, col), both ways; the pixel is clamped to the output."""
    specs = tuple(layer_specs(num_layers, kernel, downsampling, every, dilation))
    model = _model(specs)
    try:
        shape = output_size(model, (input_size, input_size))
    except ValueError as error:
        return FieldView(None, None, None, None, None, input_size,
                         f"No output: {error}. Use fewer layers or downsample less often.")
    field = receptive_field(model)
    position = (min(max(row, 0), shape[0] - 1), min(max(col, 0), shape[1] - 1))
    with _one_thread():
        gradient = _probe(specs, input_size).gradient(position)
    return FieldView(field, shape, position, (field.window(position[0]), field.window(position[1])),
                     gradient, input_size)


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run PyTorch on one thread: on these tiny maps, more threads only wait for each other."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@lru_cache(maxsize=64)
def _model(specs: tuple) -> nn.Sequential:
    return build_stack(specs)


@lru_cache(maxsize=32)
def _probe(specs: tuple, input_size: int) -> GradientProbe:
    """One forward pass per architecture: moving the pixel only runs backward."""
    return GradientProbe(_model(specs), (input_size, input_size), in_channels=1)


def caption(view: FieldView) -> str:
    """One line of HTML: r, S, P, the output size and the pixel's window (or why there is none)."""
    if view.message:
        return f'<span style="color:{_FIELD_COLOR}">{view.message}</span>'
    field, n = view.field, view.input_size
    (y0, y1), (x0, x1) = view.window
    notes = []
    if min(y0, x0) < 0 or max(y1, x1) > n - 1:
        notes.append("the dashed part of the window is zero padding")
    if field.size > n:
        notes.append(f"the receptive field is larger than the whole {n}x{n} input")
    return (f"<b>r = {field.size}, S = {field.stride}, P = {field.padding}, output size "
            f"{view.output_shape[0]}x{view.output_shape[1]}</b>: output pixel {view.position} sees input rows "
            f"{y0}..{y1}, cols {x0}..{x1}" + "".join(f"; {note}" for note in notes))


def growth_curves(max_depth: int = 16, kernel: int = 3) -> dict[str, list[int]]:
    """Receptive-field size r after 1..max_depth convolutions, for four kinds of stack."""
    stacks = {
        f"plain {kernel}x{kernel} convs": dict(),
        "2x2 max pooling every 2 layers": dict(downsampling="2x2 max pooling"),
        "stride-2 conv every 2 layers": dict(downsampling="stride-2 conv"),
        "dilated convs (dilation 1, 2, 4, ...)": dict(dilation=[2 ** i for i in range(max_depth)]),
    }
    curves = {}
    for name, options in stacks.items():
        specs = layer_specs(max_depth, kernel, **options)
        convs = [i for i, spec in enumerate(specs) if spec[0].startswith("conv")]
        # r after the n-th convolution and the pooling that follows it, if any
        ends = [(convs[n + 1] if n + 1 < len(convs) else len(specs)) for n in range(len(convs))]
        curves[name] = [receptive_field([spec[1:] for spec in specs[:end]]).size for end in ends]
    return curves


# --- draw -----------------------------------------------------------------------------

def draw_receptive_field(view: FieldView, image: np.ndarray | None = None) -> Figure:
    """Input with the theoretical field | gradient heatmap with the same rectangle | output map."""
    return FieldFigure(view.input_size, image).update(view)


class FieldFigure:
    """The explorer's figure, built once; :meth:`update` redraws it in place for a new view.

    Left, the input (``image`` if given) with the receptive field; middle, the gradient of
    the output pixel (log scale) with the same rectangle and the same axes extent; right,
    the output map with the chosen pixel. The solid rectangle (gid ``receptive-field``) is
    the window clipped to the input; the dashed one (gid ``window``) is the whole window,
    drawn up to the edge of the padding margin around the input.
    """

    def __init__(self, input_size: int = INPUT_SIZE, image: np.ndarray | None = None):
        n = self.n = input_size
        self.figure = fig = Figure(figsize=(8, 3))
        extent = (-0.5, n - 0.5, n - 0.5, -0.5)
        self.axes = [fig.add_axes(box) for box in ([0.01, 0.02, 0.32, 0.86], [0.345, 0.02, 0.32, 0.86],
                                                   [0.71, 0.1, 0.27, 0.7])]
        left, middle, right = self.axes
        # titles and notes as glyph outlines (grid.label), far cheaper to draw than Text; 6 points
        # above the square axes, whose side is the smaller of the box's width and height
        side = min(fig.get_figwidth() * 0.32, fig.get_figheight() * 0.86)
        pad = 6 * (n + 2 * _MARGIN) / (72 * side)
        for ax, title in ((left, "input: receptive field"), (middle, "gradient of the pixel (log)")):
            ax.set_facecolor("0.88")  # the zero padding around the input
            ax.set_xlim(-0.5 - _MARGIN, n - 0.5 + _MARGIN)
            ax.set_ylim(n - 0.5 + _MARGIN, -0.5 - _MARGIN)
            label(ax, n / 2 - 0.5, -0.5 - _MARGIN - pad, title, 10, "black", gid="title")
        if image is not None:
            left.imshow(np.asarray(image, np.float32), extent=extent, zorder=1)  # float32: drawn twice as fast
        else:
            left.add_patch(Rectangle((-0.5, -0.5), n, n, facecolor="white", zorder=0.5))
        label(left, n / 2 - 0.5, -0.5 - _MARGIN / 2, "zero padding", 7, "0.4", va="center")
        middle.add_patch(Rectangle((-0.5, -0.5), n, n, facecolor="white", edgecolor="none", zorder=0.5))
        self.heat = middle.imshow(np.ma.masked_all((n, n)), cmap="Blues", extent=extent, zorder=1)
        self.heat.set_gid("gradient")
        self.clipped, self.whole, self.centres = [], [], []
        for ax in (left, middle):
            self.clipped.append(ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=2, edgecolor=_FIELD_COLOR,
                                                       zorder=3, gid="receptive-field")))
            self.whole.append(ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=1.2, ls="--",
                                                     edgecolor=_FIELD_COLOR, zorder=3, gid="window")))
            self.centres.append(ax.plot([], [], "+", color=_FIELD_COLOR, ms=9, mew=1.5, zorder=4)[0])
        right.set_facecolor(lighten(viz.PALETTE[5], 0.85))  # a pale tint of the output pixel's colour
        right.set_aspect("equal", adjustable="box")
        self.pixel = right.add_patch(Rectangle((0, 0), 1, 1, facecolor=viz.PALETTE[5], edgecolor=_FIELD_COLOR,
                                               lw=1.5))
        self.cross = [right.axhline(0, color=_FIELD_COLOR, lw=0.6, alpha=0.6),
                      right.axvline(0, color=_FIELD_COLOR, lw=0.6, alpha=0.6)]
        for ax in self.axes:
            ax.xaxis.set_visible(False)  # no ticks: skip the axes' tick machinery on every draw
            ax.yaxis.set_visible(False)
            for spine in ax.spines.values():
                spine.set_visible(ax is right)
        self.message = fig.text(0.68, 0.5, "", ha="center", va="center", wrap=True, color=_FIELD_COLOR)

    def update(self, view: FieldView) -> Figure:
        """Show ``view`` (a message instead of the panels if the stack does not fit)."""
        for artist in self.axes[1:] + self.clipped + self.whole + self.centres:
            artist.set_visible(not view.message)
        self.message.set_text(view.message)
        if view.message:
            return self.figure
        n = self.n
        (y0, y1), (x0, x1) = view.window
        (cy0, cy1), (cx0, cx1) = _clip(y0, y1, 0, n - 1), _clip(x0, x1, 0, n - 1)
        low, high = -_MARGIN, n - 1 + _MARGIN  # the visible part of the padding
        (wy0, wy1), (wx0, wx1) = _clip(y0, y1, low, high), _clip(x0, x1, low, high)
        outside = (y0, y1, x0, x1) != (cy0, cy1, cx0, cx1)
        for clipped, whole, centre in zip(self.clipped, self.whole, self.centres):
            clipped.set_bounds(cx0 - 0.5, cy0 - 0.5, cx1 - cx0 + 1, cy1 - cy0 + 1)
            whole.set_bounds(wx0 - 0.5, wy0 - 0.5, wx1 - wx0 + 1, wy1 - wy0 + 1)
            whole.set_visible(outside)
            centre.set_data([(x0 + x1) / 2], [(y0 + y1) / 2])
        log = np.ma.log10(np.ma.masked_equal(view.gradient, 0)).astype(np.float32)  # float32: drawn faster
        self.heat.set_data(log)
        self.heat.set_clim(log.min(), log.max() if log.max() > log.min() else log.min() + 1)
        out_h, out_w = view.output_shape
        row, col = view.position
        right = self.axes[2]
        right.set_xlim(-0.5, out_w - 0.5)
        right.set_ylim(out_h - 0.5, -0.5)
        right.set_title(f"output {out_h}x{out_w}", fontsize=10, y=1.0)
        self.pixel.set_bounds(col - 0.5, row - 0.5, 1, 1)
        self.cross[0].set_ydata([row, row])
        self.cross[1].set_xdata([col, col])
        return self.figure


def _clip(start: int, end: int, low: int, high: int) -> tuple[int, int]:
    return max(start, low), min(end, high)


def receptive_field_growth_figure(max_depth: int = 16, kernel: int = 3, input_size: int = 512) -> Figure:
    """Receptive-field size against depth (log scale), with the input size as a reference line."""
    curves = growth_curves(max_depth, kernel)
    colours = [viz.PALETTE[5], viz.PALETTE[1], viz.PALETTE[3], viz.PALETTE[7]]
    fig = Figure(figsize=(7, 3.8), layout="tight")
    ax = fig.add_subplot()
    depth = np.arange(1, max_depth + 1)
    for (name, sizes), colour, marker, lift in zip(curves.items(), colours, "osD^", (0, 4, -4, 0)):
        ax.plot(depth, sizes, marker=marker, ms=4, color=colour, label=name)
        ax.annotate(f"{sizes[-1]:,}", (max_depth, sizes[-1]), xytext=(6, lift), textcoords="offset points",
                    va="center", fontsize=8, color=colour)
    ax.set_xlim(0.5, max_depth + 1.5)
    ax.axhline(input_size, color=viz.PALETTE[0], ls="--", lw=1)
    ax.text(1, input_size * 1.15, f"input size {input_size} px", color=viz.PALETTE[0], fontsize=9)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    ax.set_xlabel("depth (number of convolution layers)")
    ax.set_ylabel("receptive field r (pixels)")
    ax.set_xticks(depth[::max(1, max_depth // 8)])
    needed = -(-(input_size - 1) // (kernel - 1)) if kernel > 1 else None
    plain = f"plain {kernel}x{kernel} convs need {needed} layers to see {input_size} px" if needed else ""
    ax.set_title("How fast the receptive field grows" + (f" ({plain})" if plain else ""))
    ax.legend(frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(0, 0.93))
    return fig


# --- wiring ---------------------------------------------------------------------------

def receptive_field_explorer(input_size: int = INPUT_SIZE, image: np.ndarray | None = None) -> Explorer:
    """Pick a stack of convolutions and an output pixel; see its receptive field both ways.

    ``image`` (H, W, 3) is drawn under the theoretical field (default: a street scene).
    """
    if image is None:
        image = street_scene(seed=3, size=(input_size, input_size)).image
    style = {"description_width": "90px"}  # room for "conv layers", "downsample", "output row"
    wide = widgets.Layout(width="230px")
    look = {"style": style, "layout": wide}
    arch = {
        "num_layers": widgets.IntSlider(4, min=1, max=12, description="conv layers", **look),
        "kernel": widgets.Dropdown(options=[1, 3, 5, 7], value=3, description="kernel", **look),
        "dilation": widgets.Dropdown(options=[1, 2, 4], value=1, description="dilation", **look),
        "downsampling": widgets.Dropdown(options=DOWNSAMPLING, value="2x2 max pooling", description="downsample",
                                         **look),
        "every": widgets.IntSlider(2, min=1, max=4, description="every k", **look),
    }
    pixel = {name: widgets.IntSlider(0, min=0, max=0, description=f"output {name}", **look)
             for name in ("row", "col")}
    figure = FieldFigure(input_size, image)
    text = widgets.HTML()

    def render(num_layers, kernel, dilation, downsampling, every, row, col) -> Figure:
        specs = tuple(layer_specs(num_layers, kernel, downsampling, every, dilation))
        row, col = _fit_sliders(pixel.values(), _output_shape(specs, input_size))  # quietly: no second redraw
        view = explore(num_layers, kernel, downsampling, every, dilation, row, col, input_size)
        text.value = caption(view)
        return figure.update(view)

    return Explorer({**arch, **pixel}, render, extra=[text], columns=4)


def _output_shape(specs: tuple, input_size: int) -> tuple[int, int]:
    """The stack's output (h, w), (1, 1) if it does not fit the input."""
    try:
        return output_size(_model(specs), (input_size, input_size))
    except ValueError:
        return 1, 1


def _fit_sliders(sliders, shape: tuple[int, int]) -> tuple[int, int]:
    """Set the row/col sliders' ranges to the output ``shape``, keeping the pixel's relative place
    (the middle at first); return their values."""
    for slider, size in zip(sliders, shape):
        if slider.max != size - 1:
            value = round(slider.value * (size - 1) / slider.max) if slider.max else (size - 1) // 2
            slider.max = max(size - 1, slider.min)  # ipywidgets 7 wants max >= min at all times
            slider.value = value
    return tuple(slider.value for slider in sliders)
