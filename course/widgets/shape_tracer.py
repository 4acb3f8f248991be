"""The shape tracer (lesson 05) and the architecture figure of the U-Net (lesson 06).

* :func:`architecture_figure`: a traced network drawn as the U of the U-Net paper's Figure 1,
  one box per layer from left to right, down the encoder and up the decoder; a box's height
  grows with the map's size, its width with the channels (both on log scales); under it its
  channels, size and receptive field; dashed skip connections ("copy and crop"); layers where
  the configuration breaks in the problem colour, the first problem written out below.
* :func:`shape_tracer`: pick the architecture, input size, depth, padding, down- and
  up-sampling and base channels, and watch every layer's shape and receptive field; a line
  summarises input -> output, the output's receptive field and the parameters, a table lists
  every layer.

The compute part is :func:`course.models.trace.trace`; here only thin pure helpers
(:func:`layer_parameters`, :func:`parameter_count`, :func:`skip_connections`, ...).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from math import log2

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .. import viz
from ..arguments import check_choice, check_int
from ..models.encoder_decoder import DOWNSAMPLINGS, UPSAMPLINGS
from ..models.sizes import PADDINGS, valid_input_sizes
from ..models.trace import ARCHITECTURES, Layer, trace
from .core import Explorer, slider
from .grid import HIGHLIGHT, WRONG, canvas, draw_text, extents, fit, label, lighten, message_figure, wrap

__all__ = ["architecture_figure", "shape_tracer", "layer_parameters", "parameter_count", "op_kind",
           "skip_connections", "impossible_combination", "nearby_sizes", "problem_text", "summary_html",
           "layer_table_html",
           "KINDS"]

# op kind -> (fill colour, legend text); the input box is drawn before the first layer
KINDS = {
    "input": ("white", "input"),
    "conv": (viz.PALETTE[2], "3x3 conv, ReLU"),
    "down": (viz.PALETTE[4], "down-sample"),
    "up": (viz.PALETTE[3], "up-sample"),
    "concat": (viz.PALETTE[9], "concatenate"),
    "out": (viz.PALETTE[5], "1x1 conv"),
}
PROBLEM = WRONG
FIELD_COLOR = viz.PALETTE[5]
SKIP_COLOR = viz.PALETTE[0]
OK_COLOR = viz.PALETTE[3]

# figure geometry, in inches (the canvas is measured in inches, y down)
_WIDTH, _HEIGHT, _SIDE = 10.0, 4.5, 0.15
_TOP, _BOTTOM = 0.42, 3.62          # the diagram: from the first skip lane to the last label
_BOX, _LANE = 0.52, 0.07            # tallest box; skip lane above the tallest box
_MAX_SIZE, _MAX_CHANNELS = 640, 2048  # log scales: a box of this size / channels is the tallest / widest
_UP_NAMES = {"transpose": "transposed conv", "bilinear": "bilinear", "unpool": "max unpool"}
_DOWN_NAMES = {"maxpool": "max pool", "strided": "strided conv"}
_SIZES = (8, 640)                   # the input size slider's range
_BASE_CHANNELS = (1, 2, 4, 8, 16, 32, 64)


# --- compute ----------------------------------------------------------------------------

def op_kind(layer: Layer) -> str:
    """"conv", "down" (pooling, strided conv), "up", "concat" or "out" (the 1x1 conv)."""
    op = layer.op
    if op.startswith("concat"):
        return "concat"
    if "pool" in op and "unpool" not in op or "stride 2" in op:
        return "down"
    if any(word in op for word in ("transposed", "bilinear", "unpool")):
        return "up"
    return "out" if op.startswith("1x1") else "conv"


def layer_parameters(layers: list[Layer], in_channels: int, arch: str, batch_norm: bool = True) -> list[int]:
    """Learned parameters of each traced layer, as :class:`~course.models.UNet` (``batch_norm``) and
    :class:`~course.models.EncoderDecoder` (always batch norm) build it.

    A k x k convolution from c to c' channels has k²cc' weights and a bias of c', unless batch norm
    follows it: then no bias, and the norm's scale and shift (2c'). Every 3x3 convolution is
    normalised except the U-Net's after bilinear up-sampling; pooling, unpooling, bilinear and
    concatenation learn nothing.
    """
    check_choice("arch", arch, ARCHITECTURES)
    counts, cin, previous = [], check_int("in_channels", in_channels, 1), ""
    for layer in layers:
        cout, count = layer.channels, 0
        if "conv" in layer.op:
            k = int(layer.op.split("x")[0])
            normed = k == 3 and (arch == "encoder-decoder" or batch_norm and previous != "bilinear x2")
            count = k * k * cin * cout + (2 * cout if normed else cout)
        counts.append(count)
        cin, previous = cout, layer.op
    return counts


@lru_cache(maxsize=256)
def parameter_count(arch: str, in_channels: int, num_classes: int, base_channels: int, depth: int,
                    down: str = "maxpool", up: str = "transpose", batch_norm: bool = True) -> int:
    """Parameters of the whole network, from a trace at the smallest input every level can take
    (parameters do not depend on the input size or the padding)."""
    layers = trace(arch, 2 ** depth, in_channels, num_classes, base_channels, depth, "same", down, up)
    return sum(layer_parameters(layers, in_channels, arch, batch_norm))


@lru_cache(maxsize=64)
def _trace(*config) -> tuple[Layer, ...]:
    """:func:`~course.models.trace.trace`, remembered: moving the highlighted layer traces nothing again."""
    return tuple(trace(*config))


def skip_connections(layers: list[Layer]) -> list[tuple[int, int]]:
    """(source, concat) layer indices of every skip connection: from the encoder's last layer at a
    level (before the first up-sampling) to the concatenation at that level."""
    ups = [i for i, layer in enumerate(layers) if op_kind(layer) == "up"]
    encoder = layers[:ups[0]] if ups else layers
    last = {layer.level: i for i, layer in enumerate(encoder)}
    return [(last[layer.level], i) for i, layer in enumerate(layers)
            if op_kind(layer) == "concat" and layer.level in last]


def impossible_combination(arch: str, down: str, up: str) -> str:
    """Why ``arch`` cannot be built with ``down``/``up`` ("" if it can)."""
    if arch == "unet" and up == "unpool":
        return ("The U-Net up-samples with a transposed convolution or bilinear interpolation, not max unpooling: "
                "its skip connections bring the encoder's details back instead of pooling positions. "
                "Choose 'transposed conv' or 'bilinear'.")
    if arch == "encoder-decoder" and up == "unpool" and down != "maxpool":
        return ("Max unpooling puts every value back where max pooling found it, but a strided convolution "
                "remembers no positions. Choose 'max pool' to down-sample, or another up-sampling.")
    return ""


def nearby_sizes(arch: str, size: int, depth: int, padding: str = "same") -> list[int]:
    """The input sizes nearest to ``size`` (the one below, the one above) that every level of the
    network takes without a problem: multiples of 2**depth, or 2**depth m + 4 (2**depth - 1) for
    the valid-padded U-Net."""
    rule = padding if arch == "unet" else "same"
    reach = 4 * 2 ** depth + 16
    below = valid_input_sizes(depth, rule, max(1, size - reach), size)
    above = valid_input_sizes(depth, rule, size, size + reach)
    return sorted({*below[-1:], *above[:1]})


# --- draw -------------------------------------------------------------------------------

def _size(size: tuple[int, int]) -> str:
    return f"{size[0]}²" if size[0] == size[1] else f"{size[0]}×{size[1]}"


def architecture_figure(layers: list[Layer], title: str | None = None, highlight: int | None = None,
                        reuse: Figure | None = None, input_shape: tuple[int, int, int] | None = None) -> Figure:
    """The traced network as a U (10 x 4.5 inches): one box per layer, left to right, one row per level.

    Box height grows with log(size), width with log(channels); under each box its channels, H×W
    and receptive field ("rf"); skip connections are dashed brackets from the encoder to the
    concatenation. ``input_shape`` (C, H, W) adds the input as a first, white box; ``highlight``
    (a layer index) outlines that layer. Layers with a problem are filled in the problem colour and
    the first problem of each kind is written below the legend (:func:`problem_text`).
    ``reuse``: the figure drawn last, redrawn in place. Artists' gids: "layers" (one path per
    layer, in order), "input", "skips", "skip-heads", "flow", "channels", "sizes", "fields",
    "highlight", "legend", "problem", "title".
    """
    if not layers:
        raise ValueError("expected at least one traced layer, got none")
    if highlight is not None and not 0 <= highlight < len(layers):
        raise ValueError(f"expected highlight to be a layer index in [0, {len(layers) - 1}], got {highlight!r}")
    fig, ax = canvas(_WIDTH, _HEIGHT, 1.0, reuse=reuse)
    columns = len(layers) + (input_shape is not None)
    pitch = (_WIDTH - 2 * _SIDE) / columns
    levels = max(layer.level for layer in layers) + 1
    room = pitch * 72 * 0.86  # points of text under a box, leaving a gap to the next
    numbers = [f"{layer.channels}" for layer in layers] + [_size(layer.size) for layer in layers]
    bold = fit([f"{layer.channels}" for layer in layers], 7.0, room / 1.12)  # channels are bold: wider
    font = min(bold, fit(numbers + [f"rf {layer.field}" for layer in layers], 7.0, room))
    prefix = "rf " if font >= 5.5 else ""  # where "rf 204" does not fit, the field alone, in its colour
    if not prefix:
        font = min(bold, fit(numbers + [str(layer.field) for layer in layers], 7.0, room))
    labels_height = 3 * 1.25 * font / 72 + 0.055
    step = min(0.9, (_BOTTOM - _TOP - _LANE - _BOX - labels_height) / max(levels - 1, 1))
    # boxes: (channels, size, level, colour) per column; the input first
    rows = [(layer.channels, layer.size, layer.level, PROBLEM if layer.problem else KINDS[op_kind(layer)][0])
            for layer in layers]
    if input_shape is not None:
        rows.insert(0, (input_shape[0], tuple(input_shape[1:]), 0, KINDS["input"][0]))
    x = _SIDE + (np.arange(columns) + 0.5) * pitch
    channels, sizes, level, colours = zip(*rows)
    width = pitch * (0.22 + 0.5 * np.clip(np.log2(channels) / log2(_MAX_CHANNELS), 0, 1))
    height = np.array([max(0.04, _BOX * min(log2(1 + max(min(s), 0)) / log2(1 + _MAX_SIZE), 1) ** 1.5)
                       for s in sizes])  # ** 1.5: the map's shrinking shows more than on a plain log scale
    base = _TOP + _LANE + _BOX + step * np.array(level)  # bottoms of the boxes, level by level
    top = base - height
    corners = np.stack([np.column_stack([x - width / 2, base]), np.column_stack([x + width / 2, base]),
                        np.column_stack([x + width / 2, top]), np.column_stack([x - width / 2, top])], axis=1)
    edges = ["0.2" if colour == PROBLEM else "0.35" for colour in colours]
    widths = [1.4 if colour == PROBLEM else 0.6 for colour in colours]
    first = int(input_shape is not None)
    if first:
        ax.add_collection(PolyCollection(corners[:1], facecolors="white", edgecolors="0.35", linewidths=0.6,
                                         gid="input", zorder=2), autolim=False)
    ax.add_collection(PolyCollection(corners[first:], facecolors=colours[first:], edgecolors=edges[first:],
                                     linewidths=widths[first:], gid="layers", zorder=2), autolim=False)
    middle = base - height / 2
    flow = [[(x[i] + width[i] / 2, middle[i]), (x[i + 1] - width[i + 1] / 2, middle[i + 1])]
            for i in range(columns - 1)]
    ax.add_collection(LineCollection(flow, colors="0.55", linewidths=0.9, gid="flow", zorder=1), autolim=False)
    _draw_skips(ax, layers, x[first:], top[first:], base[first:])
    line = 1.25 * font / 72
    below = base + 0.055
    draw_text(ax, [str(c) for c in channels], np.column_stack([x, below]), font, "0.1", True, "top", "channels")
    draw_text(ax, [_size(s) for s in sizes], np.column_stack([x, below + line]), font, "0.1", False, "top", "sizes")
    fields = [""] * first + [f"{prefix}{layer.field}" for layer in layers]
    draw_text(ax, fields, np.column_stack([x, below + 2 * line]), font, FIELD_COLOR, False, "top", "fields")
    if highlight is not None:
        i = highlight + first
        ax.add_artist(Rectangle((x[i] - width[i] / 2 - 0.035, top[i] - 0.035), width[i] + 0.07, height[i] + 0.07,
                                fill=False, edgecolor=HIGHLIGHT, lw=2.5, gid="highlight", zorder=3))
    if title:
        label(ax, _WIDTH / 2, 0.06, title, 10, "0.1", va="top", bold=True, gid="title")
    _draw_legend(ax, layers, first == 1)
    _draw_problems(ax, layers)
    return fig


def _draw_skips(ax, layers: list[Layer], x: np.ndarray, top: np.ndarray, base: np.ndarray) -> None:
    """Dashed brackets from each skip's source up to its level's lane, across, and down into the concat."""
    paths, heads = [], []
    a = 0.035
    for source, concat in skip_connections(layers):
        lane = base[source] - _BOX - _LANE * 0.6
        paths.append([(x[source], top[source]), (x[source], lane), (x[concat], lane),
                      (x[concat], top[concat] - 1.6 * a)])
        heads.append([(x[concat] - a, top[concat] - 1.7 * a), (x[concat] + a, top[concat] - 1.7 * a),
                      (x[concat], top[concat])])
    ax.add_collection(LineCollection(paths, colors=SKIP_COLOR, linewidths=1.0, linestyles=(0, (3, 2)), gid="skips",
                                     zorder=1.5), autolim=False)
    ax.add_collection(PolyCollection(heads, facecolors=SKIP_COLOR, edgecolors="none", gid="skip-heads", zorder=1.5),
                      autolim=False)


def _draw_legend(ax, layers: list[Layer], with_input: bool) -> None:
    """One row: a swatch per kind of layer drawn, the dashed skip, then what the numbers under a box are
    (all smaller if the row would not fit)."""
    kinds = {op_kind(layer) for layer in layers} | ({"input"} if with_input else set())
    entries = [(colour, text) for kind, (colour, text) in KINDS.items() if kind in kinds]
    entries += [(PROBLEM, "problem")] if any(layer.problem for layer in layers) else []
    if "concat" in kinds:
        cropped = any("cropped" in layer.op for layer in layers)
        entries.append(("skip", "skip: copy and crop" if cropped else "skip: copy"))
    entries.append(("key", "under a box: channels, H×W, receptive field"))
    marks = [0.35 if colour == "skip" else 0.0 if colour == "key" else 0.2 for colour, _ in entries]
    texts = [text for _, text in entries]
    lengths = [(x1 - x0) / 72 for x0, _, x1, _ in (extents(text, 1.0) for text in texts)]  # inches per point
    gap, room = 0.2, _WIDTH - 2 * _SIDE
    size = min(7.5, (room - sum(marks) - gap * (len(entries) - 1)) / sum(lengths))
    y, cursor, centres, swatches, skips = 3.86, _SIDE, [], [], []
    for (colour, _), mark, length in zip(entries, marks, lengths):
        if colour == "skip":
            skips.append([(cursor, y), (cursor + 0.3, y)])
        elif colour != "key":
            swatches.append(([(cursor, y + 0.055), (cursor + 0.15, y + 0.055), (cursor + 0.15, y - 0.055),
                              (cursor, y - 0.055)], colour))
        else:  # the key goes to the right end of the row
            cursor = max(cursor, _WIDTH - _SIDE - length * size)
        centres.append((cursor + mark + length * size / 2, y))
        cursor += mark + length * size + gap
    ax.add_collection(PolyCollection([corners for corners, _ in swatches], facecolors=[c for _, c in swatches],
                                     edgecolors="0.35", linewidths=0.6, gid="legend"), autolim=False)
    ax.add_collection(LineCollection(skips, colors=SKIP_COLOR, linewidths=1.0, linestyles=(0, (3, 2)),
                                     gid="legend-skip"), autolim=False)
    draw_text(ax, texts, centres, size, ["0.15"] * (len(texts) - 1) + [FIELD_COLOR], False, "center", "legend-text")


def _draw_problems(ax, layers: list[Layer]) -> None:
    """The first problem, and the output's if it is another one, or a line saying every layer fits."""
    broken = [i for i, layer in enumerate(layers) if layer.problem]
    if not broken:
        skips = "every skip connection matches" if skip_connections(layers) else "the output is as large as the input"
        text, colour = f"✓ every layer fits: no row or column is lost, {skips}", OK_COLOR
    else:
        text, colour = problem_text(layers), PROBLEM
    label(ax, _WIDTH / 2, 4.02, wrap(text, 150, max_lines=4), 8, colour, va="top", gid="problem")


def problem_text(layers: list[Layer]) -> str:
    """The first problem as "✗ layer 9 (down 3, 2x2 max pool): <problem>", then the first of each other kind
    (a concatenation that fails, an output smaller than the input), then how many more layers have one."""
    broken = [i for i, layer in enumerate(layers) if layer.problem]
    shown, kinds = [], set()
    for i in broken:
        kind = re.sub(r"\d+", "#", layers[i].problem.split(":")[0])  # the same words with other sizes
        if kind not in kinds:
            shown.append(i)
            kinds.add(kind)
    lines = [f"✗ layer {i + 1} ({layers[i].block}, {layers[i].op}): {layers[i].problem}" for i in shown]
    others = len(broken) - len(shown)
    if others:
        lines[-1] += f" (and {others} more layer{'s' * (others > 1)} like these)"
    return "\n".join(lines)


# --- text -------------------------------------------------------------------------------

def summary_html(layers: list[Layer], input_shape: tuple[int, int, int], parameters: int,
                 parameters_plain: int | None = None, notes: list[str] | None = None,
                 highlight: int | None = None) -> str:
    """Input -> output shape, the output's receptive field, the parameters, the highlighted layer,
    notes, and the first problem in red."""
    c, h, w = input_shape
    last = layers[-1]
    output = f"<b>{last.shape}</b>" if last.block == "out" and min(last.size) > 0 else "<b>no output</b>"
    count = f"<b>{parameters:,}</b> parameters"
    if parameters_plain is not None:
        count += f" ({parameters_plain:,} without batch norm, as in the paper)"
    parts = [f"input <b>{c}×{h}×{w}</b> → output {output}",
             f"an output pixel sees up to <b>{last.field}×{last.field}</b> input pixels", count]
    text = " · ".join(parts)
    if highlight is not None:
        layer = layers[highlight]
        text += (f'<br><span style="color:{HIGHLIGHT}">■</span> layer {highlight + 1} of {len(layers)}: '
                 f"{html.escape(layer.block)}, {html.escape(layer.op)} → <b>{layer.shape}</b>, receptive field "
                 f"{layer.field}×{layer.field}, neighbouring positions {layer.jump} input pixel"
                 f"{'s' * (layer.jump != 1)} apart")
    for note in notes or []:
        text += f'<br><span style="color:#5f5f5f">{html.escape(note, quote=False)}</span>'
    problem = problem_text(layers)
    if problem:
        text += "".join(f'<br><span style="color:{PROBLEM}"><b>{html.escape(line)}</b></span>'
                        for line in problem.split("\n"))
    return f'<div style="line-height:1.45">{text}</div>'


def layer_table_html(layers: list[Layer], parameters: list[int], highlight: int | None = None) -> str:
    """Every layer in a small scrollable table: #, block, op, output C×H×W, receptive field, jump,
    parameters, problem; problem rows tinted, the highlighted row in bold."""
    head = "".join(f"<th style='text-align:left;padding:1px 6px;white-space:nowrap'>{name}</th>" for name in (
        "#", "block", "op", "output", "receptive field", "jump", "parameters", "problem"))
    rows = []
    for i, (layer, count) in enumerate(zip(layers, parameters)):
        style = "padding:1px 6px;white-space:nowrap"
        if layer.problem:
            style += f";background:{lighten(PROBLEM, 0.75)}"
        if i == highlight:
            style += f";font-weight:bold;background:{lighten(HIGHLIGHT, 0.6)}"
        cells = (i + 1, layer.block, layer.op, layer.shape, layer.field, layer.jump, f"{count:,}")
        wrapped = style.replace("nowrap", "normal") + ";min-width:320px"  # the problem may take several lines
        rows.append("<tr>" + "".join(f"<td style='{style}'>{html.escape(str(v))}</td>" for v in cells)
                    + f"<td style='{wrapped}'>{html.escape(layer.problem)}</td></tr>")
    return ("<div style='max-height:260px;overflow-y:auto;font-size:11px;line-height:1.3'>"
            f"<table style='border-collapse:collapse'><tr>{head}</tr>{''.join(rows)}</table></div>")


# --- wiring -----------------------------------------------------------------------------

def shape_tracer(arch: str = "encoder-decoder", input_size: int = 64, depth: int = 3, padding: str = "same",
                 down: str = "maxpool", up: str = "transpose", base_channels: int = 16, in_channels: int = 3,
                 num_classes: int = 4) -> Explorer:
    """Configure an encoder-decoder or a U-Net and trace every layer's shape and receptive field.

    Controls: architecture, input size (slider, or type it in the box below), depth (1..5),
    padding (U-Net only), down-sampling (encoder-decoder only), up-sampling, base channels, and
    the layer to highlight. An impossible combination shows a message instead of the figure.
    """
    check_choice("arch", arch, ARCHITECTURES)
    for name, value, choices in (("padding", padding, PADDINGS), ("down", down, DOWNSAMPLINGS),
                                 ("up", up, UPSAMPLINGS), ("base_channels", base_channels, _BASE_CHANNELS),
                                 ("input_size", input_size, range(_SIZES[0], _SIZES[1] + 1)),
                                 ("depth", depth, range(1, 6))):
        check_choice(name, value, choices)
    check_int("in_channels", in_channels, 1)
    check_int("num_classes", num_classes, 1)
    look = {"style": {"description_width": "80px"}, "layout": widgets.Layout(width="290px")}
    controls = {
        "arch": widgets.Dropdown(options=[("encoder-decoder", "encoder-decoder"), ("U-Net", "unet")], value=arch,
                                 description="network", **look),
        "input_size": slider("input size", input_size, *_SIZES),
        "depth": slider("depth", depth, 1, 5),
        "padding": widgets.Dropdown(options=[("same (pad 1)", "same"), ("valid (no padding)", "valid")],
                                    value=padding, description="padding", **look),
        "down": widgets.Dropdown(options=[("max pool", "maxpool"), ("strided conv", "strided")], value=down,
                                 description="down", **look),
        "up": widgets.Dropdown(options=[("transposed conv", "transpose"), ("bilinear", "bilinear"),
                                        ("max unpool", "unpool")], value=up, description="up", **look),
        "base_channels": widgets.Dropdown(options=_BASE_CHANNELS, value=base_channels,
                                          description="channels", **look),
        "layer": slider("highlight", 1, 1, 1),
    }
    typed = widgets.BoundedIntText(value=input_size, min=_SIZES[0], max=_SIZES[1], description="or type a size",
                                   style={"description_width": "100px"}, layout=widgets.Layout(width="190px"))
    widgets.link((typed, "value"), (controls["input_size"], "value"))
    summary = widgets.HTML()
    table = widgets.HTML()
    every = widgets.Accordion(children=[table])
    every.selected_index = None
    shown: dict = {}  # the architecture figure drawn last, redrawn by the next change

    def render(arch, input_size, depth, padding, down, up, base_channels, layer) -> Figure:
        unet = arch == "unet"
        controls["padding"].disabled, controls["down"].disabled = not unet, unet
        message = impossible_combination(arch, down, up)
        if message:
            summary.value = f'<span style="color:{PROBLEM}"><b>{html.escape(message, quote=False)}</b></span>'
            table.value = ""
            every.set_title(0, "every layer")
            return message_figure(message)
        padding = padding if unet else "same"
        layers = list(_trace(arch, input_size, in_channels, num_classes, base_channels, depth, padding, down, up))
        highlight = _fit_layer_slider(controls["layer"], len(layers)) - 1
        params = layer_parameters(layers, in_channels, arch)
        total = parameter_count(arch, in_channels, num_classes, base_channels, depth, down, up)
        plain = parameter_count(arch, in_channels, num_classes, base_channels, depth, down, up, False) if unet else None
        notes = [_ignored_control(unet)]
        last = layers[-1]
        if unet and padding == "valid" and last.block == "out" and not any(l.problem for l in layers):
            notes.append(f"Valid padding: every 3x3 convolution loses a 1-pixel border, so the output covers only "
                         f"the centre {last.size[0]}×{last.size[1]} of the input; the paper segments a large image "
                         f"tile by tile, with overlapping tiles.")
        if any(l.problem for l in layers):
            sizes = nearby_sizes(arch, input_size, depth, padding)
            if sizes:
                notes.append(f"Input sizes near {input_size} that work: {' or '.join(map(str, sizes))}.")
        summary.value = summary_html(layers, (in_channels, input_size, input_size), total, plain, notes,
                                     highlight)
        table.value = layer_table_html(layers, params, highlight)
        every.set_title(0, f"every layer ({len(layers)}): shape, receptive field, parameters")
        name = "U-Net" if unet else "Encoder-decoder"
        details = (f"{name}, depth {depth}, " + (f"{padding} padding" if unet else _DOWN_NAMES[down])
                   + f", {_UP_NAMES[up]}: {in_channels}×{input_size}×{input_size} → "
                   + (layers[-1].shape if layers[-1].block == "out" else "no output"))
        shown["figure"] = architecture_figure(layers, details, highlight, shown.get("figure"),
                                              (in_channels, input_size, input_size))
        return shown["figure"]

    return Explorer(controls, render, extra=[typed, summary, every], columns=3)


def _ignored_control(unet: bool) -> str:
    if unet:
        return "The U-Net always down-samples by 2x2 max pooling, so 'down' is switched off."
    return "The encoder-decoder always pads its 3x3 convolutions by 1 (same padding), so 'padding' is switched off."


def _fit_layer_slider(control: widgets.IntSlider, count: int) -> int:
    """Set the layer slider's range to 1..count, staying on the output if it was there; return its value."""
    at_end = control.value == control.max
    if control.max != count:
        control.max = count
    if at_end:
        control.value = count
    return control.value
