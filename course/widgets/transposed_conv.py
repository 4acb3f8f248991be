"""Transposed convolution: step through the scatter-add, compare three views, see checkerboards.

Compute lives in :mod:`course.transposed_conv` (scatter steps, overlap counts, the
zero-insertion and matrix views, the checkerboard demo); here: text and the student check
(:func:`size_formula`, :func:`compare_student`), draw functions (:func:`draw_stepper`,
:func:`three_views_figure`, :func:`checkerboard_figure`) and the wiring of
:func:`transposed_conv_stepper`.

Grids of numbered cells are laid out on a :class:`Board` and drawn with the shared grid
module :mod:`course.widgets.grid`.
"""

from __future__ import annotations

import html
from typing import Callable, NamedTuple

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from .. import transposed_conv as tc
from .. import viz
from ..geometry import conv_transpose_output_size, transposed_length
from .core import Explorer, slider
from .grid import (HIGHLIGHT, PADDING, WRONG, box, canvas, cell_centres, digit_extent, draw_cells, draw_text,
                   extents, fit, format_number, label, message_figure, shade, tint, wrap)
from .student import StudentResult, Wording, batch, run_student

VALUE = viz.PALETTE[5]    # blue: values, shaded by size
COUNT = viz.PALETTE[7]    # reddish purple: overlap counts
KEPT = "0.15"             # dashed frame: the output left after cropping the padding
MIN_NUMBER_CELL = 0.14    # inches: smaller cells get no numbers

StudentFn = Callable[..., object]
WORDING = Wording(prefix="your function ", shape="returned shape {got}, expected {expected}",
                  match="matches the reference", differ="{count} of {size} cells differ (marked)")


# ---------------------------------------------------------------------------
# Compute (text and the student's result; the arithmetic is in course.transposed_conv)
# ---------------------------------------------------------------------------


def demo_values(rows: int, cols: int) -> np.ndarray:
    """Small integers (rows, cols) for readable sums: ``(col - row) mod (cols + 1) + 1``.

    No flip or transpose maps the array to itself (for more than one cell), so a kernel
    applied flipped shows.
    """
    i, j = np.indices((rows, cols))
    return ((j - i) % (cols + 1) + 1).astype(np.int64)


def size_formula(size: int, kernel: int, stride: int, padding: int, output_padding: int) -> str:
    """``(n - 1)·s - 2p + k + output_padding`` with the numbers filled in and its value (never raises)."""
    value = transposed_length(size, kernel, stride, padding, output_padding)
    return (f"(input − 1)·stride − 2·padding + kernel + output padding = "
            f"({size} − 1)·{stride} − 2·{padding} + {kernel} + {output_padding} = {value}")


def compare_student(student_fn: StudentFn, x: np.ndarray, kernel: np.ndarray, stride: int,
                    padding: int, output_padding: int, expected: np.ndarray) -> StudentResult:
    """Run ``student_fn(x, weight, stride=, padding=, output_padding=)`` on one 2-D case.

    ``x`` (H, W) and ``kernel`` (kH, kW) are passed as float32 tensors (1, 1, H, W) and
    (1, 1, kH, kW), so the comparison with ``expected`` allows float32 rounding; see
    :func:`course.widgets.student.run_student` for the result.
    """
    import torch

    args = (torch.from_numpy(batch(x, np.float32)), torch.from_numpy(batch(kernel, np.float32)))
    return run_student(student_fn, args, dict(stride=stride, padding=padding, output_padding=output_padding),
                       expected, name="conv_transpose2d", tol=1e-4, wording=WORDING)


# ---------------------------------------------------------------------------
# Draw: a board of cell grids
# ---------------------------------------------------------------------------


class Place(NamedTuple):
    """Where a grid sits on a board: top-left corner (x0, y0) and cell size, in board units."""

    x0: float
    y0: float
    cell: float

    def corner(self, row: float, col: float) -> tuple[float, float]:
        """(x, y) of the top-left corner of cell (row, col)."""
        return self.x0 + col * self.cell, self.y0 + row * self.cell


class Board:
    """Grids of coloured, numbered cells and labels laid out in board units, drawn at the end.

    Board units run right (x) and down (y); ``inch`` is the size of one unit in inches as laid
    out (numbers are left out of cells smaller than ``MIN_NUMBER_CELL`` inches). The bounds
    grow to hold what is placed; :meth:`draw` draws it all with :mod:`course.widgets.grid`, at
    the scale the axes really has. Named grids are recorded in ``places`` (name ->
    :class:`Place`) and ``values`` (name -> the values shown, NaN where a cell shows none), so
    tests can read what a figure shows.
    """

    def __init__(self, inch: float):
        self.inch = inch
        self.bounds = [np.inf, np.inf, -np.inf, -np.inf]
        self.places: dict[str, Place] = {}
        self.values: dict[str, np.ndarray] = {}
        self._cells: list[tuple] = []                      # draw_cells arguments
        self._numbers: dict[str, list[tuple]] = {}         # colour -> [(texts, centres, cell)]
        self._boxes: list[tuple] = []                      # box arguments
        self._labels: list[tuple] = []                     # label arguments, size in points at ``inch``

    def grid(self, x0: float, y0: float, colors: np.ndarray, cell: float = 1.0, values=None,
             show=None, name: str | None = None, numbers: bool = True, number_color: str = "black") -> Place:
        """Cells of RGB ``colors`` (H, W, 3) from (x0, y0); ``values`` (H, W) written where ``show``.

        ``numbers=False`` records the values under ``name`` without writing them.
        """
        (h, w), place = colors.shape[:2], Place(x0, y0, cell)
        if name:
            self.places[name] = place
            if values is not None:
                self.values[name] = np.where(True if show is None else show, np.asarray(values, float), np.nan)
        self.reserve(x0, y0, x0 + w * cell, y0 + h * cell)
        self._cells.append((colors, (y0, x0), name, cell))
        if values is not None and numbers and cell * self.inch >= MIN_NUMBER_CELL:
            shown = np.ones(h * w, bool) if show is None else np.ravel(show)
            texts = [format_number(v, 2) for v in np.ravel(values)[shown]]
            if texts:
                centres = cell_centres((y0, x0), (h, w), cell)[shown]
                self._numbers.setdefault(number_color, []).append((texts, centres, cell))
        return place

    def box(self, place: Place, row: int, col: int, height: int, width: int, color: str = HIGHLIGHT,
            **style) -> None:
        """Outline cells ``row .. row + height - 1`` x ``col .. col + width - 1`` of a grid."""
        self._boxes.append((row, col, height, width, (place.y0, place.x0), place.cell, color, {"lw": 2.5} | style))

    def text(self, x: float, y: float, text: str, va: str = "bottom", fontsize: float = 9,
             color: str = "black") -> None:
        """A label centred on x, its bottom (or top, or centre: ``va``) at y; lines split at newlines.

        ``fontsize`` is in points at ``inch`` inches per unit. Its ``gid`` is the text, for tests.
        """
        (x0, y0, x1, y1), unit = extents(text, fontsize, va=va), 72 * self.inch  # points per unit
        self.reserve(x + x0 / unit, y - y1 / unit, x + x1 / unit, y - y0 / unit)
        self._labels.append((x, y, text, fontsize, color, va))

    @property
    def line(self) -> float:
        """Height of one 9-point text line, in board units."""
        return 0.2 / self.inch

    def reserve(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """Make room for the rectangle (x0, y0)-(x1, y1) (the board's bounds grow to hold it)."""
        b = self.bounds
        self.bounds = [min(b[0], x0), min(b[1], y0), max(b[2], x1), max(b[3], y1)]

    def draw(self, ax, margin: float = 0.2) -> None:
        """Draw onto ``ax`` (axis off, equal aspect, y pointing down); ``ax.board`` is this board."""
        ax.board = self
        x0, y0, x1, y1 = self.bounds
        ax.set_xlim(x0 - margin, x1 + margin)
        ax.set_ylim(y1 + margin, y0 - margin)
        ax.set_aspect("equal")
        ax.set_axis_off()
        width, height = ax.figure.get_size_inches() * ax.get_position().size
        points = 72 * min(width / (x1 - x0 + 2 * margin), height / (y1 - y0 + 2 * margin))  # per unit, drawn
        for colors, origin, name, cell in self._cells:
            draw_cells(ax, colors, origin, name, cell)
        low, high = digit_extent()
        for color, grids in self._numbers.items():  # one size per grid: digits 0.3 cells high, the widest fits
            sizes = [[fit(texts, 0.3 * cell * points / (high - low), 0.8 * cell * points)] * len(texts)
                     for texts, _, cell in grids]
            draw_text(ax, [t for texts, _, _ in grids for t in texts], np.concatenate([c for _, c, _ in grids]),
                      np.concatenate(sizes), color)
        for row, col, height, width, origin, cell, color, style in self._boxes:
            box(ax, row, col, height, width, origin, cell, color, **style)
        for x, y, text, fontsize, color, va in self._labels:  # at the board's scale, like all on it
            label(ax, x, y, text, fontsize * points / (72 * self.inch), color, va, gid=text)

    def figure(self, margin: float = 0.2, reuse: Figure | None = None) -> Figure:
        """A figure that holds just this board, at ``inch`` inches per unit (``reuse``: see
        :func:`~course.widgets.grid.canvas`)."""
        x0, y0, x1, y1 = self.bounds
        fig, ax = canvas(x1 - x0, y1 - y0, self.inch, margin, reuse)
        self.draw(ax, margin)
        return fig


# ---------------------------------------------------------------------------
# Draw: the figures
# ---------------------------------------------------------------------------


def draw_stepper(x, kernel, stride: int, padding: int, output_padding: int, step: int,
                 student: StudentResult | None = None, width: float = 8.2, max_height: float = 3.9,
                 reuse: Figure | None = None) -> Figure:
    """The scatter-add after ``step`` input values (0: none yet), row-major.

    Left: the input (the current value outlined), the kernel and value × kernel. Middle: the
    full output so far (the step's footprint outlined, numbers where something was added, the
    output kept after cropping dashed). Right: how many copies overlap at each pixel, and the
    student's result (``student`` from :func:`compare_student`) if given. ``reuse``: the figure
    drawn last, redrawn (see :func:`~course.widgets.grid.canvas`).
    """
    x, kernel = np.asarray(x), np.asarray(kernel)
    scatter = tc.scatter_steps(x, kernel, stride, padding, output_padding)
    steps = scatter.steps
    if not 0 <= step <= len(steps):
        raise ValueError(f"expected step in 0..{len(steps)}, got {step}")
    (n_h, n_w), (kh, kw), (fh, fw) = x.shape, kernel.shape, scatter.full.shape
    current = steps[step - 1] if step else None
    so_far = current.accumulated if current else np.zeros((fh, fw))
    touched = np.zeros((fh, fw), bool)
    for s in steps[:step]:
        touched[s.origin[0]:s.origin[0] + kh, s.origin[1]:s.origin[1] + kw] = True
    counts = tc.overlap_counts(x.shape, kernel.shape, stride, 0, output_padding)
    rows, cols = scatter.crop
    kept = (rows.start, cols.start, rows.stop - rows.start, cols.stop - cols.start)
    cropped = kept != (0, 0, fh, fw)

    # layout in board units (one output cell = 1): left column, output, counts, student
    gap, side = 1.4, 0.6  # side: cell size of the grids right of the output
    inch = width / (20 + 1.6 * fw)  # a first guess, refined below
    for _ in range(3):  # the room for labels depends on the scale, the scale on that room
        times = max(1.8, 0.5 / inch)  # room for "× v =" between the kernel and value × kernel
        label = 0.2 / inch
        left_w = max(n_w, 2 * kw + times)
        x_out = left_w + gap
        x_count = x_out + fw + gap
        x_student = x_count + side * fw + gap
        right = x_student + side * kept[3] if student is not None else x_count + side * fw
        height = max(label + n_h + 0.6 + label + kh, 2 * label + fh)
        inch = min(width / (right + 0.4), max_height / (height + 0.4))
    board = Board(inch)
    line = board.line

    # input, kernel, value x kernel
    y_in = line
    done = np.zeros(x.shape, bool)
    done.flat[:step] = True
    x_in = (left_w - n_w) / 2
    place_in = board.grid(x_in, y_in, tint(x.shape, done, VALUE, 0.3), values=x, name="input")
    y_k = y_in + n_h + 0.6 + line
    x_k = max(0.0, (left_w - 2 * kw - times) / 2)
    top_value = float(np.abs(kernel).max() * max(np.abs(x).max(), 1))
    board.grid(x_k, y_k, shade(kernel, np.abs(kernel).max(), VALUE), values=kernel, name="kernel")
    board.text(x_k + kw / 2, y_k - 0.1, "kernel")
    x_s = x_k + kw + times
    if current:
        i, j = current.position
        value = format_number(current.value)
        board.box(place_in, i, j, 1, 1, label="current input")
        board.text(left_w / 2, y_in - 0.1, f"input: x[{i}, {j}] = {value}", fontsize=10)
        place_s = board.grid(x_s, y_k, shade(current.scaled, top_value, VALUE), values=current.scaled,
                             name="scaled")
        board.box(place_s, 0, 0, kh, kw, lw=2)
        board.text(x_s - times / 2, y_k + kh / 2, f"× {value} =", va="center", fontsize=10)
        board.text(x_s + kw / 2, y_k - 0.1, f"{value} × kernel")
    else:
        board.text(left_w / 2, y_in - 0.1, "input", fontsize=10)
        board.text(x_s + kw / 2, y_k + kh / 2, "value ×\nkernel", va="center", color="0.4")

    # the full output so far
    y_grid = 2 * line
    final_top = float(np.abs(scatter.full).max())
    colors = shade(so_far, final_top, VALUE, touched)
    extra = np.zeros((fh, fw), bool)  # the output padding: rows and columns no kernel copy reaches
    extra[fh - output_padding:], extra[:, fw - output_padding:] = True, True
    colors[extra] = to_rgb(PADDING)
    place_out = board.grid(x_out, y_grid, colors, 1.0, so_far, touched, name="output")
    if current:
        board.box(place_out, *current.origin, kh, kw, label="footprint")
    if cropped:
        board.box(place_out, *kept, color=KEPT, lw=1.5, ls="--", label="kept output")
    if step < len(steps):
        title = f"output so far: step {step} of {len(steps)}\n(full grid, before cropping)"
    else:
        title = "output: all inputs added\n"
        title += "dashed: kept after cropping" if cropped else "(nothing cropped)"
    if output_padding:
        title += ", grey: output padding"
    board.text(x_out + fw / 2, y_grid - 0.1, title, fontsize=10)

    # overlap counts and the student's result
    place_count = board.grid(x_count, y_grid, shade(counts, counts.max(), COUNT, counts > 0), side, counts,
                             name="counts")
    if cropped:
        board.box(place_count, *kept, color=KEPT, lw=1.2, ls="--")
    board.text(x_count + side * fw / 2, y_grid - 0.1,
               f"overlap count\n({counts.min()}–{counts.max()} copies per pixel)")
    if student is not None:
        _student_panel(board, student, x_student, y_grid + side * kept[0], side, kept[2:], final_top)

    return board.figure(reuse=reuse)


def _student_panel(board: Board, student: StudentResult, x0: float, y0: float, cell: float,
                   shape: tuple[int, int], top: float) -> None:
    """The student's output with differing cells marked, or the error message, on ``board``."""
    title_x = x0 + cell * shape[1] / 2
    if student.error:
        board.reserve(x0, y0, x0 + cell * shape[1], y0 + cell * shape[0])
        board.text(title_x, y0 - 0.1, "your conv_transpose2d", fontsize=9.5)
        board.text(title_x, y0 + cell * shape[0] / 2, wrap(student.error, 28, 6), va="center",
                   fontsize=8.5, color=WRONG)
        return
    got, differs = student.output, student.differ
    colors = np.where(differs[..., None], shade(np.ones_like(got), 1, WRONG), shade(got, top, VALUE))
    place = board.grid(x0, y0, colors, cell, got, name="student")
    for i, j in np.argwhere(differs):
        board.box(place, int(i), int(j), 1, 1, color=WRONG, lw=1.5, label="differs")
    board.text(title_x, y0 - 0.1, "your conv_transpose2d:\n" + student.message, fontsize=9,
               color=WRONG if differs.any() else "black")


def three_views_figure(x, kernel, stride: int, padding: int = 0, output_padding: int = 0) -> Figure:
    """One transposed convolution computed three ways, side by side, with their largest differences.

    Top: 1. scatter-add, 2. zero insertion + stride-1 convolution with the flipped kernel,
    3. ``C.T @ x``. Below, small: the input, the zero-inserted padded input (x in blue) and
    the matrix C of the forward convolution. Display the returned figure (last line of a cell).
    """
    x, kernel = np.asarray(x), np.asarray(kernel)
    scatter = tc.scatter_steps(x, kernel, stride, padding, output_padding)
    zero = tc.zero_insertion_view(x, kernel, stride, padding, output_padding)
    matrix = tc.matrix_view(x, kernel, stride, padding, output_padding)
    results = [("1. scatter-add", scatter.output), ("2. zero insertion + conv", zero.output),
               ("3. Cᵀ · x", matrix.output)]
    fig = Figure(figsize=(8.2, 5.0))
    grid = fig.add_gridspec(2, 3, height_ratios=[2.2, 1.4], left=0.02, right=0.98, top=0.82,
                            bottom=0.07, wspace=0.15, hspace=0.45)
    top = float(np.abs(scatter.output).max())
    size = max(scatter.output.shape)
    for col, (name, out) in enumerate(results):
        ax = fig.add_subplot(grid[0, col])
        board = Board(2.5 / size)
        board.grid(0, 0, shade(out, top, VALUE), 1.0, out, name="result")
        board.draw(ax)
        diff = float(np.abs(out - scatter.output).max())
        ax.set_title(name if col == 0 else f"{name}\nmax |difference to 1.| = {diff:.1g}", fontsize=10)

    ax = fig.add_subplot(grid[1, 0])
    board = Board(1.2 / max(x.shape))
    board.grid(0, 0, shade(x, np.abs(x).max(), VALUE), 1.0, x, name="input")
    board.draw(ax)
    ax.set_title(f"input x, {x.shape[0]}×{x.shape[1]}", fontsize=9)

    ax = fig.add_subplot(grid[1, 1])
    is_input = np.zeros(zero.padded.shape, bool)
    starts = [k - 1 - padding for k in kernel.shape]
    index = [np.arange(n) * stride + s for n, s in zip(x.shape, starts)]
    index = [i[(i >= 0) & (i < m)] for i, m in zip(index, zero.padded.shape)]
    is_input[np.ix_(*index)] = True
    (ph, pw), (kh, kw) = zero.padded.shape, kernel.shape
    big = 1.6  # the flipped kernel's cells, larger to fit its numbers
    board = Board(min(2.4 / (pw + 1 + big * kw), 1.3 / ph))
    board.grid(0, 0, tint((ph, pw), is_input, VALUE, 0.6), 1.0, zero.padded, name="padded",
               numbers=False)  # values recorded, not written: the blue cells show where x is
    board.grid(pw + 1, (ph - big * kh) / 2, shade(zero.flipped, np.abs(kernel).max(), VALUE), big, zero.flipped,
               name="flipped")
    board.text(pw + 1 + big * kw / 2, (ph - big * kh) / 2 - 0.2, "flipped\nkernel", fontsize=8)
    board.draw(ax)
    ax.set_title(f"x with zeros inserted and padded ({ph}×{pw}, blue: x),\n"
                 "convolved with the flipped kernel, stride 1", fontsize=8.5)

    ax = fig.add_subplot(grid[1, 2])
    limit = float(np.abs(matrix.matrix).max()) or 1.0
    ax.imshow(matrix.matrix, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto", interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    # C maps the forward convolution's input (columns) to its output (rows); C.T goes back
    ax.set_xlabel("pixel of the conv's input = of the result", fontsize=8)
    ax.set_ylabel("pixel of x", fontsize=8)
    ax.set_title(f"C of the forward conv, {matrix.matrix.shape[0]}×{matrix.matrix.shape[1]}", fontsize=8.5)

    worst = max(float(np.abs(out - scatter.output).max()) for _, out in results)
    fig.suptitle(f"one transposed convolution, three ways (kernel {kernel.shape[0]}×{kernel.shape[1]}, "
                 f"stride {stride}, padding {padding}, output padding {output_padding})\n"
                 f"largest difference between them: {worst:.1g}", fontsize=10)
    return fig


CHECKERBOARD_TITLES = {"k3s2": "ConvTranspose2d\nkernel 3, stride 2", "k4s2": "ConvTranspose2d\nkernel 4, stride 2",
                       "k2s2": "ConvTranspose2d\nkernel 2, stride 2",
                       "resize_conv": "nearest ×2, then\n3×3 Conv2d (resize-conv)"}


def checkerboard_figure(demo: tc.CheckerboardDemo) -> Figure:
    """One column per up-sampler of :func:`~course.transposed_conv.checkerboard_demo`: its
    overlap counts, its output at random initialisation and after training, each output titled
    with its :func:`~course.transposed_conv.checkerboard_strength`. Display the returned figure."""
    fig = Figure(figsize=(8.4, 7.4))
    axes = fig.subplots(3, len(tc.UPSAMPLERS))
    rows = ("overlap count", "random weights", "after training")
    for column, name in zip(axes.T, tc.UPSAMPLERS):
        counts = demo.overlaps[name]
        if counts is None:
            column[0].text(0.5, 0.5, "every output pixel:\nthe same 9 weights on a\n3×3 window of the\nnearest-up-sampled image",
                           ha="center", va="center", fontsize=8, transform=column[0].transAxes)
            column[0].set_axis_off()
        else:
            board = Board(1.9 / counts.shape[1])
            board.grid(0, 0, shade(counts, 4, COUNT), 1.0, counts, name="overlap", numbers=False)
            board.draw(column[0])
            inside = ", ".join(str(v) for v in np.unique(counts[2:-2, 2:-2]))
            column[0].set_title(f"inside the border: {inside}", fontsize=8)
        for ax, image in ((column[1], demo.initial[name]), (column[2], demo.trained[name])):
            ax.imshow(image, cmap="gray", interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"checkerboard {tc.checkerboard_strength(image):.2f}", fontsize=9)
        column[2].set_xlabel(f"training loss {demo.losses[name]:.0e}", fontsize=8)
        column[0].annotate(CHECKERBOARD_TITLES[name], (0.5, 1.22), xycoords="axes fraction", ha="center",
                           va="bottom", fontsize=9, fontweight="bold")
    for ax, row in zip(axes[:, 0], rows):
        ax.annotate(row, (-0.12, 0.5), xycoords="axes fraction", rotation=90, ha="right", va="center", fontsize=9)
    fig.suptitle("the same smooth image up-sampled ×2, before and after learning bilinear ×2\n"
                 "(checkerboard: share of the variation that repeats every 2 pixels, 0 to 1)", fontsize=10)
    fig.subplots_adjust(left=0.05, right=0.99, top=0.84, bottom=0.05, wspace=0.15, hspace=0.35)
    return fig


def learned_filter_figure(result: tc.LearnedFilter) -> Figure:
    """The kernel of :func:`~course.transposed_conv.learn_bilinear_filter` at each recorded
    step next to the target, on one colour scale with the values written in, and the loss of
    every step (log scale) with the recorded steps marked. Display the returned figure."""
    panels = [(kernel, f"step {step}") for step, kernel in zip(result.steps, result.kernels)]
    panels.append((result.target, "bilinear ×2\n(the target)"))
    limit = max(float(np.abs(k).max()) for k, _ in panels)
    fig = Figure(figsize=(1.6 * len(panels) + 3.2, 2.7), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1.6 * len(panels), 3.2])
    for ax, (kernel, title) in zip(left.subplots(1, len(panels)), panels):
        ax.imshow(kernel, cmap="coolwarm", vmin=-limit, vmax=limit)
        for (r, c), value in np.ndenumerate(kernel):
            ax.text(c, r, f"{value:.2f}", ha="center", va="center", fontsize=7)
        gap = np.abs(kernel - result.target).max()
        ax.set_title(title if kernel is result.target else f"{title}\nlargest gap {gap:.2f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    ax = right.subplots()
    steps = np.arange(1, len(result.losses) + 1)
    ax.semilogy(steps, result.losses, color="0.3")
    marked = [s for s in result.steps if s > 0]
    ax.semilogy(marked, result.losses[np.array(marked) - 1], "o", color="C3")
    ax.set(xlabel="training step", ylabel="loss (mean squared error)")
    left.suptitle("a ConvTranspose2d(1, 1, 4, stride=2, padding=1) learns its filter", fontsize=10)
    return fig


# ---------------------------------------------------------------------------
# Wiring
# ---------------------------------------------------------------------------


def transposed_conv_stepper(student_fn: StudentFn | None = None) -> Explorer:
    """Kernel size, stride, padding, output padding, input size and a step slider (with Play).

    Step ``t`` shows the output after the first ``t`` input values (row-major) have each added
    value × kernel at their place; the line above the figure gives the output-size formula
    with the numbers and what the step did. With ``student_fn`` (the exercise's
    ``conv_transpose2d(x, weight, stride=1, padding=0, output_padding=0)``) a last panel
    shows its result on the same input, cells that differ from the reference marked.
    """
    controls = {"kernel": slider("kernel size", 3, 2, 4), "stride": slider("stride", 2, 1, 3),
                "padding": slider("padding", 0, 0, 2), "output_padding": slider("output pad.", 0, 0, 2),
                "input_size": slider("input size", 2, 2, 4), "step": slider("step", 0, 0, 4)}
    play = widgets.Play(value=0, min=0, max=4, interval=900, description="animate the steps")
    widgets.jslink((play, "value"), (controls["step"], "value"))
    text = widgets.HTML()
    shown: dict = {}  # the figure drawn last, redrawn by the next change

    def render(kernel, stride, padding, output_padding, input_size, step) -> Figure:
        controls["step"].max = play.max = input_size * input_size  # may clamp the step (no extra redraw)
        step = controls["step"].value
        formula = f"<b>output size</b> = {size_formula(input_size, kernel, stride, padding, output_padding)}"
        try:
            conv_transpose_output_size(input_size, kernel, stride, padding, output_padding)
        except ValueError as error:
            text.value = (f"{formula}<br><b style='color:{WRONG}'>Impossible combination:</b> "
                          f"{html.escape(str(error))}")
            return message_figure(f"Impossible combination:\n{error}")
        x, k = demo_values(input_size, input_size), demo_values(kernel, kernel)
        scatter = tc.scatter_steps(x, k, stride, padding, output_padding)
        text.value = f"{formula}<br>{_step_text(scatter, step, k.shape)}"
        student = None
        if student_fn is not None:
            student = compare_student(student_fn, x, k, stride, padding, output_padding, scatter.output)
        shown["figure"] = draw_stepper(x, k, stride, padding, output_padding, step, student,
                                       width=9.6 if student_fn is not None else 8.2, reuse=shown.get("figure"))
        return shown["figure"]

    return Explorer(controls, render, extra=[widgets.HBox([play, widgets.Label("animate the steps")]), text],
                    columns=3)


def _step_text(scatter: tc.Scatter, step: int, k_shape: tuple[int, int]) -> str:
    n = len(scatter.steps)
    if step == 0:
        return f"<b>step 0 of {n}</b>: nothing added yet; move the step slider or press play."
    s = scatter.steps[step - 1]
    (i, j), (r, c), (kh, kw) = s.position, s.origin, k_shape
    text = (f"<b>step {step} of {n}</b>: x[{i}, {j}] = {format_number(s.value)} times the kernel is added "
            f"at output rows {r}–{r + kh - 1}, columns {c}–{c + kw - 1}; overlapping values are summed.")
    if step == n:
        rows, cols = scatter.crop
        text += (f" Done: the output is rows {rows.start}–{rows.stop - 1}, columns {cols.start}–{cols.stop - 1} "
                 "of the full grid (padding crops each side, output padding adds at the bottom and right).")
    return text
