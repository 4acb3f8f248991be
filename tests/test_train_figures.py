"""course.train.figures: the curves show the records' values; the live plot redraws in one output."""

import numpy as np

from course.train.engine import EpochRecord
from course.train.figures import LivePlot, confusion_figure, history_figure


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
