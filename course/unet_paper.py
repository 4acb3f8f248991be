"""Two things the U-Net paper (Ronneberger et al. 2015) adds beyond its architecture.

* **A weight map for touching borders** (section 3): cells that touch must still be separated
  by a thin line of background, so the paper weighs each background pixel by how close it is to
  the two nearest cells, w(x) = w_c(x) + w0 exp(-(d1(x) + d2(x))^2 / (2 sigma^2)), with d1 and d2
  the distances to the border of the nearest and the second nearest cell (w0 = 10, sigma = 5 px
  in the paper): :func:`border_weight_map`, on the cells of :func:`touching_cells`.
* **Elastic deformation** (section 3.1), its key augmentation for few training images:
  :func:`course.data.augment.random_elastic`, drawn by :func:`elastic_figure`.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure

from . import viz
from .arguments import check_int
from .data.augment import random_elastic

__all__ = ["touching_cells", "border_weight_map", "weight_map_figure", "elastic_figure"]


def touching_cells(seed: int = 0, size: int = 64, cells: int = 7) -> np.ndarray:
    """Instance map (size, size): 0 background, 1..``cells`` the cells, round blobs packed so
    that neighbours come within a pixel or two of each other, as in the paper's HeLa images.

    Each pixel belongs to the cell whose centre is nearest (relative to its radius), if it lies
    inside that cell's radius and is not within one pixel of another cell: a Voronoi packing
    with a one-pixel gap where cells meet.
    """
    check_int("size", size, 16)
    check_int("cells", cells, 2)
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.2 * size, 0.8 * size, (cells, 2))
    radii = rng.uniform(0.12 * size, 0.2 * size, cells)
    yy, xx = np.mgrid[:size, :size]
    distance = np.hypot(yy[None] - centres[:, 0, None, None], xx[None] - centres[:, 1, None, None])
    scaled = distance / radii[:, None, None]
    order = np.sort(scaled, axis=0)
    nearest = scaled.argmin(axis=0)
    # a pixel is in the gap if the second nearest cell is almost as near (about one pixel)
    gap = (order[1] - order[0]) * radii[nearest] < 1.5
    return np.where((order[0] <= 1) & ~gap, nearest + 1, 0).astype(np.int64)


def border_weight_map(instances, w0: float = 10.0, sigma: float = 5.0, class_weights=(1.0, 1.0)) -> np.ndarray:
    """The U-Net paper's loss weight of every pixel of an instance map (0: background).

    ``class_weights`` (background, cell) gives w_c; background pixels add
    ``w0 * exp(-(d1 + d2)**2 / (2 * sigma**2))``, d1 and d2 their Euclidean distances to the
    nearest pixel of the nearest and of the second nearest cell. Needs at least two cells.
    """
    instances = np.asarray(instances)
    if instances.ndim != 2 or not np.issubdtype(instances.dtype, np.integer):
        raise ValueError(f"expected an integer instance map (H, W), got {instances.dtype} of shape {instances.shape}")
    ids = np.unique(instances[instances > 0])
    if len(ids) < 2:
        raise ValueError(f"expected at least 2 cells in the instance map, got {len(ids)}")
    points = np.stack(np.indices(instances.shape), axis=-1).reshape(-1, 2).astype(np.float64)
    distances = np.stack([_distance_to(points, np.argwhere(instances == i)) for i in ids])   # (cells, H*W)
    d1, d2 = np.sort(distances, axis=0)[:2]
    border = w0 * np.exp(-((d1 + d2) ** 2) / (2 * sigma ** 2)).reshape(instances.shape)
    background = instances == 0
    return np.where(background, class_weights[0] + border, class_weights[1])


def weight_map_figure(instances, weights) -> Figure:
    """The cells (each its own colour), what the network must predict (cell or background), and
    the weight map with a colour bar. Display the returned figure."""
    fig = Figure(figsize=(10.5, 3.4), layout="constrained")
    axes = fig.subplots(1, 3)
    rng = np.random.default_rng(0)
    colours = np.vstack([[1, 1, 1], rng.uniform(0.25, 0.9, (instances.max(), 3))])
    axes[0].imshow(colours[instances], interpolation="nearest")
    axes[0].set_title("touching cells (one colour each)")
    axes[1].imshow(instances > 0, cmap="gray_r", interpolation="nearest")
    axes[1].set_title("target: cell or background")
    image = axes[2].imshow(weights, cmap="magma", interpolation="nearest")
    axes[2].set_title(f"loss weight (largest {weights.max():.1f})")
    fig.colorbar(image, ax=axes[2], shrink=0.85)
    for ax in axes:
        ax.set_axis_off()
    return fig


def elastic_figure(image, mask, num_classes: int, seed: int = 0, samples: int = 3, std: float = 10.0) -> Figure:
    """``image`` (H, W, 3) and its ``mask`` (H, W) of ``num_classes`` classes, then ``samples`` elastic deformations of both
    (:func:`~course.data.augment.random_elastic`, 3 x 3 grid, ``std`` px), with a grid of lines
    drawn on the image so that the bending shows. Display the returned figure."""
    image = np.array(image, dtype=np.float32)
    image[::8] = image[:, ::8] = 1.0           # white grid lines every 8 pixels
    images = torch.from_numpy(image).permute(2, 0, 1)[None].repeat(samples, 1, 1, 1)
    masks = torch.from_numpy(np.asarray(mask, dtype=np.int64))[None].repeat(samples, 1, 1)
    warped, warped_masks = random_elastic(images, masks, torch.Generator().manual_seed(seed), std=std)
    fig = Figure(figsize=(2.6 * (samples + 1), 3.4), layout="constrained")
    axes = fig.subplots(2, samples + 1)
    columns = [(image, np.asarray(mask), "original")] + [
        (warped[i].permute(1, 2, 0).numpy(), warped_masks[i].numpy(), f"deformed {i + 1}") for i in range(samples)]
    for (top, bottom), (picture, labels, title) in zip(axes.T, columns):
        top.imshow(np.clip(picture, 0, 1))
        top.set_title(title, fontsize=10)
        bottom.imshow(viz.colorize(labels, num_classes))
        for ax in (top, bottom):
            ax.set_axis_off()
    return fig


def _distance_to(points: np.ndarray, cell: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Euclidean distance from each of ``points`` (P, 2) to the nearest of ``cell`` (Q, 2)."""
    cell = cell.astype(np.float64)
    return np.concatenate([np.sqrt(((points[i:i + chunk, None] - cell[None]) ** 2).sum(-1)).min(axis=1)
                           for i in range(0, len(points), chunk)])
