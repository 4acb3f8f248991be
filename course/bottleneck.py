"""What a decoder without skip connections loses: the detail that a small map cannot hold.

An encoder that halves the resolution ``depth`` times leaves the decoder a map ``2**depth``
times smaller. :func:`through_bottleneck` draws the best label map such a decoder can
hope for if it up-samples smoothly: the true label map itself, one-hot encoded, averaged
over ``factor`` x ``factor`` blocks (all a bottleneck position can hold about its block),
bilinearly up-sampled and turned back into labels. Thin things (tree trunks, people) vanish,
corners round off: the U-Net's skip connections bring that detail back.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure
from torch.nn import functional as F

from . import metrics, viz
from .arguments import check_int

__all__ = ["through_bottleneck", "bottleneck_scores", "bottleneck_figure"]


def through_bottleneck(mask, num_classes: int, factor: int, ignore_index: int = metrics.IGNORE_INDEX) -> np.ndarray:
    """Label map (H, W) after a ``factor`` x smaller bottleneck: one-hot, average pool, bilinear up, arg-max.

    H and W must be multiples of ``factor``; ignored pixels count for no class, and get the class
    the squeezed map gives them like every other pixel (so no outline of the true labels is left
    in the result).
    """
    mask = np.asarray(mask)
    check_int("num_classes", num_classes, 1)
    check_int("factor", factor, 1)
    if mask.ndim != 2 or mask.shape[0] % factor or mask.shape[1] % factor:
        raise ValueError(f"expected a label map (H, W) with H and W multiples of factor={factor}, got shape "
                         f"{mask.shape}")
    labels = torch.from_numpy(mask.astype(np.int64))
    valid = labels != ignore_index
    onehot = F.one_hot(torch.where(valid, labels, 0), num_classes).permute(2, 0, 1).float() * valid
    small = F.avg_pool2d(onehot[None], factor)
    up = F.interpolate(small, scale_factor=factor, mode="bilinear", align_corners=False)[0]
    return up.argmax(0).numpy().astype(mask.dtype)


def bottleneck_scores(mask, num_classes: int, factors=(1, 2, 4, 8, 16)) -> dict[int, np.ndarray]:
    """IoU per class of :func:`through_bottleneck` against the mask itself, for each factor."""
    return {f: metrics.iou_per_class(metrics.confusion_matrix(through_bottleneck(mask, num_classes, f), mask,
                                                              num_classes)) for f in factors}


def bottleneck_figure(image, mask, class_names, factors=(2, 4, 8, 16)) -> Figure:
    """The image, its label map, and the label map after each bottleneck factor (with its mIoU)."""
    n = len(class_names)
    figure = Figure(figsize=(2.3 * (len(factors) + 2), 2.6), layout="constrained")
    axes = figure.subplots(1, len(factors) + 2)
    axes[0].imshow(image)
    axes[0].set_title("image")
    axes[1].imshow(viz.colorize(mask, n))
    axes[1].set_title("true labels")
    scores = bottleneck_scores(mask, n, factors)
    present = metrics.class_pixel_counts(mask, n) > 0
    for ax, factor in zip(axes[2:], factors):
        ax.imshow(viz.colorize(through_bottleneck(mask, n, factor), n))
        ax.set_title(f"through a 1/{factor} map\nmIoU {np.nanmean(scores[factor][present]):.0%}")
    for ax in axes:
        ax.set_axis_off()
    viz.add_legend(axes[-1], class_names)
    return figure
