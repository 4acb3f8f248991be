"""Drawing primitives for the course's synthetic images: pixel grids, smooth value noise and
filled polygons, in NumPy (used by :mod:`course.samples` and :mod:`course.data.embedded`)."""

from __future__ import annotations

import numpy as np

__all__ = ["pixel_grid", "value_noise", "polygon_mask"]


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
