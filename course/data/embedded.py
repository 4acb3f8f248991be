"""The embedded dataset: shapes that only their outline tells apart, generated from a seed.

Every image holds two to four objects on a cluttered, textured background. An object is
a disc, a square, a triangle or (rarely) a cross, filled with a random colour and texture
drawn from the *same* distribution for every class, at a random size (the same range of
areas for every class) and rotation. Inside an object, a small neighbourhood therefore
looks the same whatever the class: only the outline, up to ~12 pixels away at the default
size, says which shape it is. A network with a small receptive field can find the objects
(their fill differs from the background) but not name them; a U-Net can. The background
covers about 84 % of the pixels, the disc, square and triangle 4-6 % each and the cross,
in a quarter of the images, 1.5 %: the classes are imbalanced like the lecture's examples.

Image ``i`` of a split is drawn from ``np.random.default_rng([seed, split, i])`` alone, so
the same seed gives bit-identical tensors in every process (on another CPU or NumPy build,
equal up to the rounding of NumPy's math functions), the first ``n`` images do not depend
on how many are asked for, and the validation images differ from the training images.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.colors import hsv_to_rgb

from ..arguments import check_int
from ..drawing import pixel_grid, polygon_mask, value_noise
from .dataset import SegmentationDataset

__all__ = ["CLASS_NAMES", "SPLITS", "DEFAULT_SIZES", "generate", "draw", "load_embedded"]

CLASS_NAMES = ("background", "disc", "square", "triangle", "cross")
SPLITS = {"train": 0, "val": 1}
DEFAULT_SIZES = {"train": 512, "val": 128}
_DISC, _SQUARE, _TRIANGLE, _CROSS = 1, 2, 3, 4
_SHAPE_PROBABILITIES = np.array([0.3, 0.3, 0.3, 0.1])  # disc, square, triangle, cross
_AREA = (0.035, 0.085)  # of the image's area, for every class alike
_OBJECTS = (2, 4)  # per image, inclusive
_MIN_SIZE = 32


def load_embedded(split: str = "train", *, n: int | None = None, size: int = 64,
                  seed: int = 0) -> SegmentationDataset:
    """The embedded dataset's ``split`` ("train" or "val"): ``n`` images of ``size`` x ``size``.

    ``n`` defaults to 512 for "train" and 128 for "val". Images are float32 (n, 3, size, size)
    in [0, 1]; masks int64 (n, size, size) with the classes of :data:`CLASS_NAMES`.
    """
    _check_split(split)
    n = DEFAULT_SIZES[split] if n is None else check_int("n", n, 1)
    images, masks = generate(n, size=size, seed=seed, split=split)
    return SegmentationDataset(torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(),
                               torch.from_numpy(masks).long(), CLASS_NAMES, name="embedded",
                               split=split, info={"seed": seed, "size": size})


def generate(n: int, *, size: int = 64, seed: int = 0, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """``n`` images float32 (n, size, size, 3) in [0, 1] and masks uint8 (n, size, size)."""
    check_int("n", n, 1)
    check_int("size", size, _MIN_SIZE)
    check_int("seed", seed, 0)
    _check_split(split)
    images = np.empty((n, size, size, 3), np.float32)
    masks = np.empty((n, size, size), np.uint8)
    for i in range(n):
        images[i], masks[i] = draw(np.random.default_rng([seed, SPLITS[split], i]), size)
    return images, masks


def draw(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """One image float32 (size, size, 3) in [0, 1] and its mask uint8 (size, size)."""
    yy, xx = pixel_grid(size, size)
    image = _background(rng, size, yy, xx)
    mask = np.zeros((size, size), np.uint8)
    placed: list[tuple[float, float, float]] = []  # (cy, cx, circumradius)
    for _ in range(rng.integers(_OBJECTS[0], _OBJECTS[1] + 1)):
        cls = 1 + rng.choice(len(_SHAPE_PROBABILITIES), p=_SHAPE_PROBABILITIES)
        area = rng.uniform(*_AREA) * size * size
        inside, radius = _shape(rng, cls, area, yy, xx, size, placed)
        if inside is None:
            continue
        image[inside] = _fill(rng, size)[inside]
        mask[inside] = cls
    image += 0.03 * rng.standard_normal(image.shape).astype(np.float32)  # sensor noise
    return np.clip(image, 0.0, 1.0), mask


def _check_split(split) -> None:
    if split not in SPLITS:
        raise ValueError(f"expected split to be one of {list(SPLITS)}, got {split!r}")


def _shape(rng, cls: int, area: float, yy, xx, size: int, placed: list):
    """Pixels (bool (size, size)) of a shape of class ``cls`` and ``area`` pixels placed where
    it overlaps no earlier shape, and its circumradius; (None, 0) if no place was found."""
    radius = {_DISC: np.sqrt(area / np.pi), _SQUARE: np.sqrt(area / 2),
              _TRIANGLE: np.sqrt(4 * area / (3 * np.sqrt(3))), _CROSS: np.sqrt(area / 2)}[cls]
    for _ in range(50):
        cy, cx = rng.uniform(radius + 1, size - radius - 1, size=2)
        if all(np.hypot(cy - y, cx - x) > radius + r + 2 for y, x, r in placed):
            break
    else:
        return None, 0.0
    placed.append((cy, cx, radius))
    angle = rng.uniform(0, 2 * np.pi)
    if cls == _DISC:
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2, radius
    if cls == _CROSS:  # a plus sign: two bars of length 2a and width 2a/3, area 20a²/9
        a = radius * 3 / np.sqrt(10)
        c, s = np.cos(angle), np.sin(angle)
        v, u = c * (yy - cy) - s * (xx - cx), s * (yy - cy) + c * (xx - cx)
        return ((np.abs(v) <= a) & (np.abs(u) <= a / 3)) | ((np.abs(u) <= a) & (np.abs(v) <= a / 3)), radius
    corners = 4 if cls == _SQUARE else 3
    angles = angle + 2 * np.pi * np.arange(corners) / corners
    points = [(cy + radius * np.sin(t), cx + radius * np.cos(t)) for t in angles]
    return polygon_mask(yy, xx, points), radius


def _random_color(rng, saturation, value) -> np.ndarray:
    hsv = np.array([rng.uniform(0, 1), rng.uniform(*saturation), rng.uniform(*value)])
    return hsv_to_rgb(hsv).astype(np.float32)


def _fill(rng, size: int) -> np.ndarray:
    """An object's fill (size, size, 3): a saturated colour with a fine texture."""
    colour = _random_color(rng, (0.5, 1.0), (0.55, 1.0))
    texture = 1 + 0.12 * value_noise(rng, (size, size), cell=2.5)
    return colour * texture[..., None]


def _background(rng, size: int, yy, xx) -> np.ndarray:
    """A muted, blotchy background (size, size, 3) with clutter: thin strokes and dots in
    the objects' colours, so that colour alone does not mark an object."""
    a, b = (_random_color(rng, (0.0, 0.35), (0.25, 0.85)) for _ in range(2))
    t = 1 / (1 + np.exp(-2 * value_noise(rng, (size, size), cell=size / 5)))
    image = a * (1 - t[..., None]) + b * t[..., None]
    image = image * (1 + 0.08 * value_noise(rng, (size, size), cell=1.5))[..., None]
    for _ in range(rng.integers(3, 8)):  # strokes one or two pixels wide
        y0, x0 = rng.uniform(0, size, 2)
        length, angle = rng.uniform(0.15, 0.4) * size, rng.uniform(0, np.pi)
        t = np.clip(((yy - y0) * np.sin(angle) + (xx - x0) * np.cos(angle)) / length, 0, 1)
        distance = np.hypot(yy - y0 - t * length * np.sin(angle), xx - x0 - t * length * np.cos(angle))
        image[distance <= rng.uniform(0.5, 1.0)] = _random_color(rng, (0.5, 1.0), (0.55, 1.0))
    for _ in range(rng.integers(2, 6)):  # dots
        y0, x0 = rng.uniform(0, size, 2)
        image[np.hypot(yy - y0, xx - x0) <= rng.uniform(1.0, 2.0)] = _random_color(rng, (0.5, 1.0), (0.55, 1.0))
    return image.astype(np.float32)
