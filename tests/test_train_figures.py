"""course.train.figures: the curves show the records' values; the live plot redraws in one output;
the data, prediction and worst-case figures show what they say."""

import numpy as np
import pytest
import torch
from torch import nn

from course.data import SegmentationDataset
from course.metrics import confusion_matrix, mean_iou
from course.train.engine import EpochRecord
from course.train.figures import (LivePlot, confusion_figure, history_figure, image_mious, predictions_figure,
                                  samples_figure, worst_cases_figure)
from course.viz import colorize


def _history(n=3):
    return [EpochRecord(epoch=i, steps=4, train_loss=1.0 / i, val_loss=1.2 / i, miou=0.3 * i, iou=[0.3 * i] * 2,
                        pixel_accuracy=0.5 + 0.1 * i, lr=1e-3, elapsed=2.0 * i, images_per_second=100.0)
            for i in range(1, n + 1)]


def test_history_figure_plots_the_records_and_the_target():
    fig = history_figure(_history(), target_miou=0.85)
    loss_ax, score_ax = fig.axes
    lines = {line.get_label(): line for ax in fig.axes for line in ax.get_lines()}
    assert np.allclose(lines["training loss"].get_ydata(), [1.0, 0.5, 1 / 3])
    assert np.allclose(lines["validation loss"].get_xdata(), [1, 2, 3])
    assert np.allclose(lines["validation mean IoU"].get_ydata(), [0.3, 0.6, 0.9])
    assert np.allclose(lines["target mIoU 0.85"].get_ydata(), [0.85, 0.85])
    assert score_ax.get_ylim() == (0, 1)


def test_confusion_figure_shows_row_normalised_counts():
    fig = confusion_figure(np.array([[3, 1], [0, 4]]), ("a", "b"))
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["0.00", "0.25", "0.75", "1.00"]


def test_live_plot_draws_once_then_updates_the_same_output(monkeypatch):
    calls = []

    class Handle:
        def update(self, fig):
            calls.append(("update", len(fig.axes[0].get_lines()[0].get_xdata())))

    def display(fig, display_id):
        calls.append(("display", len(fig.axes[0].get_lines()[0].get_xdata())))
        return Handle()

    monkeypatch.setattr("IPython.display.display", display)
    live, history = LivePlot(target_miou=0.9), _history()
    for i in range(3):
        live(history[i], history[:i + 1])
    assert calls == [("display", 1), ("update", 2), ("update", 3)]


class _RedIsOne(nn.Module):
    """Class 1 where the red channel exceeds 0.5, else class 0."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        red = (x[:, 0] > 0.5).float()
        return torch.stack([1 - red, red], 1) + 0 * self.dummy


def _dataset(n=7):
    g = torch.Generator().manual_seed(0)
    images = torch.rand(n, 3, 8, 8, generator=g)
    masks = (images[:, 0] > 0.5).long()
    flips = torch.rand(n, 8, 8, generator=g) < torch.linspace(0, 0.5, n)[:, None, None]  # image i: more errors
    masks[flips] = 1 - masks[flips]
    masks[:, 0, 0] = 255
    return SegmentationDataset(images, masks, ("dark", "red"), name="toy", split="val")


def test_image_mious_scores_each_image_alone_and_the_worst_cases_are_the_lowest():
    ds = _dataset()
    scores = image_mious(_RedIsOne(), ds)
    pred = (ds.images[:, 0] > 0.5).long().numpy()
    expected = [mean_iou(confusion_matrix(p, m, 2)) for p, m in zip(pred, ds.masks.numpy())]
    assert np.allclose(scores, expected)
    fig = worst_cases_figure(_RedIsOne(), ds, n=3)
    titles = [ax.get_title() for ax in fig.axes[::4]]
    worst = np.argsort(expected)[:3]
    assert titles == [f"#{i}: mIoU {expected[i]:.2f}" for i in worst]
    wrong = fig.axes[3].get_images()[0].get_array()
    mask = ds.masks[worst[0]].numpy()
    assert np.array_equal(wrong[mask != 255], (pred[worst[0]] != mask)[mask != 255])
    with pytest.raises(ValueError, match="expected n to be an int >= 1, got 0"):
        worst_cases_figure(_RedIsOne(), ds, n=0)


def test_predictions_figure_puts_several_models_side_by_side():
    ds = _dataset()
    fig = predictions_figure({"red": _RedIsOne(), "also red": _RedIsOne()}, ds, rows=2)
    assert [ax.get_title() for ax in fig.axes[:4]] == ["image", "true labels", "red", "also red"]
    pred = (ds.images[1, 0] > 0.5).long().numpy()
    assert np.allclose(fig.axes[7].get_images()[0].get_array(), colorize(pred, 2))


def test_samples_figure_shows_images_masks_and_each_class_share():
    ds = _dataset()
    fig = samples_figure(ds, n=3)
    pictures = [ax for ax in fig.axes if ax.get_images()]
    assert len(pictures) == 6
    assert np.allclose(pictures[3].get_images()[0].get_array(), colorize(ds.masks[0].numpy(), 2))  # row 2, column 1
    bars = [ax for ax in fig.axes if ax.patches][0].patches
    counts = ds.class_pixel_counts()
    assert np.allclose([b.get_width() for b in bars], counts / counts.sum())
