"""Plotting for every lesson: one class palette, label-map colouring, overlays and figures.

The palette is Okabe and Ito's colour-blind-safe set (with a neutral grey first), so class
``k`` has the same colour in every lesson. ``show_*`` functions draw a new figure (the
notebook displays it); ``draw_*`` functions draw onto an axes you pass.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.patches import Patch

from .metrics import IGNORE_INDEX

PALETTE = ("#5f5f5f", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00",
           "#cc79a7", "#000000", "#b8b8b8")
IGNORE_COLOR = "#ffffff"


def use_style() -> None:
    """Matplotlib settings for the course: crisp pixels, readable titles."""
    plt.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 100, "font.size": 10, "axes.titlesize": 11,
        "image.interpolation": "nearest", "axes.spines.top": False, "axes.spines.right": False,
    })


def class_colors(num_classes: int) -> np.ndarray:
    """RGB colours (num_classes, 3) of classes 0..num_classes-1."""
    if num_classes > len(PALETTE):
        raise ValueError(f"the palette has {len(PALETTE)} colours, got {num_classes} classes")
    return np.array([to_rgb(c) for c in PALETTE[:num_classes]])


def colorize(mask, num_classes: int, ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Label map (H, W) to an RGB image (H, W, 3); pixels equal to ``ignore_index`` are white."""
    mask = np.asarray(mask)
    ignored = mask == ignore_index
    ids = mask[~ignored]
    if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
        raise ValueError(f"expected class ids 0..{num_classes - 1} or the ignore index {ignore_index} in the label "
                         f"map, got values {ids.min()}..{ids.max()}")
    colours = class_colors(num_classes)[np.where(ignored, 0, mask).astype(np.int64)]
    colours[ignored] = to_rgb(IGNORE_COLOR)
    return colours


def overlay(image, mask, num_classes: int, alpha: float = 0.5,
            ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Blend class colours over an RGB image (H, W, 3) in [0, 1]; ignored pixels stay as they are."""
    image = np.asarray(image, dtype=np.float64)
    if image.shape[:2] != np.shape(mask):
        raise ValueError(f"image {image.shape[:2]} and mask {np.shape(mask)} must have the same size")
    colours = colorize(mask, num_classes, ignore_index)
    weight = alpha * (np.asarray(mask) != ignore_index)[..., None]
    return (1 - weight) * image + weight * colours


def add_legend(ax, class_names, ignore: bool = False, **kwargs) -> None:
    """A legend of class colours (and of the ignore colour if ``ignore``) on ``ax``."""
    colours = class_colors(len(class_names))
    handles = [Patch(facecolor=c, edgecolor="0.3", label=n) for c, n in zip(colours, class_names)]
    if ignore:
        handles.append(Patch(facecolor=IGNORE_COLOR, edgecolor="0.3", label=f"ignore ({IGNORE_INDEX})"))
    kwargs = {"loc": "center left", "bbox_to_anchor": (1.02, 0.5), "frameon": False} | kwargs
    ax.legend(handles=handles, **kwargs)


def _segmentation_row(axes, image, mask, class_names, pred=None, name: str = "") -> None:
    """Image, label map, the prediction if given, and the overlay in ``axes``; the legend on the last."""
    k = len(class_names)
    panels = [(f"{name}image", np.clip(np.asarray(image), 0, 1)), ("label map (target)", colorize(mask, k))]
    panels += [("prediction", colorize(pred, k))] if pred is not None else []
    panels.append(("overlay", overlay(image, mask, k)))
    for ax, (title, picture) in zip(axes, panels):
        ax.imshow(picture)
        ax.set_title(title)
        ax.set_axis_off()
    add_legend(axes[len(panels) - 1], class_names, ignore=bool((np.asarray(mask) == IGNORE_INDEX).any()))


def show_segmentation(image, mask, class_names, title: str | None = None, pred=None) -> None:
    """Image, label map (and the prediction, if given) and overlay side by side, in the order of
    :func:`show_samples`."""
    columns = 3 + (pred is not None)
    fig, axes = plt.subplots(1, columns, figsize=(3.4 * columns + 1.5, 3.2))
    _segmentation_row(axes, image, mask, class_names, pred)
    if title:
        fig.suptitle(title)
    fig.tight_layout()


def show_predictions(images, masks, predictions: dict, class_names, rows: int = 3) -> None:
    """One row per image: the image, its true label map, then each model's prediction.

    ``images`` (N, H, W, 3) in [0, 1], ``masks`` (N, H, W); ``predictions`` maps a title
    (a model's name, with its score if you like) to label maps (N, H, W).
    """
    rows = min(rows, len(images))
    columns = 2 + len(predictions)
    fig, axes = plt.subplots(rows, columns, figsize=(2.6 * columns + 1.4, 1.9 * rows + 0.4), squeeze=False)
    for r in range(rows):
        panels = [("image", np.clip(np.asarray(images[r]), 0, 1)),
                  ("true labels", colorize(masks[r], len(class_names)))]
        panels += [(title, colorize(np.asarray(p[r]), len(class_names))) for title, p in predictions.items()]
        for ax, (title, picture) in zip(axes[r], panels):
            ax.imshow(picture)
            ax.set_axis_off()
            if r == 0:
                ax.set_title(title)
    add_legend(axes[0, -1], class_names)
    fig.tight_layout()


def show_samples(samples) -> None:
    """One row per sample (objects with name, image, mask, class_names): image, label map, overlay."""
    fig, axes = plt.subplots(len(samples), 3, figsize=(11, 3.1 * len(samples)), squeeze=False)
    for row, s in zip(axes, samples):
        _segmentation_row(row, s.image, s.mask, s.class_names, name=f"{s.name}: ")
    fig.tight_layout()


def draw_confusion_matrix(ax, cm, class_names, normalize: bool = True) -> None:
    """Confusion matrix (rows: true class, columns: prediction), rows normalised to 1 if asked."""
    cm = np.asarray(cm, dtype=np.float64)
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    k = len(class_names)
    ax.set_xticks(range(k), class_names, rotation=45, ha="right")
    ax.set_yticks(range(k), class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    top = shown.max() if shown.size else 1
    for (i, j), v in np.ndenumerate(shown):
        text = f"{v:.2f}" if normalize else f"{int(v)}"
        ax.text(j, i, text, ha="center", va="center", fontsize=8,
                color="white" if v > 0.6 * top else "black")
    ax.set_title("confusion matrix" + (" (each row sums to 1)" if normalize else " (pixels)"))


def draw_class_bars(ax, values: dict, class_names, ylabel: str, ylim=(0, 1)) -> None:
    """Grouped bars: one group per class, one bar per entry of ``values`` (label -> per-class array)."""
    k, n = len(class_names), len(values)
    width = 0.8 / n
    shades = [PALETTE[5], PALETTE[1], PALETTE[3], PALETTE[7]]  # blue, orange, green, pink
    for i, (label, v) in enumerate(values.items()):
        ax.bar(np.arange(k) + (i - (n - 1) / 2) * width, np.nan_to_num(np.asarray(v, float)),
               width, label=label, color=shades[i % len(shades)])
    ax.set_xticks(range(k), class_names, rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    if n > 1:
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
