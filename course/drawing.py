"""Drawing primitives for the course's synthetic images, in NumPy: pixel grids, smooth and
fractal noise, blurs and filters, masks of shapes (polygons, ellipses, rectangles), and painting
with colour, texture and sensor grain (used by :mod:`course.samples` and :mod:`course.data.embedded`)."""

from __future__ import annotations

import numpy as np

__all__ = ["pixel_grid", "value_noise", "polygon_mask", "fractal_noise", "box_blur", "max_filter3", "rotated_frame",
           "ellipse_mask", "rect_mask", "trapezoid_mask", "mirrored_rect_mask", "paint", "textured", "mix",
           "add_grain", "pick_colour"]


def pixel_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinate grids ``(yy, xx)``, float32, shape (h, w)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return yy + 0.5, xx + 0.5


def value_noise(rng: np.random.Generator, shape: tuple[int, int], cell: float) -> np.ndarray:
    """Smooth value noise with features about ``cell`` pixels wide, ~zero mean, unit std."""
    h, w = shape
    cell = max(float(cell), 1.0)
    grid = rng.standard_normal((int(h / cell) + 3, int(w / cell) + 3))
    y = np.arange(h) / cell + rng.uniform(0, 1)
    x = np.arange(w) / cell + rng.uniform(0, 1)
    y0, x0 = y.astype(int), x.astype(int)
    ty, tx = y - y0, x - x0
    ty, tx = ty * ty * (3 - 2 * ty), tx * tx * (3 - 2 * tx)  # smoothstep
    rows0, rows1 = grid[y0], grid[y0 + 1]
    top = rows0[:, x0] * (1 - tx) + rows0[:, x0 + 1] * tx
    bottom = rows1[:, x0] * (1 - tx) + rows1[:, x0 + 1] * tx
    out = top * (1 - ty)[:, None] + bottom * ty[:, None]
    out -= out.mean()
    return (out / (out.std() + 1e-8)).astype(np.float32)


def polygon_mask(yy, xx, points) -> np.ndarray:
    """Pixels inside a polygon given as a sequence of ``(y, x)`` vertices (even-odd rule)."""
    inside = np.zeros(np.shape(yy), dtype=bool)
    for (y1, x1), (y2, x2) in zip(points, points[1:] + points[:1]):
        if y1 == y2:
            continue
        crosses = (yy >= min(y1, y2)) & (yy < max(y1, y2))
        inside ^= crosses & (xx < x1 + (yy - y1) * (x2 - x1) / (y2 - y1))
    return inside


def fractal_noise(rng, shape, cell: float, octaves: int = 3) -> np.ndarray:
    """Sum of ``octaves`` noise layers, each half the size and amplitude of the last."""
    out = sum(0.5**k * value_noise(rng, shape, cell / 2**k) for k in range(octaves))
    return (out / (out.std() + 1e-8)).astype(np.float32)


def box_blur(a: np.ndarray, radius: int, passes: int = 1) -> np.ndarray:
    """Separable box blur over the first two axes (``passes`` > 1 approximates a gaussian)."""
    a = np.asarray(a, dtype=np.float64)
    k = 2 * radius + 1
    for _ in range(passes if radius > 0 else 0):
        for axis in (0, 1):
            pad = [(0, 0)] * a.ndim
            pad[axis] = (radius + 1, radius)
            c = np.cumsum(np.pad(a, pad, mode="edge"), axis=axis)
            n = a.shape[axis]
            a = (np.take(c, np.arange(k, k + n), axis=axis) - np.take(c, np.arange(n), axis=axis)) / k
    return a.astype(np.float32)


def max_filter3(a: np.ndarray) -> np.ndarray:
    """3x3 maximum filter (edges replicated)."""
    p = np.pad(a, 1, mode="edge")
    h, w = a.shape
    return np.max([p[i : i + h, j : j + w] for i in range(3) for j in range(3)], axis=0)


def rotated_frame(yy, xx, cy, cx, angle):
    """Coordinates ``(v, u)`` in a frame centred at (cy, cx) and rotated by ``angle`` radians."""
    c, s = np.cos(angle), np.sin(angle)
    dy, dx = yy - cy, xx - cx
    return c * dy - s * dx, s * dy + c * dx


def ellipse_mask(yy, xx, cy, cx, ry, rx, power: float = 2.0) -> np.ndarray:
    """Pixels inside an axis-aligned (super-)ellipse."""
    return np.abs((yy - cy) / ry) ** power + np.abs((xx - cx) / rx) ** power <= 1.0


def rect_mask(yy, xx, y0, y1, x0, x1) -> np.ndarray:
    """Pixels with ``y0 <= y < y1`` and ``x0 <= x < x1``."""
    return (yy >= y0) & (yy < y1) & (xx >= x0) & (xx < x1)


def trapezoid_mask(yy, xx, y0, y1, half0, half1, x0=0.0, x1=0.0) -> np.ndarray:
    """Quadrilateral: width ``2 * half0`` centred at ``x0`` on row y0 to ``2 * half1`` at ``x1`` on y1."""
    return polygon_mask(yy, xx, [(y0, x0 - half0), (y0, x0 + half0), (y1, x1 + half1), (y1, x1 - half1)])


def mirrored_rect_mask(yy, xx, y0, y1, x0, x1) -> np.ndarray:
    """A rectangle for ``x0 <= x < x1`` plus its mirror image about ``x = 0``."""
    return rect_mask(yy, xx, y0, y1, x0, x1) | rect_mask(yy, xx, y0, y1, -x1, -x0)


def paint(img, label, where, rgb, cls=None) -> None:
    """Set ``img`` (and ``label`` to ``cls`` if given) at the boolean mask ``where``.

    ``rgb`` is a colour of shape (3,) or a per-pixel colour image (H, W, 3).
    """
    rgb = np.asarray(rgb, dtype=np.float32)
    img[where] = rgb[where] if rgb.ndim == 3 else rgb
    if cls is not None:
        label[where] = cls


def textured(rgb, *fields) -> np.ndarray:
    """Per-pixel colour ``rgb * (1 + sum(amount * field))`` from ``(amount, field)`` pairs."""
    factor = 1.0 + sum(a * f for a, f in fields)
    return np.asarray(rgb, np.float32) * factor[..., None]


def mix(a, b, t):
    """Linear interpolation ``a * (1 - t) + b * t`` (``t`` broadcast over colour channels)."""
    t = np.asarray(t, dtype=np.float32)
    if t.ndim:
        t = t[..., None]
    return np.asarray(a, np.float32) * (1 - t) + np.asarray(b, np.float32) * t


def add_grain(img, rng, grain: float) -> np.ndarray:
    """Add per-pixel sensor noise and clip to a float32 image in [0, 1]."""
    img = img + grain * rng.standard_normal(img.shape)
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def pick_colour(rng, palette, jitter: float = 0.1) -> np.ndarray:
    """Random palette colour with brightness jitter."""
    colour = np.asarray(palette[rng.integers(len(palette))], np.float32)
    return colour * rng.uniform(1 - jitter, 1 + jitter)
