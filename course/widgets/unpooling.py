"""Unpooling explorer (lesson 03): nearest neighbour, bed of nails and max unpooling.

Compute (2-D NumPy arrays in and out, checked against ``torch.nn.functional``):
:func:`max_pool_with_positions`, :func:`max_unpool`, :func:`nearest_unpool`,
:func:`bed_of_nails_unpool`; :func:`unpool` gathers what the figure shows and
:func:`compare_students` runs a student's exercise functions next to them;
:func:`unpool_picture` does all three to a picture with PyTorch's operators.
Draw: :func:`draw_unpooling`, :func:`picture_figure`. Wiring: :func:`unpooling_explorer`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from ..arguments import as_plane, check_int, check_pair
from .. import viz
from .core import Explorer
from .grid import (WRONG, box, canvas, cell_centres, draw_cells, draw_text, fit, format_number, grid_lines, label,
                   lighten, message_figure, wrap)
from .pooling import pooled_shape
from .student import StudentResult, Wording, batch, run_student

METHODS = ("nearest neighbour", "bed of nails", "max unpooling")
LECTURE_X = np.array([[6, 2, 3, 2], [1, 4, 5, 1], [1, 2, 3, 4], [1, 0, 5, 6]])
LECTURE_VALUES = np.array([[2, 4], [1, 3]])
STUDENT_FUNCTIONS = ("max_pool2d_with_indices", "max_unpool2d", "nearest_upsample", "bed_of_nails_upsample")
MAX_SIDE = 8         # largest grid side the explorer accepts as input
MAX_TEXT_SIDE = 12   # larger grids are drawn without numbers in the cells
WORDING = Wording(match="matches ✓")  # how the student's results are described

# ---------------------------------------------------------------------------- compute


def max_pool_with_positions(x, kernel_size, stride=None) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling of a plane x (H, W) -> (pooled (h, w), flat_indices (h, w) int64).

    ``flat_indices`` index the flattened input plane (row * W + col), as
    ``torch.nn.functional.max_pool2d(..., return_indices=True)`` does. Ties go to the first
    maximum in row-major window order and NaN counts as the maximum (the last NaN wins), as in
    PyTorch. ``kernel_size`` and ``stride`` (default: kernel_size) are ints or (rows, cols).
    """
    x = as_plane("x", x)
    (kh, kw), (sh, sw) = check_pair("kernel_size", kernel_size), _stride(stride, kernel_size)
    if x.shape[0] < kh or x.shape[1] < kw:
        raise ValueError(f"a {kh}×{kw} kernel needs an input of at least {kh}×{kw}, got {_size(x.shape)}")
    oh, ow = pooled_shape(x.shape, (kh, kw), (sh, sw))
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw))[::sh, ::sw]
    flat = windows.reshape(oh, ow, kh * kw)
    pick = np.argmax(flat, axis=-1)  # the first maximum
    if x.dtype.kind == "f":
        nan = np.isnan(flat)
        if nan.any():
            last_nan = kh * kw - 1 - np.argmax(nan[..., ::-1], axis=-1)
            pick = np.where(nan.any(axis=-1), last_nan, pick)
    pooled = np.take_along_axis(flat, pick[..., None], axis=-1)[..., 0]
    rows = np.arange(oh)[:, None] * sh + pick // kw
    cols = np.arange(ow)[None, :] * sw + pick % kw
    return pooled, (rows * x.shape[1] + cols).astype(np.int64)


def max_unpool(values, flat_indices, output_shape) -> np.ndarray:
    """Put each of values (h, w) at its flat index of an output plane (H, W) of zeros.

    Where several values share an index (overlapping pooling windows) the last one in row-major
    order wins, as ``torch.nn.functional.max_unpool2d`` does on one CPU thread; PyTorch documents
    repeated indices as nondeterministic, so with more threads it may keep another one.
    """
    values = as_plane("values", values)
    indices = np.asarray(flat_indices)
    if indices.shape != values.shape:
        raise ValueError(f"flat_indices must have the shape of values {values.shape}, got {indices.shape}")
    if indices.dtype.kind not in "iu":
        raise ValueError(f"flat_indices must be integers, got dtype {indices.dtype}")
    shape = check_pair("output_shape", output_shape, scalar=False)
    size = shape[0] * shape[1]
    if indices.size and (indices.min() < 0 or indices.max() >= size):
        raise ValueError(f"flat_indices must lie in [0, {size}) for an output of shape {shape}, "
                         f"got values {indices.min()}..{indices.max()}")
    out = np.zeros(size, dtype=values.dtype)
    where, what = indices.ravel(), values.ravel()
    last = where.size - 1 - np.unique(where[::-1], return_index=True)[1]  # last writer of each index
    out[where[last]] = what[last]
    return out.reshape(shape)


def nearest_unpool(x, factor) -> np.ndarray:
    """Nearest-neighbour unpooling: each value of x (h, w) fills a factor x factor block -> (h*f, w*f)."""
    fh, fw = check_pair("factor", factor)
    return np.repeat(np.repeat(as_plane("x", x), fh, axis=0), fw, axis=1)


def bed_of_nails_unpool(x, factor) -> np.ndarray:
    """Bed of nails: each value of x (h, w) at the top-left of its factor x factor block, zeros elsewhere."""
    x = as_plane("x", x)
    fh, fw = check_pair("factor", factor)
    out = np.zeros((x.shape[0] * fh, x.shape[1] * fw), dtype=x.dtype)
    out[::fh, ::fw] = x
    return out


@dataclass
class Unpooling:
    """What the explorer draws for one method.

    ``source`` has the output's shape: the flat index into ``values`` of the value that landed
    in each cell, -1 where nothing landed. ``block`` is the block size drawn in the output
    (None when pooling windows overlap). For max unpooling, ``x`` (H, W) was pooled to
    ``pooled`` (h, w) with ``kernel``/``stride`` and ``indices`` are the remembered positions.
    """

    method: str
    values: np.ndarray
    output: np.ndarray
    source: np.ndarray
    block: tuple[int, int] | None
    x: np.ndarray | None = None
    pooled: np.ndarray | None = None
    indices: np.ndarray | None = None
    kernel: tuple[int, int] | None = None
    stride: tuple[int, int] | None = None


def unpool(method: str, values, factor=2, x=None, kernel_size=2, stride=None) -> Unpooling:
    """Unpool values (h, w) with ``method`` (one of METHODS).

    Nearest neighbour and bed of nails scale by ``factor``; max unpooling first max-pools x
    (H, W) with ``kernel_size``/``stride`` and needs values of the pooled shape.
    """
    values = as_plane("values", values)
    ids = np.arange(values.size).reshape(values.shape)
    if method == "nearest neighbour":
        return Unpooling(method, values, nearest_unpool(values, factor), nearest_unpool(ids, factor),
                         check_pair("factor", factor))
    if method == "bed of nails":
        return Unpooling(method, values, bed_of_nails_unpool(values, factor),
                         bed_of_nails_unpool(ids + 1, factor) - 1, check_pair("factor", factor))
    if method == "max unpooling":
        if x is None:
            raise ValueError("max unpooling needs x, the input of the max pooling")
        x = as_plane("x", x)
        kernel, step = check_pair("kernel_size", kernel_size), _stride(stride, kernel_size)
        pooled, indices = max_pool_with_positions(x, kernel, step)
        if values.shape != pooled.shape:
            raise ValueError(f"max unpooling needs values of the pooled shape {_size(pooled.shape)}, "
                             f"got {_size(values.shape)}: edit them or press randomise")
        return Unpooling(method, values, max_unpool(values, indices, x.shape),
                         max_unpool(ids + 1, indices, x.shape) - 1, step if step == kernel else None,
                         x, pooled, indices, kernel, step)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def compare_students(result: Unpooling, student_fns: dict[str, Callable] | None) -> list[tuple[str, StudentResult]]:
    """Run the student's functions that belong to ``result.method``, as the lesson's exercises
    take them: NumPy arrays of shape (1, 1, H, W) (values as floats, indices as int64). Each
    result comes with the reference panel it is compared with: "pooled" or "output".

    ``max_unpool2d`` gets the reference indices, so a wrong pooling does not hide a right unpooling.
    """
    fns = student_fns or {}
    runs = []  # (panel, function name, args, kwargs, expected, names)
    if result.method == "max unpooling":
        k, stride = _unpair(result.kernel), _unpair(result.stride)
        runs += [("pooled", "max_pool2d_with_indices", (batch(result.x), k), {"stride": stride},
                  (result.pooled, result.indices), ("out", "indices")),
                 ("output", "max_unpool2d", (batch(result.values), batch(result.indices, np.int64), k),
                  {"stride": stride, "output_size": result.x.shape}, result.output, ("the output",))]
    else:
        name = "nearest_upsample" if result.method == "nearest neighbour" else "bed_of_nails_upsample"
        runs.append(("output", name, (batch(result.values), _unpair(result.block)), {}, result.output,
                     ("the output",)))
    return [(panel, run_student(fns[name], args, kwargs, expected, name=name, names=names, wording=WORDING))
            for panel, name, args, kwargs, expected, names in runs if name in fns]


def parse_grid(text: str, name: str = "grid", max_side: int = MAX_SIDE) -> np.ndarray:
    """A grid of integers from text: one row per line (or ``[[1, 2], [3, 4]]``), numbers split by
    spaces, commas or tabs. Raises ValueError saying what is wrong and where."""
    text = re.sub(r"\]\s*,?\s*\[", "\n", text.replace(";", "\n"))
    lines = [line for line in (re.sub(r"[\[\]]", " ", raw).strip(" ,\t") for raw in text.splitlines()) if line]
    if not lines:
        raise ValueError(f"{name}: expected rows of whole numbers, got an empty text")
    rows = []
    for r, line in enumerate(lines, 1):
        row = []
        for item in re.split(r"[,\s]+", line):
            if not re.fullmatch(r"[+-]?\d{1,3}", item):
                raise ValueError(f"{name}, row {r}: expected whole numbers between -999 and 999, got {item!r}")
            row.append(int(item))
        rows.append(row)
    if any(len(row) != len(rows[0]) for row in rows):
        lengths = ", ".join(str(len(row)) for row in rows)
        raise ValueError(f"{name}: every row needs the same number of values, got rows of {lengths}")
    if len(rows) > max_side or len(rows[0]) > max_side:
        raise ValueError(f"{name}: expected at most {max_side}×{max_side}, got {len(rows)}×{len(rows[0])}")
    return np.array(rows, dtype=np.int64)


def format_grid(grid) -> str:
    """The text that :func:`parse_grid` reads back: one row per line."""
    return "\n".join(" ".join(str(int(v)) for v in row) for row in np.asarray(grid))


def random_example(seed: int, kernel_size: int = 2, stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A random x (H, W) of digits at most MAX_SIDE wide and values (h, w) in 1..9 of its pooled shape."""
    rng = np.random.default_rng(seed)
    k, s = int(kernel_size), int(stride or kernel_size)
    sides = []
    for _ in range(2):
        pooled = int(rng.choice([p for p in (2, 3) if (p - 1) * s + k <= MAX_SIDE] or [1]))
        base = (pooled - 1) * s + k
        sides.append(base + int(rng.integers(0, min(s, MAX_SIDE - base + 1))))
    x = rng.integers(0, 10, size=sides)
    return x, rng.integers(1, 10, size=pooled_shape(x.shape, k, s))


def unpool_picture(image, factor: int = 4) -> dict[str, np.ndarray]:
    """A grey picture (H, W) max-pooled ``factor``× and brought back by each of the
    :data:`METHODS`, with PyTorch's own operators; H and W must be multiples of ``factor``.

    Returns 2-D arrays keyed "input", "max pooled", then the methods (each H x W).
    """
    import torch
    from torch.nn import functional as F

    image = as_plane("image", image).astype(np.float32)
    check_int("factor", factor, 2)
    if image.shape[0] % factor or image.shape[1] % factor:
        raise ValueError(f"expected an image whose sides are multiples of factor {factor}, got shape {image.shape}")
    x = torch.from_numpy(image)[None, None]
    pooled, positions = F.max_pool2d(x, factor, return_indices=True)
    nails = torch.zeros_like(x)
    nails[..., ::factor, ::factor] = pooled
    out = {"input": x, "max pooled": pooled,
           "nearest neighbour": F.interpolate(pooled, scale_factor=factor, mode="nearest"),
           "bed of nails": nails, "max unpooling": F.max_unpool2d(pooled, positions, factor, output_size=x.shape[-2:])}
    return {name: t[0, 0].numpy() for name, t in out.items()}


def describe(result: Unpooling) -> str:
    """One sentence on what the method did, with the shapes."""
    v, o = _size(result.values.shape), _size(result.output.shape)
    if result.method == "max unpooling":
        k, s = result.kernel, result.stride
        shared = result.indices.size - np.unique(result.indices).size
        note = (f" Overlapping windows remembered the same cell more than once, so {shared} value(s) land on "
                f"a taken cell: here the last one wins (PyTorch does not promise which), the others are lost."
                if shared else "")
        return (f"Max pooling {_size(k)}, stride {_unpair(s)}: x {_size(result.x.shape)} → {v}, remembering where "
                f"each maximum was (ties: the first in row-major order, as in PyTorch). Max unpooling puts "
                f"each value of a later layer back at that position → {o}; every other cell is 0.{note}")
    if result.method == "nearest neighbour":
        return f"Nearest neighbour: each value is copied into its {_size(result.block)} block: {v} → {o}."
    return (f"Bed of nails: each value goes to the top-left cell of its {_size(result.block)} block, "
            f"zeros elsewhere: {v} → {o}.")


def _stride(stride, kernel_size) -> tuple[int, int]:
    return check_pair("stride", kernel_size if stride is None else stride)


def _unpair(pair: tuple[int, int]) -> int | tuple[int, int]:
    return pair[0] if pair[0] == pair[1] else pair


def _size(shape) -> str:
    return f"{shape[0]}×{shape[1]}"


# ---------------------------------------------------------------------------- draw
#
# Everything is drawn in one axes whose data unit is one grid cell (panels side by side, the
# student's row below), with the shared grid drawing of course.widgets.grid; the numbers of a
# panel are one collection per distinct number, so that tests can read them by their gid.

# palette colours 1..7 (orange, sky blue, green, pink, yellow, blue, vermillion), half mixed with
# white so that black numbers stay readable, ordered so that a 2×2 grid gets four clearly different ones
_TINTS = np.array([to_rgb(lighten(viz.PALETTE[k], 0.5)) for k in (1, 2, 3, 7, 4, 5, 6)])
# inches: widest figure, tallest grid, largest cell, gap between panels (for the arrows),
# space for a panel's two-line title, outer margin
_FIG_W, _GRID_H, _CELL, _GAP, _TITLE, _MARGIN = 8.0, 2.4, 0.6, 0.85, 0.45, 0.08


@dataclass
class _Panel:
    label: str          # "x", "pooled", "values", "output"; "your pooled", "your output"
    x0: float           # top-left corner, in cells
    y0: float
    shape: tuple[float, float]  # rows, columns (a grid's shape, or the room for an error message)


def draw_unpooling(result: Unpooling, students: list[tuple[str, StudentResult]] = (),
                   reuse: Figure | None = None) -> Figure:
    """Reference panels in a row, linked by arrows and colours (each value's colour marks where it
    lands); the student's results, if any, in a second row under the panel they are compared with.

    One axes in cell units; each panel's image has ``gid`` = its label, and the numbers of a
    panel are collections with ``gid`` "label/value/<text>" (and "label/index/<text>").
    """
    r = result
    grids = {"values": r.values, "output": r.output}
    if r.method == "max unpooling":
        grids = {"x": r.x, "pooled": r.pooled} | grids
    cols = [g.shape[1] for g in grids.values()]
    tallest = max(g.shape[0] for g in grids.values())
    cell = min((_FIG_W - 2 * _MARGIN - _GAP * (len(grids) - 1)) / sum(cols), _GRID_H / tallest, _CELL)
    gap, title, margin = _GAP / cell, _TITLE / cell, _MARGIN / cell
    panels, x = {}, 0.0
    for name, grid in grids.items():
        panels[name] = _Panel(name, x, title + (tallest - grid.shape[0]) / 2, grid.shape)
        x += grid.shape[1] + gap
    row = title + tallest + 0.15 / cell  # the student's row starts this far below the reference row
    lower = tallest if any(s.error is None for _, s in students) else 0.9 / cell  # an error needs less room
    width, height = x - gap, (row + title + lower) if students else title + tallest
    fig, ax = canvas(width, height, cell, margin, reuse)
    panel = _Panels(ax, cell, r.values.shape)
    ids = np.arange(r.values.size).reshape(r.values.shape)
    panel.grid(panels["values"], r.values, ids,
                f"{'values to unpool' if r.method == 'max unpooling' else 'values'}\n{_size(r.values.shape)}")
    panel.grid(panels["output"], r.output, r.source, f"{r.method}\n{_size(r.output.shape)}", block=r.block)
    middle = title + tallest / 2
    if r.method == "max unpooling":
        panel.grid(panels["x"], r.x, r.source, f"x {_size(r.x.shape)}\nmaxima coloured", block=r.block,
                    dim_uncoloured=False)
        panel.grid(panels["pooled"], r.pooled, ids, f"pooled {_size(r.pooled.shape)}\nvalue @ flat index",
                    sub=r.indices)
        panel.arrow(panels["x"], panels["pooled"], middle, f"max pool\n{_size(r.kernel)}, stride {_unpair(r.stride)}")
        panel.arrow(panels["pooled"], panels["values"], middle, "later\nlayers", ":")
        panel.arrow(panels["values"], panels["output"], middle, "max\nunpool")
    else:
        how = f"copy into\n{_size(r.block)} blocks" if r.method == "nearest neighbour" else "top-left of\nits block"
        panel.arrow(panels["values"], panels["output"], middle, how)
    for under, student in students:  # under the reference panel it is compared with
        above = panels[under]
        slot = (_Panel(f"your {under}", above.x0, above.y0 + row, above.shape) if student.error is None
                else _Panel(f"your {under}", above.x0, row + title, (min(lower, tallest), above.shape[1])))
        panel.student(slot, student, ids if under == "pooled" else r.source, r.block if under == "output" else None)
    return fig


def picture_figure(pictures: dict[str, np.ndarray], window: tuple[slice, slice]) -> Figure:
    """The whole input with ``window`` (rows, columns) outlined, then that window zoomed in every
    picture of :func:`unpool_picture`: the same field of view in each panel (the pooled map's
    window is ``factor`` times smaller in pixels). Display the returned figure."""
    from matplotlib.patches import Rectangle

    rows, cols = window
    factor = pictures["input"].shape[0] // pictures["max pooled"].shape[0]
    if any(v is None or v % factor for v in (rows.start, rows.stop, cols.start, cols.stop)):
        raise ValueError(f"expected a window whose bounds are multiples of {factor}, got rows {rows}, columns {cols}")
    small = (slice(rows.start // factor, rows.stop // factor), slice(cols.start // factor, cols.stop // factor))
    fig = Figure(figsize=(15, 2.6), layout="constrained")
    axes = fig.subplots(1, len(pictures) + 1, width_ratios=[1.7] + [1] * len(pictures))
    axes[0].imshow(pictures["input"], cmap="gray", vmin=0, vmax=1)
    axes[0].add_patch(Rectangle((cols.start - 0.5, rows.start - 0.5), cols.stop - cols.start, rows.stop - rows.start,
                                fill=False, edgecolor=viz.PALETTE[1], lw=2))
    axes[0].set_title("input, the window outlined", fontsize=10)
    for ax, (name, picture) in zip(axes[1:], pictures.items()):
        ax.imshow(picture[small if name == "max pooled" else window], cmap="gray", vmin=0, vmax=1,
                  interpolation="nearest")
        shape = picture[small if name == "max pooled" else window].shape
        ax.set_title(f"{name}\n({shape[0]}×{shape[1]} px)", fontsize=10)
    for ax in axes:
        ax.set_axis_off()
    return fig


class _Panels:
    """Draws the panels of one figure: grids coloured by where each value goes, titles, arrows."""

    def __init__(self, ax, cell: float, values_shape: tuple[int, int]):
        self.ax, self.cell = ax, cell  # inches per cell
        # tint of each value: all different up to 7 values, and never the same as a neighbour's
        rows, cols = np.indices(values_shape)
        step = values_shape[1] if values_shape[1] % len(_TINTS) else 3
        self.tint = ((step * rows + cols) % len(_TINTS)).ravel()
        self.fontsize = float(np.clip(cell * 72 * 0.4, 5, 12))

    def grid(self, p: _Panel, grid: np.ndarray, colour_ids: np.ndarray, title: str, *,
             block: tuple[int, int] | None = None, sub: np.ndarray | None = None,
             differ: np.ndarray | None = None, dim_uncoloured: bool = True, title_colour: str = "0.1") -> None:
        h, w = grid.shape
        rgb = np.ones((h, w, 3))
        coloured = colour_ids >= 0
        rgb[coloured] = _TINTS[self.tint[colour_ids[coloured]]]
        draw_cells(self.ax, rgb, (p.y0, p.x0), p.label, line_color="0.7", line_width=0.6)
        if block and max(block) > 1:
            self.ax.add_collection(LineCollection(grid_lines((p.y0, p.x0), (h, w), step=block), colors="0.25",
                                                  linewidths=1.4), autolim=False)
        self.title(p, title, title_colour)
        if max(h, w) > MAX_TEXT_SIDE:
            return
        show_sub = sub is not None and self.fontsize >= 8  # position labels only where they stay readable
        centres = cell_centres((p.y0 - (0.14 if show_sub else 0.0), p.x0), grid.shape)
        coloured = coloured.ravel()
        strong = coloured | (not dim_uncoloured)
        for mask, colour, bold in ((coloured, "0.1", True), (strong & ~coloured, "0.1", False),
                                   (~strong, "0.6", False)):
            self._numbers(f"{p.label}/value", grid.ravel()[mask], centres[mask], self.fontsize, colour, bold)
        if show_sub:
            self._numbers(f"{p.label}/index", sub.ravel(), centres + (0, 0.44), 0.62 * self.fontsize, "0.25",
                          prefix="@")
        for i, j in np.argwhere(differ) if differ is not None else ():
            box(self.ax, i + 0.06, j + 0.06, 0.88, 0.88, (p.y0, p.x0), color=WRONG, lw=2.2, gid=f"{p.label}/differ")

    def student(self, p: _Panel, s: StudentResult, colour_ids: np.ndarray, block) -> None:
        if s.error is not None:
            self.title(p, f"your {s.name}")
            text = wrap(s.error, 28, 8)
            label(self.ax, p.x0 + p.shape[1] / 2, p.y0 + p.shape[0] / 2, text, 8, WRONG, va="center",
                  gid=f"{p.label}/error/{text}")
            return
        indices = s.outputs[1] if len(s.outputs) > 1 else None  # max_pool2d_with_indices
        self.grid(p, s.output, colour_ids, f"your {s.name}\n{s.message}", block=block, sub=indices, differ=s.differ,
                  title_colour=WRONG if s.differ.any() else "0.1")

    def title(self, p: _Panel, text: str, colour: str = "0.1") -> None:
        label(self.ax, p.x0 + p.shape[1] / 2, p.y0 - 0.06 / self.cell, text, 9, colour, gid=f"{p.label}/title/{text}")

    def arrow(self, a: _Panel, b: _Panel, y: float, text: str, style: str = "-") -> None:
        pad = 0.06 / self.cell
        start, end = a.x0 + a.shape[1] + pad, b.x0 - pad
        self.ax.add_patch(FancyArrowPatch((start, y), (end, y), arrowstyle="-|>", mutation_scale=14, lw=1.4,
                                          ls=style, color="0.3"))
        label(self.ax, (start + end) / 2, y - 0.08 / self.cell, text, 8, "0.2", gid=f"arrow/label/{text}")

    def _numbers(self, gid: str, values, centres: np.ndarray, size: float, colour: str, bold: bool = False,
                 prefix: str = "") -> None:
        """One collection per distinct number (``gid`` "<gid>/<text>"); long numbers shrink to fit the cell."""
        texts = np.array([prefix + format_number(v, 2) for v in np.ravel(values)], dtype=object)
        for text in sorted(set(texts)):
            where = texts == text
            draw_text(self.ax, [text] * int(where.sum()), centres[where],
                      fit([text.removeprefix(prefix)], size, 1.4 * size), colour, bold, gid=f"{gid}/{text}")


# ---------------------------------------------------------------------------- wiring


def unpooling_explorer(student_fns: dict[str, Callable] | None = None, seed: int = 0) -> Explorer:
    """Nearest neighbour, bed of nails and max unpooling on the lecture's example (editable, or
    randomised with a seed that each click of *randomise* increments).

    ``student_fns`` may hold any of the lesson's exercise functions (keys in STUDENT_FUNCTIONS,
    on (N, C, H, W) NumPy arrays); each one's result is drawn under the reference with differing
    cells marked, and its error, if it raises, is shown instead. Besides its controls the explorer
    has ``randomise`` (the Button) and ``status`` (an HTML line: what happened, or what is wrong).
    """
    student_fns = dict(student_fns or {})
    unknown = sorted(set(student_fns) - set(STUDENT_FUNCTIONS))
    if unknown:
        raise ValueError(f"student_fns keys must be among {STUDENT_FUNCTIONS}, got {unknown}")
    not_callable = sorted(name for name, fn in student_fns.items() if not callable(fn))
    if not_callable:
        raise ValueError(f"student_fns values must be functions, got non-callables for {not_callable}")

    def dropdown(name: str, options: list[int], value: int) -> widgets.Dropdown:
        return widgets.Dropdown(options=options, value=value, description=name, style={"description_width": "50px"},
                                layout=widgets.Layout(width="130px"))

    def grid_text(name: str, grid: np.ndarray) -> widgets.Textarea:
        return widgets.Textarea(value=format_grid(grid), description=name, continuous_update=False,
                                placeholder="rows of whole numbers, e.g.\n1 2\n3 4",
                                layout=widgets.Layout(width="260px", height="120px"))

    controls = {  # two per row: the method and its factor; the pooling; the two grids
        "method": widgets.ToggleButtons(options=METHODS, value="max unpooling", description="method",
                                        style={"button_width": "140px"}),
        "factor": dropdown("factor", [2, 3], 2),
        "kernel": widgets.Dropdown(options=[2, 3], value=2, description="pooling: kernel",
                                   style={"description_width": "initial"}, layout=widgets.Layout(width="190px")),
        "stride": dropdown("stride", [1, 2, 3], 2),
        "x_text": grid_text("input x", LECTURE_X),
        "values_text": grid_text("values", LECTURE_VALUES),
    }
    status = widgets.HTML()
    shown: dict = {}  # the figure drawn last, redrawn by the next change
    randomise = widgets.Button(description="randomise", icon="random", tooltip="a new random x and values",
                               layout=widgets.Layout(width="120px", flex="0 0 auto"))

    def render(method, factor, kernel, stride, x_text, values_text) -> Figure:
        try:
            x = parse_grid(x_text, "x")
            values = parse_grid(values_text, "values")
            result = unpool(method, values, factor, x, kernel, stride)
        except ValueError as error:
            status.value = f"<span style='color:{WRONG}'>{html.escape(str(error), quote=False)}</span>"
            return message_figure(str(error))
        status.value = describe(result)
        shown["figure"] = draw_unpooling(result, compare_students(result, student_fns), reuse=shown.get("figure"))
        return shown["figure"]

    explorer = Explorer(controls, render, extra=[widgets.HBox([randomise, status])], columns=2)
    state = {"seed": seed}

    def on_randomise(_=None) -> None:
        state["seed"] += 1
        x, values = random_example(state["seed"], controls["kernel"].value, controls["stride"].value)
        explorer.set_values(x_text=format_grid(x), values_text=format_grid(values))  # one redraw for both

    def enable(_=None) -> None:
        pooling = controls["method"].value == "max unpooling"
        controls["factor"].disabled = pooling
        controls["kernel"].disabled = controls["stride"].disabled = not pooling

    randomise.on_click(on_randomise)
    controls["method"].observe(enable, names="value")
    enable()
    explorer.randomise = randomise
    explorer.status = status
    return explorer
