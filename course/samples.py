"""Procedurally generated stand-ins for the lecture's segmentation examples.

The lecture motivates semantic segmentation with three applications: dental
X-ray analysis (ISBI 2015 challenge), eczema detection and autonomous driving
(KITTI, Cityscapes). The real data sets cannot be shipped with the course (and
the course runs offline), so this module draws small look-alikes with numpy
alone. Each generator returns a :class:`Sample` holding an RGB image and its
per-pixel class mask.

* Everything is drawn from ``np.random.default_rng(seed)``: the same seed and
  size give bit-identical arrays; no global random state is touched.
* Colours are deliberately noisy and overlap between classes (road vs.
  sidewalk greys, enamel vs. dentin), so colour alone does not segment well.
* Ignore pixels: street scenes mark a 1-pixel band around every car and
  person with ``IGNORE_INDEX`` (like the "void" borders of Pascal VOC).
  Dental and eczema masks contain no ignore pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arguments import check_int, is_int
from .drawing import (add_grain, box_blur, ellipse_mask, fractal_noise, max_filter3, mirrored_rect_mask, mix,
                      paint, pick_colour, pixel_grid, rect_mask, rotated_frame, textured, trapezoid_mask,
                      value_noise)
from .metrics import IGNORE_INDEX

__all__ = [
    "IGNORE_INDEX",
    "Sample",
    "DENTAL_CLASSES",
    "ECZEMA_CLASSES",
    "STREET_CLASSES",
    "dental_xray",
    "eczema",
    "street_scene",
    "SAMPLES",
    "load",
]


DENTAL_CLASSES = ("background", "enamel", "dentin", "pulp", "caries")
ECZEMA_CLASSES = ("background", "healthy skin", "eczema")
STREET_CLASSES = ("road", "sidewalk", "building", "vegetation", "sky", "car", "person")

_ROAD, _SIDEWALK, _BUILDING, _VEGETATION, _SKY, _CAR, _PERSON = range(len(STREET_CLASSES))


@dataclass(frozen=True)
class Sample:
    """An RGB image (float32, H x W x 3, in [0, 1]) with its uint8 class mask (H x W)."""

    name: str
    image: np.ndarray
    mask: np.ndarray
    class_names: tuple[str, ...]
    description: str


# ---------------------------------------------------------------------------
# Shared helpers: validation, noise, blur, shapes, painting
# ---------------------------------------------------------------------------


def _check_size(size, minimum: int) -> tuple[int, int]:
    """Return ``size`` as ``(height, width)`` or raise ValueError."""
    if not (
        isinstance(size, (tuple, list))
        and len(size) == 2
        and all(is_int(s) and s >= minimum for s in size)
    ):
        raise ValueError(
            f"expected size=(height, width) with two ints >= {minimum}, got {size!r}"
        )
    return int(size[0]), int(size[1])


def _rng(seed) -> np.random.Generator:
    """Private random generator for ``seed`` (an int >= 0), or raise ValueError."""
    return np.random.default_rng(check_int("seed", seed, 0))


# ---------------------------------------------------------------------------
# Dental bitewing X-ray
# ---------------------------------------------------------------------------

_ENAMEL, _DENTIN, _PULP, _CARIES = 1, 2, 3, 4
_DENTAL_GREY = np.array([0.0, 0.86, 0.63, 0.36, 0.32], np.float32)  # per class (bg unused)


def _tooth(label, yy, xx, rng, cy, cx, ry, rx, angle, root_dir) -> None:
    """Draw one tooth (crown centre (cy, cx); roots towards ``root_dir`` = +1 down / -1 up)."""
    v, u = rotated_frame(yy, xx, cy, cx, angle)
    v = v * root_dir  # v grows from the biting surface towards the root tips
    t = max(0.22 * ry, 1.5)  # enamel thickness
    cusps = 1 + 0.1 * np.cos(2 * np.pi * u / rx) * (v < 0)
    crown = ellipse_mask(v, u, 0, 0, ry * cusps, rx, power=2.8)
    inner = ellipse_mask(v, u, 0.45 * t, 0, ry - t, rx - 0.8 * t, power=2.8)
    enamel = crown & ~inner & (v < 0.45 * ry)

    neck, length = 0.3 * ry, rng.uniform(2.3, 3.0) * ry
    tip = neck + length
    centres = [-0.42 * rx, 0.42 * rx] if rng.random() < 0.6 else [0.0]
    half = 0.75 * rx / len(centres) + 0.1 * rx
    tooth, canals = crown.copy(), np.zeros_like(crown)
    for c in centres:
        a = c * rng.uniform(1.0, 1.4) + rng.uniform(-0.1, 0.1) * rx  # apex position
        tooth |= trapezoid_mask(v, u, neck, tip, half, 0.18 * rx, c, a)
        tooth |= ellipse_mask(v, u, tip, a, 0.18 * rx, 0.18 * rx)
        cw = max(0.1 * rx, 1.0)
        canals |= trapezoid_mask(v, u, 0.0, tip - 0.1 * length, cw, 0.4 * cw, c, a)
    chamber = ellipse_mask(v, u, 0.25 * ry, 0, 0.38 * ry, 0.3 * rx + 0.42 * rx * (len(centres) - 1))
    pulp = (chamber & inner | canals) & tooth & ~enamel

    label[tooth] = _DENTIN
    label[enamel] = _ENAMEL
    label[pulp] = _PULP
    if rng.random() < 0.3:  # caries: rare, usually on a side (interproximal) surface
        if rng.random() < 0.75:
            side = rng.choice([-1.0, 1.0])
            cv, cu = -rng.uniform(0.0, 0.45) * ry, side * 0.95 * rx
        else:
            cv, cu = -0.95 * ry, rng.uniform(-0.4, 0.4) * rx
        lesion = ellipse_mask(v, u, cv, cu, rng.uniform(0.2, 0.35) * ry, rng.uniform(0.2, 0.35) * rx)
        label[lesion & crown & ~pulp] = _CARIES


def dental_xray(seed: int = 0, size: tuple[int, int] = (128, 192)) -> Sample:
    """Synthetic bitewing X-ray: upper and lower teeth on a dark background, 5 classes."""
    h, w = _check_size(size, 32)
    rng = _rng(seed)
    yy, xx = pixel_grid(h, w)
    label = np.zeros((h, w), np.uint8)

    # Biting plane (slightly curved) and tooth dimensions relative to the image height.
    plane0, bend = h * rng.uniform(0.45, 0.55), h * rng.uniform(-0.05, 0.08)
    def plane(x):
        return plane0 + bend * ((x - w / 2) / (w / 2)) ** 2
    spacing, gap = h * rng.uniform(0.27, 0.33), h * rng.uniform(0.02, 0.06)
    ry = h * rng.uniform(0.1, 0.12)
    for root_dir in (-1, 1):  # upper row (roots up), lower row (roots down)
        x = rng.uniform(-0.3, 0.3) * spacing
        while x < w + spacing / 2:
            rx = spacing * rng.uniform(0.42, 0.47)
            slope = 2 * bend * (x - w / 2) / (w / 2) ** 2
            cy = plane(x) + root_dir * (gap / 2 + ry * rng.uniform(0.95, 1.05))
            angle = np.arctan(slope) + rng.uniform(-0.08, 0.08)
            _tooth(label, yy, xx, rng, cy, x, ry, rx, angle, root_dir)
            x += spacing * rng.uniform(0.95, 1.05)

    # Background: dark soft tissue near the biting plane, textured bone around the roots.
    crest = np.abs(yy - plane(xx)) - (gap / 2 + 1.7 * ry)
    bone = 1 / (1 + np.exp(-crest / 2.5))
    trabecular = fractal_noise(rng, (h, w), 4)
    background = 0.08 + 0.05 * value_noise(rng, (h, w), w / 4) ** 2 + bone * (0.17 + 0.05 * trabecular)

    grey = np.where(label == 0, background, _DENTAL_GREY[label])
    grey = grey * (1 + 0.06 * value_noise(rng, (h, w), 6)) + 0.04 * value_noise(rng, (h, w), 2)
    grey = box_blur(grey, 1, passes=2)
    vignette = 1 - 0.25 * (((yy - h / 2) / h) ** 2 + ((xx - w / 2) / w) ** 2)
    grey = grey * vignette * rng.uniform(0.9, 1.1)
    image = np.repeat(add_grain(grey, rng, grain=0.03)[..., None], 3, axis=2)  # grey film grain
    return Sample(
        name="dental-xray",
        image=image,
        mask=label,
        class_names=DENTAL_CLASSES,
        description="Synthetic stand-in for a bitewing dental X-ray from the ISBI 2015 "
        "dental X-ray analysis challenge (enamel, dentin, pulp, occasional caries).",
    )


# ---------------------------------------------------------------------------
# Eczema skin photo
# ---------------------------------------------------------------------------

_SKIN_TONES = np.array(
    [[0.96, 0.82, 0.72], [0.91, 0.73, 0.61], [0.80, 0.60, 0.46],
     [0.66, 0.46, 0.33], [0.50, 0.34, 0.24], [0.36, 0.24, 0.17]], np.float32,
)  # light to dark
_BACKDROPS = [(0.10, 0.10, 0.12), (0.18, 0.21, 0.28), (0.32, 0.31, 0.29),
              (0.45, 0.46, 0.48), (0.16, 0.24, 0.22)]


def eczema(seed: int = 0, size: tuple[int, int] = (128, 128)) -> Sample:
    """Synthetic close-up of a limb with eczema plaques: background, healthy skin, eczema."""
    h, w = _check_size(size, 32)
    rng = _rng(seed)
    yy, xx = pixel_grid(h, w)
    s = min(h, w)

    # Backdrop: dark or neutral cloth with a soft gradient.
    img = textured(pick_colour(rng, _BACKDROPS), (0.1, value_noise(rng, (h, w), s / 6)), (0.15, yy / h - 0.5))

    # Skin region: a limb crossing the frame at a random angle, with a slightly wavy outline.
    v, u = rotated_frame(yy, xx, h * rng.uniform(0.4, 0.6), w * rng.uniform(0.4, 0.6), rng.uniform(-0.9, 0.9))
    half_width = s * rng.uniform(0.32, 0.55)
    across = u / half_width + 0.04 * value_noise(rng, (h, w), s / 5)
    skin = np.abs(across) <= 1.0

    tone = rng.uniform(0, len(_SKIN_TONES) - 1)
    i = int(tone)
    skin_rgb = mix(_SKIN_TONES[i], _SKIN_TONES[min(i + 1, len(_SKIN_TONES) - 1)], tone - i)
    shade = 0.72 + 0.28 * np.sqrt(np.clip(1 - across**2, 0, 1)) + 0.05 * np.clip(across, -1, 1)
    creases = np.abs(np.sin(v * rng.uniform(0.25, 0.4) + 2 * value_noise(rng, (h, w), s / 4))) < 0.06
    pores = value_noise(rng, (h, w), 1.2) > 2.2
    skin_img = textured(skin_rgb, (0.05, value_noise(rng, (h, w), 2)), (0.04, value_noise(rng, (h, w), 8)))
    skin_img *= (shade - 0.07 * creases - 0.1 * pores)[..., None]

    # Eczema plaques: irregular blobs centred on random skin pixels, plus small satellite papules.
    plaque = np.zeros((h, w), bool)
    skin_idx = np.flatnonzero(skin)
    for _ in range(rng.integers(1, 4)):
        cy, cx = np.unravel_index(skin_idx[rng.integers(len(skin_idx))], (h, w))
        r = s * rng.uniform(0.08, 0.2)
        pv, pu = rotated_frame(yy, xx, cy, cx, rng.uniform(0, np.pi))
        dist = np.hypot(pv / (r * rng.uniform(0.6, 1.0)), pu / r) + 0.3 * value_noise(rng, (h, w), r / 2.5)
        plaque |= dist < 1.0
        for _ in range(rng.integers(2, 8)):
            angle, rad = rng.uniform(0, 2 * np.pi), r * rng.uniform(1.0, 1.6)
            pr = rng.uniform(1.0, 0.15 * r + 1.5)
            plaque |= ellipse_mask(yy, xx, cy + rad * np.sin(angle), cx + rad * np.cos(angle), pr, pr)
    plaque &= skin

    # Plaque look: reddish (darker / violaceous on dark skin), blotchy, with scales and crusts.
    lum = float(skin_rgb.mean())
    inflamed = np.clip(0.75 + 0.2 * value_noise(rng, (h, w), 5), 0.3, 1.0)
    red = np.array([0.80, 0.22, 0.24], np.float32) * (0.45 + 0.6 * lum)
    lesion = mix(skin_img, red * shade[..., None], 0.75 * inflamed)
    lesion = mix(lesion, np.full(3, 0.3 + 0.6 * lum, np.float32), 0.45 * (value_noise(rng, (h, w), 1.5) > 1.2))
    lesion = mix(lesion, np.array([0.35, 0.1, 0.08], np.float32), 0.6 * (value_noise(rng, (h, w), 2) < -1.8))
    edge = box_blur(plaque, 1, passes=2)  # erythema fades softly across the plaque border
    skin_img = mix(skin_img, lesion, edge)

    label = np.where(skin, 1, 0).astype(np.uint8)
    label[plaque] = 2
    img = np.where(skin[..., None], skin_img, img)
    img = mix(img, box_blur(img, 1), 0.6)
    return Sample(
        name="eczema",
        image=add_grain(img * rng.uniform(0.9, 1.1), rng, grain=0.015),
        mask=label,
        class_names=ECZEMA_CLASSES,
        description="Synthetic stand-in for a clinical skin photo used for eczema "
        "detection, with reddish textured eczema plaques on healthy skin.",
    )


# ---------------------------------------------------------------------------
# Street scene (KITTI / Cityscapes)
# ---------------------------------------------------------------------------

_FACADES = [(0.76, 0.66, 0.50), (0.58, 0.57, 0.56), (0.58, 0.30, 0.22), (0.84, 0.80, 0.72),
            (0.80, 0.68, 0.40), (0.48, 0.52, 0.60), (0.70, 0.50, 0.40)]
_CAR_PAINT = [(0.85, 0.85, 0.86), (0.60, 0.62, 0.64), (0.08, 0.08, 0.09), (0.30, 0.31, 0.33),
              (0.60, 0.08, 0.08), (0.12, 0.22, 0.50), (0.10, 0.25, 0.18), (0.70, 0.62, 0.50)]
_CLOTHES = [(0.10, 0.12, 0.20), (0.08, 0.08, 0.08), (0.75, 0.20, 0.15), (0.85, 0.85, 0.80),
            (0.20, 0.45, 0.65), (0.85, 0.65, 0.15), (0.35, 0.30, 0.25), (0.55, 0.55, 0.58)]
_HAIR = [(0.08, 0.06, 0.05), (0.35, 0.25, 0.15), (0.6, 0.5, 0.35)]
_LEAVES = [(0.18, 0.33, 0.12), (0.26, 0.42, 0.16), (0.14, 0.26, 0.14), (0.34, 0.42, 0.18)]


class _Street:
    """Pinhole camera over a flat street; objects are drawn in metres and projected."""

    def __init__(self, rng, h, w):
        self.rng, self.h, self.w = rng, h, w
        self.yy, self.xx = pixel_grid(h, w)
        self.img = np.zeros((h, w, 3), np.float32)
        self.label = np.full((h, w), _SKY, np.uint8)
        self.instance = np.zeros((h, w), np.int32)  # cars/persons, numbered far to near
        self.count = 0
        self.fine = value_noise(rng, (h, w), 1.3)  # pixel-scale texture shared by all surfaces
        self.coarse = value_noise(rng, (h, w), max(h, w) / 10)
        self.f = 0.8 * w  # focal length in pixels
        self.vx, self.vy = w * rng.uniform(0.4, 0.6), h * rng.uniform(0.4, 0.5)
        self.cam = rng.uniform(1.3, 1.8)  # camera height in metres
        self.road = (-rng.uniform(4.0, 8.5), rng.uniform(1.8, 5.0))
        self.walk = (self.road[0] - rng.uniform(2.0, 4.5), self.road[1] + rng.uniform(2.0, 4.5))
        self.fog = rng.uniform(100, 300)

    def haze(self, rgb, z):
        return mix(rgb, self.horizon_rgb, 1 - np.exp(-np.asarray(z, np.float32) / self.fog))

    def project(self, x, z, half_width, height):
        """Crop around an object standing at ground point (x, z) metres.

        Returns the crop's slices and its object-frame coordinates ``(v, u)``:
        metres above the ground and to the right of the object's centre.
        """
        s = self.f / z
        px, gy = self.vx + x * s, self.vy + self.cam * s
        y0, y1 = np.clip([gy - height * s - 1, gy + 0.3 * s + 2], 0, self.h).astype(int)
        x0, x1 = np.clip([px - half_width * s - 1, px + half_width * s + 2], 0, self.w).astype(int)
        crop = np.s_[y0:y1, x0:x1]
        return crop, (gy - self.yy[crop]) / s, (self.xx[crop] - px) / s

    def sky(self):
        """Clear or overcast sky with clouds and a distant skyline; runs first (sets ``horizon_rgb``)."""
        rng, yy = self.rng, self.yy
        if rng.random() < 0.3:  # overcast
            top, self.horizon_rgb = np.array([0.62, 0.64, 0.68]), np.array([0.80, 0.81, 0.83])
        else:
            top, self.horizon_rgb = np.array([0.30, 0.50, 0.82]), np.array([0.72, 0.82, 0.93])
        top, self.horizon_rgb = top * rng.uniform(0.9, 1.05), self.horizon_rgb * rng.uniform(0.9, 1.05)
        sky = mix(top, self.horizon_rgb, np.clip(yy / self.vy, 0, 1))
        clouds = np.clip(fractal_noise(self.rng, (self.h, self.w), self.w / 5) - rng.uniform(0.3, 1.2), 0, 1)
        self.img[:] = mix(sky, np.full(3, 0.95), 0.8 * clouds)
        for _ in range(rng.integers(4, 10)):  # distant skyline around the vanishing point
            bw, bh = self.w * rng.uniform(0.03, 0.1), self.h * rng.uniform(0.03, 0.16)
            bx = self.vx + self.w * rng.uniform(-0.35, 0.35)
            y0, y1 = int(max(self.vy - bh, 0)), int(self.vy + 1)
            x0, x1 = int(np.clip(bx - bw / 2, 0, self.w)), int(np.clip(bx + bw / 2, 0, self.w))
            self.img[y0:y1, x0:x1] = mix(pick_colour(rng, _FACADES), self.horizon_rgb, 0.55)
            self.label[y0:y1, x0:x1] = _BUILDING

    def ground(self):
        """Road with lane markings and paved sidewalks on the ground plane below the horizon."""
        rng, rows = self.rng, np.s_[int(self.vy):]  # only rows below the horizon
        yy, xx, coarse, fine = self.yy[rows], self.xx[rows], self.coarse[rows], self.fine[rows]
        dy = yy - self.vy
        ground = dy > 0.5
        z = self.f * self.cam / np.where(ground, dy, 1.0)
        x = (xx - self.vx) * self.cam / np.where(ground, dy, 1.0)
        (rl, rr), (wl, wr) = self.road, self.walk
        road = ground & (x >= rl) & (x <= rr)
        walk = ground & ~road & (x >= wl) & (x <= wr)

        grey = np.full(3, rng.uniform(0.24, 0.36)) * (1, 1, 1.05)
        asphalt = textured(grey, (0.08, coarse), (0.07, fine))
        lines = (np.abs(x - (rl + 0.25)) < 0.07) | (np.abs(x - (rr - 0.25)) < 0.07)
        for m in np.arange(rr - 3.5, rl + 1.5, -3.5):  # dashed lane boundaries
            lines |= (np.abs(x - m) < 0.08) & (z % 10 < 4)
        asphalt = mix(asphalt, np.full(3, 0.82), 0.9 * lines)
        paint(self.img[rows], self.label[rows], road, self.haze(asphalt, z), _ROAD)

        tint = np.array([(1, 1, 1), (1.05, 1, 0.92), (1.1, 0.93, 0.86)][rng.integers(3)])
        tile = rng.uniform(0.4, 0.8)
        joints = (x % tile < 0.05) | (z % tile < 0.05)
        curb = (np.abs(x - rl) < 0.25) | (np.abs(x - rr) < 0.25)
        paving = textured(rng.uniform(0.5, 0.66) * tint, (0.06, coarse), (0.06, fine),
                           (-0.15, joints), (0.15, curb))
        paint(self.img[rows], self.label[rows], walk, self.haze(paving, z), _SIDEWALK)

    def facades(self):
        """Rows of buildings along both sides, with windows, receding to the vanishing point."""
        rng, n = self.rng, 40
        palette = np.array(_FACADES, np.float32)
        split = int(self.vx)
        sides = ((self.walk[0], rng.uniform(0.8, 1.05), np.s_[:, : split + 1]),
                 (self.walk[1], rng.uniform(0.6, 0.9), np.s_[:, split:]))
        for xb, light, cols in sides:
            xx, yy, coarse, fine = self.xx[cols], self.yy[cols], self.coarse[cols], self.fine[cols]
            ends = np.cumsum(rng.uniform(6, 22, n))
            starts = np.concatenate([[0.0], ends[:-1]])
            heights, period = rng.uniform(5, 18, n), rng.uniform(2.5, 4.0, n)
            floor = rng.uniform(2.8, 3.6, n)
            colours = palette[rng.integers(len(palette), size=n)] * rng.uniform(0.85, 1.1, (n, 1)) * light
            d = (xx - self.vx) / xb  # > 0 on this side of the street
            side = d > 1e-3
            d = np.where(side, d, 1.0)
            z, y = self.f / d, self.cam - (yy - self.vy) / d  # depth and height on the facade
            seg = np.minimum(np.searchsorted(ends, z), n - 1)
            facade = side & (y >= 0) & (y <= heights[seg])
            along, up = z - starts[seg], y % floor[seg]
            window = (
                (along % period[seg] > 0.3 * period[seg]) & (along % period[seg] < 0.75 * period[seg])
                & (along > 1.0) & (ends[seg] - z > 1.0)
                & (up > 0.9) & (up < floor[seg] - 0.7) & (y > 1.5) & (y < heights[seg] - 1.0)
            )
            cornice = y > heights[seg] - 0.4
            wall = textured(colours[seg], (0.05, coarse), (0.05, fine), (0.15, cornice))
            glass = mix(np.array([0.1, 0.13, 0.18]), self.horizon_rgb, 0.25 + 0.15 * coarse)
            rgb = np.where(window[..., None], glass, wall)
            paint(self.img[cols], self.label[cols], facade, self.haze(rgb, z), _BUILDING)

    def tree(self, x, z):
        """Tree (crown and trunk, class vegetation) on the sidewalk."""
        rng = self.rng
        trunk_h, r = rng.uniform(1.8, 3.0), rng.uniform(1.2, 2.4)
        cv = trunk_h + 0.8 * r
        crop, v, u = self.project(x, z, 1.3 * r, cv + 1.3 * r)
        theta = np.arctan2(v - cv, u)
        phase = rng.uniform(0, 6, 2)
        wobble = 1 + 0.12 * np.sin(5 * theta + phase[0]) + 0.08 * np.sin(11 * theta + phase[1])
        crown = np.hypot(u, (v - cv) / 1.1) < r * wobble
        trunk = rect_mask(v, u, 0, cv, -0.15, 0.15) & ~crown
        shade = np.clip(0.85 + 0.3 * (v - cv) / r, 0.5, 1.2)
        leaves = textured(self.haze(pick_colour(rng, _LEAVES), z), (0.35, self.fine[crop]),
                           (0.15, self.coarse[crop]))
        img, label = self.img[crop], self.label[crop]
        paint(img, label, crown, leaves * shade[..., None], _VEGETATION)
        paint(img, label, trunk, self.haze(np.array([0.3, 0.22, 0.15]), z), _VEGETATION)
        self.instance[crop][crown | trunk] = 0

    def car(self, x, z):
        """Car seen from behind: body, cabin with rear window, wheels, lights, plate."""
        rng = self.rng
        cw, ch = rng.uniform(1.7, 1.95), rng.uniform(1.35, 1.65)
        hw, belt = cw / 2, 0.58 * ch
        crop, v, u = self.project(x, z, 0.7 * cw, ch)
        wheels = mirrored_rect_mask(v, u, 0, 0.45, hw - 0.35, hw - 0.02)
        body = rect_mask(v, u, 0.3, belt, -hw, hw)
        cabin = trapezoid_mask(v, u, belt, ch, 0.46 * cw, 0.36 * cw)
        glass = trapezoid_mask(v, u, belt + 0.05, ch - 0.07, 0.4 * cw, 0.32 * cw)
        lights = mirrored_rect_mask(v, u, 0.42 * ch, 0.5 * ch, 0.33 * cw, 0.48 * cw)
        plate = rect_mask(v, u, 0.3 * ch, 0.37 * ch, -0.12 * cw, 0.12 * cw)
        car = body | cabin | wheels
        self.img[crop][ellipse_mask(v, u, 0, 0, 0.2, 0.65 * cw) & ~car] *= 0.6  # shadow on the road
        trim = (v > belt - 0.1) & (v < belt)
        paint = textured(pick_colour(rng, _CAR_PAINT), (0.04, self.fine[crop]), (0.1, trim))
        rgb = np.where(glass[..., None], mix(np.array([0.08, 0.1, 0.13]), self.horizon_rgb, 0.2), paint)
        rgb = np.where(wheels[..., None] & ~body[..., None], 0.06, rgb)
        rgb = np.where(lights[..., None], np.array([0.75, 0.08, 0.06]), rgb)
        rgb = np.where(plate[..., None], 0.85, rgb)
        self.draw_instance(crop, car, self.haze(rgb, z), _CAR)

    def person(self, x, z):
        """Pedestrian: legs, torso, arms and head."""
        rng = self.rng
        s = rng.uniform(1.55, 1.9) / 1.75
        crop, v, u = self.project(x, z, 0.35 * s, 1.8 * s)
        legs = mirrored_rect_mask(v, u, 0, 0.86 * s, 0.01 * s, 0.17 * s)
        torso = rect_mask(v, u, 0.82 * s, 1.45 * s, -0.21 * s, 0.21 * s)
        arms = mirrored_rect_mask(v, u, 0.8 * s, 1.42 * s, 0.21 * s, 0.29 * s)
        neck = rect_mask(v, u, 1.42 * s, 1.5 * s, -0.05 * s, 0.05 * s)
        head = ellipse_mask(v, u, 1.6 * s, 0, 0.14 * s, 0.1 * s) | neck
        hair = head & (v > 1.63 * s)
        rgb = np.where(legs[..., None], pick_colour(rng, _CLOTHES), pick_colour(rng, _CLOTHES))
        rgb = np.where(head[..., None], _SKIN_TONES[rng.integers(len(_SKIN_TONES))], rgb)
        rgb = np.where(hair[..., None], pick_colour(rng, _HAIR), rgb)
        rgb = textured(self.haze(rgb, z), (0.05, self.fine[crop]))
        self.draw_instance(crop, legs | torso | arms | head, rgb, _PERSON)

    def draw_instance(self, crop, where, rgb, cls):
        """Paint a car/person and give it the next (nearer) instance number."""
        paint(self.img[crop], self.label[crop], where, rgb, cls)
        self.count += 1
        self.instance[crop][where] = self.count

    def objects(self):
        """Trees on the sidewalks, cars in the lanes and rarely a pedestrian, painted far to near."""
        rng, (rl, rr), (wl, wr) = self.rng, self.road, self.walk
        items = []
        for lo, hi in ((wl, rl), (rr, wr)):
            for _ in range(rng.integers(0, 5)):
                items.append((rng.uniform(5, 70), self.tree, lo + (hi - lo) * rng.uniform(0.2, 0.6)))
        lanes = np.arange(rr - 1.75, rl + 1.0, -3.5)
        taken = []
        for _ in range(rng.integers(1, 6)):
            lane, z = lanes[rng.integers(len(lanes))], rng.uniform(6, 35)
            if all(lane != other or abs(z - zz) > 7 for other, zz in taken):
                taken.append((lane, z))
                items.append((z, self.car, lane + rng.uniform(-0.3, 0.3)))
        if rng.random() < 0.3:
            lo, hi = ((wl, rl), (rr, wr))[rng.integers(2)]
            items.append((rng.uniform(5, 20), self.person, lo + (hi - lo) * rng.uniform(0.2, 0.8)))
        for z, draw, x in sorted(items, key=lambda item: -item[0]):
            draw(x, z)

    def ignore_band(self):
        """Mark a 1-pixel band around each car/person (on the far side of each boundary) as ignore."""
        band = max_filter3(self.instance) > self.instance
        label = self.label.copy()
        label[band] = IGNORE_INDEX
        # Keep only band pixels that still touch a labelled car/person pixel.
        thing = np.isin(label, (_CAR, _PERSON))
        orphan = band & ~(max_filter3(thing.astype(np.uint8)) > 0)
        label[orphan] = self.label[orphan]
        self.label = label


def street_scene(seed: int = 0, size: tuple[int, int] = (96, 160)) -> Sample:
    """Synthetic driving-camera view: road, sidewalks, buildings, trees, sky, cars, people."""
    h, w = _check_size(size, 48)
    rng = _rng(seed)
    scene = _Street(rng, h, w)
    scene.sky()
    scene.ground()
    scene.facades()
    scene.objects()
    scene.ignore_band()
    img = mix(scene.img, box_blur(scene.img, 1), 0.5) * rng.uniform(0.85, 1.1)
    return Sample(
        name="street",
        image=add_grain(img, rng, grain=0.02),
        mask=scene.label,
        class_names=STREET_CLASSES,
        description="Synthetic stand-in for a street-level driving photo as in KITTI or "
        "Cityscapes, with a 1-pixel ignore band around cars and people.",
    )


SAMPLES = {"dental-xray": dental_xray, "eczema": eczema, "street": street_scene}


def load(name: str, seed: int = 0, **kwargs) -> Sample:
    """Generate the sample called ``name`` (a key of :data:`SAMPLES`); kwargs go to the generator."""
    if not isinstance(name, str) or name not in SAMPLES:
        raise ValueError(f"unknown sample name: expected one of {sorted(SAMPLES)}, got {name!r}")
    return SAMPLES[name](seed=seed, **kwargs)
