"""Pooling explorer: which input window each output cell of max or average pooling comes from.

Compute (pure): :func:`pool_windows`, :func:`pool` (equal to ``max_pool2d`` / ``avg_pool2d``
without padding), :func:`explain_cell` (the arithmetic of one output cell as text) and the
helpers the explorer needs (:func:`covered_cells`, :func:`same_place`).
Draw: :func:`draw_pooling`. Wiring: :func:`pooling_explorer`, which can show the student's
own ``pool2d(x, kernel_size, stride, mode)`` next to the reference (run by
:func:`course.widgets.student.run_student`, worded as :data:`WORDING`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from ..arguments import as_plane
from .core import Explorer, slider
from .grid import (HIGHLIGHT, PADDING, WRONG, box, canvas, draw_cells, draw_numbers, format_number, label,
                   message_figure, tint, wrap)
from .strided_conv import conv_output_size, conv_positions, output_size_formula
from .student import StudentResult, Wording, batch, run_student

MODES = ("max", "avg")
LECTURE_GRID = np.array([[6, 2, 3, 2], [1, 4, 5, 1], [1, 2, 3, 4], [1, 0, 5, 6]])
MAX_NUMBERS = 10        # inputs up to this many rows and columns are drawn as numbers
MAX_TERMS = 12          # windows with more values are abbreviated in explain_cell
WORDING = Wording(raised="{error}", unfinished=" (the exercise is not done yet?)",
                  shape="expected an array of shape {expected}, got shape {got}", match="all correct",
                  differ="{count}/{size} differ")


# ---------------------------------------------------------------------------
# Compute
# ---------------------------------------------------------------------------


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"expected mode 'max' or 'avg', got {mode!r}")
    return mode


def pooled_shape(shape: tuple[int, int], kernel_size, stride=None) -> tuple[int, int]:
    """(out_h, out_w) of pooling an (H, W) input without padding: pooling has a convolution's
    geometry (dilation 1, padding 0), so this is :func:`conv_output_size` along each axis.

    ``kernel_size`` and ``stride`` (default: the kernel size) are ints or (rows, cols) pairs;
    ValueError if the kernel does not fit.
    """
    kernel, step = _pair(kernel_size), _pair(kernel_size if stride is None else stride)
    return conv_output_size(shape[0], kernel[0], step[0]), conv_output_size(shape[1], kernel[1], step[1])


def _pair(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def window(kernel_size: int, stride: int, row: int, col: int) -> tuple[slice, slice]:
    """Input window (rows, cols) of output cell (row, col)."""
    return (slice(row * stride, row * stride + kernel_size), slice(col * stride, col * stride + kernel_size))


def pool_windows(height: int, width: int, kernel_size: int, stride: int) -> list[list[tuple[slice, slice]]]:
    """Input window ``(rows, cols)`` (two slices) of every output cell, as nested lists (out_h x out_w)."""
    out_h, out_w = pooled_shape((height, width), kernel_size, stride)
    return [[window(kernel_size, stride, i, j) for j in range(out_w)] for i in range(out_h)]


def pool(x, kernel_size: int, stride: int, mode: str = "max") -> np.ndarray:
    """Max or average pooling of a 2-D array (H, W) -> (out_h, out_w), no padding, floor mode.

    Equal to ``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` with ``padding=0``.
    """
    x, mode = as_plane("x", x), _check_mode(mode)
    pooled_shape(x.shape, kernel_size, stride)  # a clear ValueError for a kernel that does not fit
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel_size, kernel_size))[::stride, ::stride]
    return windows.max(axis=(2, 3)) if mode == "max" else windows.mean(axis=(2, 3))


def explain_cell(x, kernel_size: int, stride: int, mode: str, row: int, col: int) -> str:
    """The arithmetic of output cell (row, col), e.g. ``"max(6, 2, 1, 4) = 6"`` or
    ``"(6 + 2 + 1 + 4) / 4 = 3.25"``; windows of more than 12 values are abbreviated."""
    x, mode = as_plane("x", x), _check_mode(mode)
    shape = pooled_shape(x.shape, kernel_size, stride)
    if not (0 <= row < shape[0] and 0 <= col < shape[1]):
        raise ValueError(f"expected an output cell (row, col) in (0..{shape[0] - 1}, 0..{shape[1] - 1}), "
                         f"got ({row}, {col})")
    values = x[window(kernel_size, stride, row, col)].ravel()
    terms = [format_number(v) for v in values]
    if len(terms) > MAX_TERMS:
        terms = terms[:6] + ["..."] + terms[-2:]
    result = format_number(values.max() if mode == "max" else values.mean(), digits=4)
    if mode == "max":
        count = f"; {values.size} values" if "..." in terms else ""
        return f"max({', '.join(terms)}{count}) = {result}"
    return f"({' + '.join(terms)}) / {values.size} = {result}"


def same_place(index: int, kernel_size: int, stride: int, new_kernel_size: int, new_stride: int,
               out_size: int) -> int:
    """Along one axis: the output index (< ``out_size``) whose window, with the new kernel size and
    stride, is centred nearest to the window of ``index`` with the old ones."""
    centre = index * stride + (kernel_size - 1) / 2
    return int(np.clip(np.floor((centre - (new_kernel_size - 1) / 2) / new_stride + 0.5), 0, out_size - 1))


def covered_cells(shape: tuple[int, int], kernel_size: int, stride: int) -> np.ndarray:
    """Boolean mask (H, W) of the input cells inside at least one window (stride > kernel skips some)."""
    along = []
    for size in shape:
        covered = np.zeros(size, bool)
        for start in conv_positions(size, kernel_size, stride, 0):
            covered[start:start + kernel_size] = True
        along.append(covered)
    return along[0][:, None] & along[1][None, :]


# ---------------------------------------------------------------------------
# Draw
# ---------------------------------------------------------------------------


def draw_pooling(x: np.ndarray, out: np.ndarray, kernel_size: int, stride: int, mode: str,
                 cell: tuple[int, int], student: StudentResult | None = None, numbers: bool = True,
                 reuse: Figure | None = None) -> Figure:
    """Input (H, W) with the window of output ``cell``, the pooled output (out_h, out_w) and, if
    given, the student's output (differing cells in red) or the student's error, side by side.

    ``numbers``: grids with the values written in (small inputs; grey: cells no window covers);
    else grey images with the window outlined and cross-hairs, each output pixel drawn over the
    centre of its window. Images have ``gid`` "input", "output", "student"; outlines "window", "cell",
    "student cell"; titles "<image>/title". ``reuse``: the figure drawn last, redrawn (see
    :func:`~course.widgets.grid.canvas`).
    """
    panels = 3 if student is not None else 2
    (height, width), (row, col) = x.shape, cell
    if numbers:  # units: cells
        inches = min(0.55, 2.3 / height, (7.7 - 0.45 * (panels - 1)) / (panels * width))
        gap = 0.45 / inches
    else:  # units: input pixels
        inches = (7.7 - 0.25 * (panels - 1)) / (panels * width)
        gap = 0.25 / inches
    margin, top = 0.08 / inches, 0.35 / inches
    fig, ax = canvas(2 * margin + panels * width + (panels - 1) * gap, 2 * margin + top + height, inches,
                     reuse=reuse)
    slots = [(margin + top, margin + k * (width + gap)) for k in range(panels)]
    panel = _Panels(ax, slots, x, numbers, inches, kernel_size, stride)
    rows, cols = window(kernel_size, stride, row, col)
    in_window = np.zeros(x.shape, bool)
    in_window[rows, cols] = True
    colors = None
    if numbers:
        skipped = ~covered_cells(x.shape, kernel_size, stride)
        colors = tint(x.shape, in_window, HIGHLIGHT, base=tint(x.shape, skipped, PADDING, amount=1.0))
    panel.draw(0, "input", x, colors, bold=in_window & (x == out[row, col]) & (mode == "max"))
    panel.outline(0, "window", rows.start, cols.start, kernel_size, input_cells=True)
    panel.draw(1, "output", out, tint(out.shape, _one_hot(out.shape, cell), HIGHLIGHT))
    panel.outline(1, "cell", row, col)
    panel.title(0, "input", f"input {height}x{width}")
    panel.title(1, "output", f"{mode} pool, k={kernel_size}, s={stride}: {out.shape[0]}x{out.shape[1]}")
    if student is not None and student.error:
        label(ax, slots[2][1] + width / 2, slots[2][0] + height / 2, wrap(student.error, 30, 7), 9, WRONG,
              va="center", gid="student/error")
        panel.title(2, "student", "your pool2d: failed", color=WRONG)
    elif student is not None:
        wrong = student.differ
        panel.draw(2, "student", student.output, tint(out.shape, wrong, WRONG, amount=0.5), wrong=wrong)
        panel.outline(2, "student cell", row, col)
        panel.title(2, "student", f"your pool2d: {student.message}", color=WRONG if wrong.any() else "0.1")
    return fig


def _one_hot(shape: tuple[int, int], cell: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[cell] = True
    return mask


class _Panels:
    """Panels side by side in one axes: grids of numbers, or grey images at the input's scale
    (each output pixel ``stride`` wide, centred on its window)."""

    def __init__(self, ax, slots, x: np.ndarray, numbers: bool, inches: float, kernel_size: int, stride: int):
        """``slots``: (row, col) of each panel's top-left corner; ``inches``: the size of one unit."""
        self.ax, self.slots, self.x, self.numbers, self.inches = ax, slots, x, numbers, inches
        self.fontsize = float(np.clip(inches * 72 * 0.42, 6, 13))
        self.scale = 1.0 if numbers else float(stride)
        self.offset = 0.0 if numbers else (kernel_size - stride) / 2
        self.origins: dict[int, tuple[float, float]] = {}

    def draw(self, k: int, name: str, values: np.ndarray, colors: np.ndarray | None, bold=False,
             wrong: np.ndarray | None = None) -> None:
        """Panel ``k``: ``values`` as a centred grid coloured ``colors``, or as an image (``wrong`` cells red)."""
        (height, width), slot = self.x.shape, self.slots[k]
        if self.numbers:
            origin = (slot[0] + (height - values.shape[0]) / 2, slot[1] + (width - values.shape[1]) / 2)
            draw_cells(self.ax, colors, origin, name)
            draw_numbers(self.ax, values, origin, self.fontsize, f"{name}/numbers", bold=bold)
        else:
            shift, scale = (0.0, 1.0) if name == "input" else (self.offset, self.scale)
            origin = (slot[0] + shift, slot[1] + shift)
            extent = (origin[1], origin[1] + values.shape[1] * scale, origin[0] + values.shape[0] * scale, origin[0])
            self.ax.imshow(values, cmap="gray", vmin=self.x.min(), vmax=self.x.max(), extent=extent, gid=name)
            if wrong is not None:
                overlay = np.zeros((*values.shape, 4))
                overlay[wrong] = (*to_rgb(WRONG), 0.85)
                self.ax.imshow(overlay, extent=extent, gid="differ")
        self.origins[k] = origin

    def outline(self, k: int, gid: str, row: int, col: int, size: int = 1, input_cells: bool = False) -> None:
        """Outline ``size`` x ``size`` cells from (row, col) of panel ``k`` (output cells unless ``input_cells``)."""
        scale = 1.0 if input_cells else self.scale
        box(self.ax, row * scale, col * scale, size * scale, size * scale, self.origins[k], gid=gid,
            lw=3 if self.numbers else 1.5)
        if not self.numbers:  # cross-hairs: a window of a few pixels is hard to spot
            (r0, c0), (height, width) = self.slots[k], self.x.shape
            y, x = (self.origins[k][0] + (row + size / 2) * scale, self.origins[k][1] + (col + size / 2) * scale)
            self.ax.hlines(y, c0, c0 + width, color=HIGHLIGHT, lw=0.8, alpha=0.7)
            self.ax.vlines(x, r0, r0 + height, color=HIGHLIGHT, lw=0.8, alpha=0.7)

    def title(self, k: int, name: str, text: str, color: str = "0.1") -> None:
        slot = self.slots[k]
        label(self.ax, slot[1] + self.x.shape[1] / 2, slot[0] - 0.08 / self.inches, text, 10.5, color,
              gid=f"{name}/title")


# ---------------------------------------------------------------------------
# Wiring
# ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def street_image() -> np.ndarray:
    """The grey street scene of lesson 02 (96, 160), float64 in [0, 1] (read-only)."""
    from ..samples import street_scene

    image = street_scene(seed=3).image.mean(-1).astype(np.float64)
    image.flags.writeable = False
    return image


class _CellButtons:
    """A GridBox of small buttons mirroring the output grid; a click selects that cell."""

    def __init__(self, pick: Callable[[int, int], None]):
        self.pick = pick
        self.buttons: list[list[widgets.Button]] = []
        self.grid = widgets.GridBox(layout=widgets.Layout(grid_gap="2px"))

    def update(self, out: np.ndarray, cell: tuple[int, int]) -> None:
        """Show the values of ``out`` on the buttons (rebuilt if its shape changed), ``cell`` selected."""
        if (len(self.buttons), len(self.buttons[0]) if self.buttons else 0) != out.shape:
            self.buttons = [[self._button(i, j) for j in range(out.shape[1])] for i in range(out.shape[0])]
            self.grid.children = [b for line in self.buttons for b in line]
            self.grid.layout.grid_template_columns = f"repeat({out.shape[1]}, 3.4em)"
        for (i, j), value in np.ndenumerate(out):
            button = self.buttons[i][j]
            button.description = format_number(value)
            button.button_style = "warning" if (i, j) == cell else ""

    def _button(self, i: int, j: int) -> widgets.Button:
        button = widgets.Button(description="", tooltip=f"output ({i}, {j})",
                                layout=widgets.Layout(width="3.4em", height="2.2em"))
        button.on_click(lambda _: self.pick(i, j))
        return button


def pooling_explorer(x=None, student_pool: Callable | None = None) -> Explorer:
    """Max/avg pooling with kernel size and stride controls; pick an output cell to see its window.

    ``x``: a 2-D array to pool (default: the lecture's 4x4 grid; a random 6x6 grid and a grey
    street image can be picked too). Small inputs get a grid of buttons, one per output cell;
    large ones (the image) get output row and column sliders. ``student_pool``: the lesson's
    ``pool2d(x, kernel_size, stride, mode)`` on (N, C, H, W) arrays, shown next to the reference
    with differing cells in red.
    """
    sources: dict[str, Callable[[], np.ndarray]] = {}
    if x is not None:
        given = as_plane("x", x)
        sources[f"your input {given.shape[0]}x{given.shape[1]}"] = lambda: given
    rng = np.random.default_rng(0)
    state = {"random": rng.integers(0, 10, (6, 6))}
    sources |= {"lecture 4x4": lambda: LECTURE_GRID, "random 6x6": lambda: state["random"],
                "street image": street_image}
    controls = {
        "input": widgets.Dropdown(options=list(sources), description="input", style={"description_width": "80px"},
                                  layout=widgets.Layout(width="290px")),
        "mode": widgets.ToggleButtons(options=MODES, description="pooling",
                                      style={"description_width": "60px", "button_width": "60px"}),
        "kernel_size": slider("kernel size", 2, 1, 6), "stride": slider("stride", 2, 1, 6),
        "row": slider("output row", 0, 0, 1), "col": slider("output col", 0, 0, 1),
    }
    cells = _CellButtons(lambda i, j: explorer.set_values(row=i, col=j))
    picker = widgets.VBox([widgets.Label("pick an output cell:"), cells.grid])
    info = widgets.HTML()
    new_random = widgets.Button(description="new random 6x6", layout=widgets.Layout(width="140px"))
    cache: dict = {}  # the student's result, and the figure drawn last (redrawn by the next change)

    def student_result(data, out, kernel_size, stride, mode) -> StudentResult:
        """The student's pool2d on the input shown (called again only when input or pooling change)."""
        key = (kernel_size, stride, mode)
        if cache.get("key") != key or cache.get("data") is not data:
            cache.update(key=key, data=data, value=run_student(
                student_pool, (batch(data), kernel_size, stride, mode), expected=out, name="pool2d", wording=WORDING))
        return cache["value"]

    def select(shown: tuple[str, int, int], shape: tuple[int, int], numbers: bool) -> tuple[int, int]:
        """The output cell to show, set on the row and col sliders with their ranges (render runs
        quietly: no extra redraw): the same place of the input after a new kernel or stride, the
        middle of a new image, else as is."""
        selected, before = (controls["row"].value, controls["col"].value), state.get("shown")
        if before and before[0] == shown[0]:
            selected = tuple(same_place(i, *before[1:], *shown[1:], n) for i, n in zip(selected, shape))
        elif not numbers:
            selected = (shape[0] // 2, shape[1] // 2)
        controls["row"].max, controls["col"].max = shape[0] - 1, shape[1] - 1
        controls["row"].value, controls["col"].value = np.minimum(selected, np.subtract(shape, 1)).tolist()
        state["shown"] = shown
        return controls["row"].value, controls["col"].value

    def render(input, mode, kernel_size, stride, row, col) -> Figure:
        data = sources[input]()
        (height, width), numbers = data.shape, max(data.shape) <= MAX_NUMBERS
        formulas = "<br>".join(f"output {what} = <code>{output_size_formula(n, kernel_size, stride, name=sym)}</code>"
                               for what, n, sym in (("height", height, "H"), ("width", width, "W")))
        picker.layout.display = "" if numbers else "none"
        for name in ("row", "col"):
            controls[name].layout.display = "none" if numbers else ""
        if kernel_size > min(height, width):
            picker.layout.display = "none"
            message = (f"Kernel {kernel_size} does not fit the {height}x{width} input: "
                       f"expected kernel size <= {min(height, width)}, got {kernel_size}.")
            info.value = f"<span style='color:{WRONG}'>{message}</span><br>{formulas}"
            return message_figure(message)
        out = pool(data, kernel_size, stride, mode)
        cell = select((input, kernel_size, stride), out.shape, numbers)
        if numbers:
            cells.update(out, cell)
        student = student_result(data, out, kernel_size, stride, mode) if student_pool else None
        rows, cols = window(kernel_size, stride, *cell)
        info.value = (f"<b>output {cell}</b> from input rows {rows.start}..{rows.stop - 1}, "
                      f"cols {cols.start}..{cols.stop - 1}: "
                      f"<code>{explain_cell(data, kernel_size, stride, mode, *cell)}</code><br>{formulas}")
        if student and student.error:
            info.value += f"<br><span style='color:{WRONG}'>your pool2d: {student.error}</span>"
        cache["figure"] = draw_pooling(data, out, kernel_size, stride, mode, cell, student, numbers,
                                       reuse=cache.get("figure"))
        return cache["figure"]

    def shuffle(_button) -> None:
        state["random"] = rng.integers(0, 10, (6, 6))
        if controls["input"].value == "random 6x6":
            explorer.refresh()
        else:
            controls["input"].value = "random 6x6"

    new_random.on_click(shuffle)
    explorer = Explorer(controls, render, extra=[widgets.HBox([picker, widgets.VBox([info, new_random])])],
                        columns=2)
    return explorer
