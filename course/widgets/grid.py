"""Grids of numbered cells, drawn fast: the drawing the grid explorers share.

A figure is one bare axes measured in grid cells, x to the right and y down (:func:`canvas`;
an explorer redraws into the figure it showed last). A grid is one :class:`Cells` artist,
an image to read but drawn as squares with lines between them (:func:`draw_cells`); numbers
and labels are glyph outlines, cached, stamped by one :class:`Label` collection each
(:func:`draw_text`, :func:`draw_numbers`, :func:`label`), far cheaper to draw than a
matplotlib Text per cell. Text sizes are in points; :func:`box` outlines cells. Artists get a
``gid`` (and labels a ``get_text()``) so that tests can read what a figure shows.
"""

from __future__ import annotations

import re
import textwrap
from functools import lru_cache
from typing import Sequence

import numpy as np
from matplotlib import artist as martist
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Bbox, IdentityTransform

from .. import viz


def lighten(color, amount: float) -> str:
    """``color`` mixed with white: ``amount`` 0 keeps it, 1 gives white."""
    return to_hex((1 - amount) * np.array(to_rgb(color)) + amount)


HIGHLIGHT = viz.PALETTE[1]               # orange: the selected cell and the window it reads
WRONG = viz.PALETTE[6]                   # vermillion: errors, cells that differ
PADDING = lighten(viz.PALETTE[9], 0.62)  # light grey (#e4e4e4): zero padding, cells no window reads
LINES = "0.55"                           # grey lines between cells


# ---------------------------------------------------------------------------
# Colours and numbers
# ---------------------------------------------------------------------------


def tint(shape: tuple[int, int], cells, color, amount=0.45, base="white") -> np.ndarray:
    """RGB cell colours (H, W, 3): ``base`` (a colour or an (H, W, 3) array) blended towards
    ``color`` by ``amount`` (a number or one per cell) where ``cells`` (bool, (H, W)) is set."""
    rgb = np.broadcast_to(to_rgb(base), (*shape, 3)) if isinstance(base, str) else np.asarray(base, float)
    cells, amount = np.asarray(cells, bool)[..., None], np.asarray(amount, float)[..., None]
    return np.where(cells, (1 - amount) * rgb + amount * np.array(to_rgb(color)), rgb)


def shade(values, top: float, color, mask=None) -> np.ndarray:
    """White-to-``color`` cell colours (H, W, 3) by ``|value| / top``; cells outside ``mask`` stay white."""
    values = np.asarray(values, float)
    amount = 0.12 + 0.6 * np.clip(np.abs(values) / (top or 1.0), 0, 1)
    return tint(values.shape, True if mask is None else mask, color, amount)


def format_number(v, digits: int = 3) -> str:
    """``6`` for whole numbers, else ``digits`` significant digits (``3.25``); ``nan``, ``inf``."""
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:.{digits}g}"


# ---------------------------------------------------------------------------
# Figures, grids and boxes
# ---------------------------------------------------------------------------


def canvas(width: float, height: float, cell: float, margin: float = 0.0,
           reuse: Figure | None = None) -> tuple[Figure, Axes]:
    """A figure of ``width`` x ``height`` cells of ``cell`` inches and one bare axes in cell units
    (y down) showing x in [-margin, width + margin] and y in [-margin, height + margin].

    ``reuse``: a figure an earlier call made (others are ignored), emptied and resized instead of
    making a new one: a figure and its axes take longer to make than most grids take to draw.
    An explorer passes the figure it showed last.
    """
    if isinstance(getattr(reuse, "canvas_axes", None), Axes):
        fig, ax = reuse, reuse.canvas_axes
        for artist in [*ax.images, *ax.collections, *ax.patches, *ax.texts, *ax.lines, *ax.artists]:
            artist.remove()
        fig.set_size_inches((width + 2 * margin) * cell, (height + 2 * margin) * cell)
        ax.set_aspect("auto")
    else:
        fig = Figure(figsize=((width + 2 * margin) * cell, (height + 2 * margin) * cell))
        ax = fig.canvas_axes = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
    ax.set_xlim(-margin, width + margin)
    ax.set_ylim(height + margin, -margin)
    return fig, ax


def grid_lines(origin: tuple[float, float], shape: tuple[int, int], cell: float = 1.0,
               step: tuple[int, int] = (1, 1)) -> list:
    """Line segments along every ``step`` rows and columns of a grid of ``shape`` cells at ``origin`` (row, col)."""
    (r0, c0), (h, w) = origin, shape
    return ([[(c0, r0 + i * cell), (c0 + w * cell, r0 + i * cell)] for i in range(0, h + 1, step[0])]
            + [[(c0 + j * cell, r0), (c0 + j * cell, r0 + h * cell)] for j in range(0, w + 1, step[1])])


def cell_centres(origin: tuple[float, float], shape: tuple[int, int], cell: float = 1.0) -> np.ndarray:
    """(x, y) of the centre of every cell (row-major), shape (H * W, 2)."""
    rows, cols = np.indices(shape)
    return np.column_stack([origin[1] + (cols.ravel() + 0.5) * cell, origin[0] + (rows.ravel() + 0.5) * cell])


class Cells(AxesImage):
    """A grid of coloured cells: an image to read (``get_extent``, ``get_array``: the RGB colours)
    but drawn as one filled square per cell with lines between them, which stays as fast for a
    grid 300 pixels wide as for a small one (an image is resampled to its size in pixels)."""

    def __init__(self, ax: Axes, colors: np.ndarray, origin: tuple[float, float], cell: float = 1.0,
                 line_color=LINES, line_width: float = 0.8, gid: str | None = None):
        (r0, c0), (h, w) = origin, colors.shape[:2]
        super().__init__(ax, extent=(c0, c0 + w * cell, r0 + h * cell, r0), interpolation="nearest", gid=gid)
        self.set_data(colors)
        corners = cell * np.array([[0, 0], [1, 0], [1, 1], [0, 1]])  # (x, y) of a cell's corners
        squares = cell_centres(origin, (h, w), cell)[:, None] - cell / 2 + corners
        self._squares = PolyCollection(squares, facecolors=np.reshape(colors, (-1, 3)),
                                       edgecolors=line_color if line_width else "face", linewidths=line_width)
        self._squares.set_figure(ax.get_figure(root=False))
        self._squares.set_transform(ax.transData)

    @martist.allow_rasterization
    def draw(self, renderer) -> None:
        if self.get_visible():
            self._squares.draw(renderer)
        self.stale = False


def draw_cells(ax: Axes, colors: np.ndarray, origin: tuple[float, float], gid: str | None, cell: float = 1.0,
               line_color=LINES, line_width: float = 0.8) -> Cells:
    """Cells of RGB ``colors`` (H, W, 3), cell (0, 0) at ``origin`` = (row, col), each ``cell`` units
    wide, with lines between them (none if ``line_width`` is 0): one :class:`Cells` artist with ``gid``."""
    cells = Cells(ax, colors, origin, cell, line_color, line_width, gid)
    ax.add_image(cells)
    return cells


def box(ax: Axes, row: float, col: float, height: float, width: float, origin=(0.0, 0.0), cell: float = 1.0,
        color=HIGHLIGHT, gid: str | None = None, **style) -> Rectangle:
    """Outline ``height`` x ``width`` cells from cell (row, col) of the grid at ``origin``."""
    rect = Rectangle((origin[1] + col * cell, origin[0] + row * cell), width * cell, height * cell, gid=gid,
                     **({"fill": False, "edgecolor": color, "lw": 3} | style))
    ax.add_artist(rect)  # not add_patch: the axes' limits are the caller's, and they cost time to update
    return rect


# ---------------------------------------------------------------------------
# Text as glyph outlines
# ---------------------------------------------------------------------------


def _ink(path: Path) -> np.ndarray:
    """(x0, y0, x1, y1) of a glyph outline: of its points (the font's outlines have points at their
    extremes), far faster than Path.get_extents."""
    points = path.vertices[path.codes != Path.CLOSEPOLY]
    return np.concatenate([points.min(0), points.max(0)])


@lru_cache(maxsize=1)
def digit_extent() -> tuple[float, float]:
    """Bottom and top of a digit's ink relative to the baseline, in em (the top: the height of capitals)."""
    _, y0, _, y1 = _ink(TextPath((0, 0), "0", size=1))
    return float(y0), float(y1)


@lru_cache(maxsize=4096)
def _line(line: str, weight: str) -> tuple[Path, np.ndarray]:
    """The outline of one line of text at 1 point, baseline at y = 0, and its ink (x0, y0, x1, y1)."""
    path = TextPath((0, 0), line, size=1, prop=FontProperties(weight=weight))
    return path, _ink(path)


@lru_cache(maxsize=4096)
def _outline(text: str, weight: str, va: str) -> tuple[Path, tuple[float, float, float, float]]:
    """The outline of ``text`` at 1 point (see :func:`glyphs`) and its extents (x0, y0, x1, y1)."""
    lines = text.split("\n")
    low, high = digit_extent()
    below = 1.25 * (len(lines) - 1)  # the first baseline's height above the last
    last = {"bottom": 0.25, "center": -(below + high + low) / 2, "top": -below - high}[va]
    vertices, codes, boxes = [], [], []
    for i, line in enumerate(lines):
        if line.strip():
            path, (x0, y0, x1, y1) = _line(line, weight)
            shift = np.array([-(x0 + x1) / 2, last + 1.25 * (len(lines) - 1 - i)])
            vertices.append(path.vertices + shift)
            codes.append(path.codes)
            boxes.append([x0, y0, x1, y1] + np.tile(shift, 2))
    if not vertices:  # blank text: nothing to draw
        return Path(np.zeros((1, 2)), [Path.MOVETO]), (0.0, 0.0, 0.0, 0.0)
    boxes = np.array(boxes)
    extents = (*boxes[:, :2].min(0), *boxes[:, 2:].max(0))
    return Path(np.concatenate(vertices), np.concatenate(codes)), tuple(float(v) for v in extents)


def glyphs(text: str, size: float, weight: str = "normal", va: str = "center") -> Path:
    """Outline of ``text`` in a ``size``-point font, in points, y up (outlines are cached).

    Lines (split at newlines) are 1.25 em apart, each centred on x = 0. y = 0 is the middle
    between the top of the first line's digits and the bottom of the last line's
    (``va="center"``), 0.25 em below the last baseline (``"bottom"``) or the top of the first
    line's digits (``"top"``).
    """
    path = _outline(text, weight, va)[0]
    return Path(path.vertices * size, path.codes)


def extents(text: str, size: float, weight: str = "normal", va: str = "center") -> np.ndarray:
    """(x0, y0, x1, y1) of the ink of :func:`glyphs` ``(text, size, weight, va)``, in points."""
    return np.array(_outline(text, weight, va)[1]) * size


def fit(texts: Sequence[str], size: float, width: float) -> float:
    """The largest font size up to ``size`` at which every text (one line) is at most ``width`` points wide."""
    widest = max((x1 - x0 for x0, _, x1, _ in (extents(text, 1.0) for text in texts)), default=0.0)
    return min(size, width / widest) if widest else size


class Label(PathCollection):
    """Texts drawn as glyph outlines in a ``size``-point font (one for all, or one per text) at offsets
    in data units, one artist for all.

    Like a matplotlib Text, it is not clipped to the axes, its window extent is that of its ink
    (so a tight bounding box holds it) and ``get_text()`` gives the texts, space-separated.
    """

    def __init__(self, ax: Axes, texts: Sequence[str], size, offsets, bold=False, va: str = "center", **kwargs):
        bold = np.broadcast_to(np.asarray(bold, bool), (len(texts),))
        outlines = [_outline(text, "bold" if b else "normal", va) for text, b in zip(texts, bold)]  # at 1 point
        super().__init__([path for path, _ in outlines], sizes=np.square(np.ravel(size)), offsets=offsets,
                         offset_transform=ax.transData, transform=IdentityTransform(), edgecolors="none",
                         **kwargs)  # sizes: areas in points², paths of 1 point scaled by their square root
        self.set_clip_on(False)
        self.texts = list(texts)
        self._extents = np.reshape([ink for _, ink in outlines], (-1, 4))

    def get_text(self) -> str:
        return " ".join(self.texts)

    def get_window_extent(self, renderer=None) -> Bbox:
        if not self.texts:
            return Bbox.null()
        xy = self.get_offset_transform().transform(self.get_offsets())
        scale = (np.sqrt(self.get_sizes()) * self.get_figure(root=True).dpi / 72)[:, None]  # pixels per point
        return Bbox([(xy + self._extents[:, :2] * scale).min(0), (xy + self._extents[:, 2:] * scale).max(0)])


def draw_text(ax: Axes, texts: Sequence[str], xy, size, color="0.1", bold=False, va: str = "center",
              gid: str | None = None) -> Label:
    """Write ``texts[k]`` at ``xy[k]`` (N, 2) (data units; see :func:`glyphs` for ``va``) in one
    collection with ``gid`` and ``label`` the texts, space-separated. ``size`` (points) and
    ``bold``: one for all or one per text."""
    label = Label(ax, texts, size, np.reshape(xy, (-1, 2)), bold, va, facecolors=color, gid=gid,
                  label=" ".join(texts))
    ax.add_collection(label, autolim=False)
    return label


def draw_numbers(ax: Axes, values, origin: tuple[float, float], size: float, gid: str | None, cell: float = 1.0,
                 bold=False, color="0.1", digits: int = 3) -> Label:
    """Write ``values`` (H, W) in the cells of the grid at ``origin`` (see :func:`format_number`);
    ``bold`` (H, W): cells in bold."""
    values = np.asarray(values)
    texts = [format_number(v, digits) for v in values.ravel()]
    return draw_text(ax, texts, cell_centres(origin, values.shape, cell), size, color, np.ravel(bold), gid=gid)


def label(ax: Axes, x: float, y: float, text: str, size: float = 10, color="0.1", va: str = "bottom",
          bold: bool = False, gid: str | None = None) -> Label:
    """Lines of ``text`` centred on x; their bottom (``va="bottom"``), middle or top at y."""
    return draw_text(ax, [text], [(x, y)], size, color, bold, va, gid)


def wrap(text: str, width: int, max_lines: int | None = None) -> str:
    """``text`` wrapped at ``width`` characters (each line of it), keeping shapes like ``(1, 1, 4, 4)`` whole;
    at most ``max_lines`` lines."""
    kept = re.sub(r"\([\d, ]*\)", lambda m: m.group().replace(" ", "\0"), text)
    lines = [line.replace("\0", " ") for part in kept.splitlines() for line in textwrap.wrap(part, width)]
    return "\n".join(lines[:max_lines])


def message_figure(text: str) -> Figure:
    """A small figure that only says ``text`` (an impossible combination, an error); ``gid`` "message"."""
    lines = wrap(text, 95)
    fig = Figure(figsize=(7.5, 0.3 + 0.2 * (lines.count("\n") + 1)))
    fig.add_axes((0, 0, 1, 1)).set_axis_off()  # IPython makes no image of a figure without axes
    fig.text(0.5, 0.5, lines, ha="center", va="center", fontsize=10, color=WRONG, gid="message")
    return fig
