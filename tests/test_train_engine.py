"""course.train.engine: dataset-level evaluation, stopping rules, checkpoints and exact resume."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course.data import SegmentationDataset
from course.metrics import confusion_matrix, iou_per_class, mean_iou, pixel_accuracy
from course.train import predict
from course.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from course.train.engine import TrainConfig, evaluate, lr_factor, train
from course.train.settings import Settings

CPU = Settings("cpu")


def _split(n, seed, size=8, split="train"):
    """Class 1 where the red channel exceeds 0.5 (learnable pixel by pixel), a few pixels ignored."""
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 3, size, size, generator=g)
    masks = (images[:, 0] > 0.5).long()
    masks[torch.rand(n, size, size, generator=g) < 0.05] = 255
    return SegmentationDataset(images, masks, ("low", "high"), name="toy", split=split)


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 2, 1))


def _config(**changes):
    return TrainConfig(**({"epochs": 4, "batch_size": 8, "lr": 2e-2, "eval_batch_size": 7} | changes))


TRAIN, VAL = _split(48, 0), _split(23, 1, split="val")


def test_evaluate_equals_course_metrics_on_the_concatenated_predictions():
    model = _net()
    result = evaluate(model, VAL, settings=CPU, batch_size=5)
    pred = predict(model, VAL.images, settings=CPU).numpy()
    cm = confusion_matrix(pred, VAL.masks.numpy(), 2)
    assert np.array_equal(result.confusion, cm)
    assert result.miou == pytest.approx(mean_iou(cm)) and result.pixel_accuracy == pytest.approx(pixel_accuracy(cm))
    assert np.allclose(result.iou, iou_per_class(cm))
    with torch.no_grad():
        whole = F.cross_entropy(model(VAL.images), VAL.masks, ignore_index=255).item()
    assert evaluate(model, VAL, settings=CPU, batch_size=len(VAL)).loss == pytest.approx(whole, rel=1e-5)


def test_predict_is_the_arg_max_of_the_scores_in_any_batch_size_and_under_autocast():
    model = _net()
    with torch.no_grad():
        expected = model.eval()(VAL.images).argmax(1)
    for batch_size in (1, 5, 64):
        labels = predict(model, VAL.images, settings=CPU, batch_size=batch_size)
        assert labels.dtype == torch.int64 and labels.device.type == "cpu" and torch.equal(labels, expected)
    compact = (VAL.images * 255).round().to(torch.uint8)        # how training keeps 8-bit images
    with torch.no_grad():
        expected_compact = model(compact.float() / 255).argmax(1)
    assert torch.equal(predict(model, compact, settings=CPU), expected_compact)
    bf16 = predict(model, VAL.images, settings=Settings("cpu", amp_dtype="bfloat16", channels_last=True))
    assert (bf16 == expected).float().mean() > 0.95             # bf16 may flip a pixel near a tie, no more
    assert predict(model, VAL.images[:0], settings=CPU).shape == (0, 8, 8)
    with pytest.raises(ValueError, match="expected batch_size to be an int >= 1, got 0"):
        predict(model, VAL.images, batch_size=0)


def test_training_learns_and_records_every_epoch():
    result = train(_net(), TRAIN, VAL, _config(), settings=CPU, progress=False)
    assert result.stopped == "epochs" and [r.epoch for r in result.history] == [1, 2, 3, 4]
    assert all(r.steps == 6 for r in result.history)                 # 48 images // batch 8
    assert result.history[-1].miou > 0.8 and result.history[0].miou < 0.7
    assert result.history[-1].train_loss < 0.6 * result.history[0].train_loss
    assert result.history[-1].lr == pytest.approx(2e-2 * 0.01)         # cosine decays to 1 %
    assert all(r.images_per_second > 0 for r in result.history)
    assert result.evaluation.miou == result.history[-1].miou == result.best_miou
    assert [r.elapsed for r in result.history] == sorted(r.elapsed for r in result.history)


def test_lr_factor_warms_up_then_follows_a_cosine():
    total = 100  # 5 warm-up steps
    assert [lr_factor(s, total) for s in range(5)] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert lr_factor(99, total) == pytest.approx(0.01)
    middle = 5 + (99 - 5) / 2
    assert lr_factor(int(middle), total) == pytest.approx(0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * 0.5)), abs=0.02)
    assert lr_factor(0, 10, warmup=0) == 1.0


def test_a_time_budget_stops_after_the_current_step_and_still_evaluates_and_saves(tmp_path):
    ticks = iter(range(10 ** 6))
    clock = lambda: float(next(ticks))  # noqa: E731  one second per reading
    result = train(_net(), TRAIN, VAL, _config(time_budget=2.5), settings=CPU, progress=False,
                   checkpoint=tmp_path / "c.pt", clock=clock)
    assert result.stopped == "time budget"
    assert [r.steps for r in result.history] == [2]    # start=0, epoch clock=1, after step 1: 2, step 2: 3 >= 2.5
    assert load_checkpoint(tmp_path / "c.pt")["epoch"] == 1
    assert not math.isnan(result.evaluation.miou)
    tiny = train(_net(), TRAIN, VAL, _config(time_budget=1e-9), settings=CPU, progress=False)
    assert tiny.stopped == "time budget" and [r.steps for r in tiny.history] == [1]


def test_a_target_stops_early_and_reports_when_it_was_reached():
    full = train(_net(), TRAIN, VAL, _config(epochs=8), settings=CPU, progress=False)
    mious = [r.miou for r in full.history]
    assert max(mious[:4]) > mious[0], mious  # it learns, so a target between the two is reached in epoch 2 to 4
    target = (mious[0] + max(mious[:4])) / 2  # from this machine's own run: float rounding differs between CPUs
    first = next(i for i, m in enumerate(mious) if m >= target)
    assert full.stopped == "epochs" and full.time_to_target is None
    unreachable = train(_net(), TRAIN, VAL, _config(epochs=1, target_miou=1.0), settings=CPU, progress=False)
    assert unreachable.time_to_target is None and unreachable.stopped == "epochs"
    result = train(_net(), TRAIN, VAL, _config(epochs=8, target_miou=target), settings=CPU, progress=False)
    assert result.stopped == "target" and len(result.history) == first + 1 < 8
    assert result.history[-1].miou >= target > max(r.miou for r in result.history[:-1])
    assert result.time_to_target == result.history[-1].elapsed
    again = train(_net(), TRAIN, VAL, _config(epochs=first + 2, target_miou=target, stop_at_target=False),
                  settings=CPU, progress=False)
    assert again.stopped == "epochs" and len(again.history) == first + 2   # a shorter schedule: other values
    assert again.time_to_target == next((r.elapsed for r in again.history if r.miou >= target), None)


def test_a_callback_sees_each_epoch_and_can_stop_the_run():
    seen = []

    def callback(record, history):
        seen.append((record.epoch, len(history)))
        return record.epoch == 2

    result = train(_net(), TRAIN, VAL, _config(), settings=CPU, progress=False, callback=callback)
    assert seen == [(1, 1), (2, 2)] and result.stopped == "callback"


@pytest.mark.parametrize("settings", [CPU, Settings("cpu", channels_last=True)], ids=["nchw", "channels_last"])
def test_resume_after_an_interruption_equals_an_uninterrupted_run(tmp_path, settings):
    config = _config(loss="ce+dice", class_weights=True)
    whole = train(_net(), TRAIN, VAL, config, settings=settings, progress=False)
    path = tmp_path / "checkpoint.pt"
    first = train(_net(), TRAIN, VAL, config, settings=settings, progress=False, checkpoint=path,
                  callback=lambda record, history: record.epoch == 2)  # the "disconnect" after epoch 2
    assert first.stopped == "callback" and load_checkpoint(path)["epoch"] == 2
    torch.manual_seed(123)                                                 # global RNG state is restored too
    model = _net(seed=99)                                                  # weights come from the checkpoint
    resumed = train(model, TRAIN, VAL, config, settings=settings, progress=False, checkpoint=path, resume=True)
    assert resumed.resumed_from == 2 and [r.epoch for r in resumed.history] == [1, 2, 3, 4]
    for a, b in zip(resumed.history, whole.history):
        assert (a.train_loss, a.val_loss, a.miou, a.steps, a.lr) == (b.train_loss, b.val_loss, b.miou, b.steps, b.lr)
    reference = _net()
    train(reference, TRAIN, VAL, config, settings=settings, progress=False)
    for (name, a), b in zip(model.state_dict().items(), reference.state_dict().values()):
        assert torch.equal(a, b), name
    again = train(_net(), TRAIN, VAL, config, settings=settings, progress=False, checkpoint=path, resume=True)
    assert len(again.history) == 4 and again.evaluation.miou == whole.evaluation.miou  # nothing left to train


def test_resume_without_a_checkpoint_file_starts_fresh_and_a_foreign_checkpoint_is_refused(tmp_path):
    path = tmp_path / "new.pt"
    result = train(_net(), TRAIN, VAL, _config(epochs=1), settings=CPU, progress=False, checkpoint=path, resume=True)
    assert result.resumed_from == 0 and path.is_file()
    other = nn.Sequential(nn.Conv2d(3, 4, 1), nn.ReLU(), nn.Conv2d(4, 2, 1))
    with pytest.raises(CheckpointError, match=r"new.pt holds another model's weights \(.*\): resume with the options"):
        train(other, TRAIN, VAL, _config(epochs=2), settings=CPU, progress=False, checkpoint=path, resume=True)
    with pytest.raises(ValueError, match="expected a checkpoint path to resume from, got checkpoint=None"):
        train(_net(), TRAIN, VAL, _config(), settings=CPU, progress=False, resume=True)


def test_checkpoints_are_written_atomically(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "c.pt", {"epoch": 1, "w": torch.ones(3)})
    assert load_checkpoint(path)["epoch"] == 1
    assert path.stat().st_mode & 0o644 == 0o644  # readable like any file, not mkstemp's 0600

    def broken(obj, file):
        file.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, {"epoch": 2})
    monkeypatch.undo()
    assert load_checkpoint(path)["epoch"] == 1 and [p.name for p in tmp_path.iterdir()] == ["c.pt"]
    with pytest.raises(FileNotFoundError, match="expected a checkpoint at .*missing.pt, got no such file"):
        load_checkpoint(tmp_path / "missing.pt")


def test_bad_configurations_and_data_are_explained():
    with pytest.raises(ValueError, match="expected epochs to be an int >= 1, got 0"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match=r"expected target_miou to be a number in \(0, 1\], got 1.5"):
        TrainConfig(target_miou=1.5)
    with pytest.raises(ValueError, match=r"expected lr to be a number in \(0, inf\), got -1"):
        TrainConfig(lr=-1)
    with pytest.raises(ValueError, match="expected loss to be one of"):
        TrainConfig(loss="l2")
    with pytest.raises(ValueError, match=r"expected the model's scores to be \(N, 2, 8, 8\) for 2 classes, got "
                                         r"\(1, 3, 8, 8\)"):
        train(nn.Conv2d(3, 3, 1), TRAIN, VAL, _config(), settings=CPU, progress=False)
    with pytest.raises(ValueError, match="expected train_set to be a course.data.SegmentationDataset, got tuple"):
        train(_net(), (TRAIN.images, TRAIN.masks), VAL, settings=CPU, progress=False)


def test_a_given_step_runs_every_training_step_with_the_settings_precision():
    from course.train.engine import train_step

    calls = []

    def step(model, images, masks, loss_fn, optimizer, scaler, amp_dtype):
        calls.append((tuple(images.shape), amp_dtype, scaler.is_enabled()))
        return train_step(model, images, masks, loss_fn, optimizer, scaler, amp_dtype)

    bf16 = Settings("cpu", amp_dtype="bfloat16")
    mine = train(_net(), TRAIN, VAL, _config(epochs=2), settings=bf16, progress=False, step=step)
    assert calls == [((8, 3, 8, 8), torch.bfloat16, False)] * 12     # 2 epochs x 48 // 8 steps, bf16, no scaler
    default = train(_net(), TRAIN, VAL, _config(epochs=2), settings=bf16, progress=False)
    assert [r.train_loss for r in mine.history] == [r.train_loss for r in default.history]


def test_a_step_that_does_not_return_the_loss_is_explained():
    def forgets_to_return(model, images, masks, loss_fn, optimizer, scaler, amp_dtype):
        loss_fn(model(images), masks).backward()

    with pytest.raises(ValueError, match="expected the training step to return the batch's loss as a one-number "
                                         "float tensor, got NoneType"):
        train(_net(), TRAIN, VAL, _config(), settings=CPU, progress=False, step=forgets_to_return)
    with pytest.raises(ValueError, match="expected step to be a function like course.train.train_step, got str"):
        train(_net(), TRAIN, VAL, _config(), settings=CPU, progress=False, step="sgd")


def test_given_class_weights_replace_the_computed_ones():
    from course.train import class_weights

    computed = train(_net(), TRAIN, VAL, _config(epochs=1), settings=CPU, progress=False)
    assert computed.class_weights == pytest.approx(class_weights(TRAIN.masks, 2).tolist())
    same = train(_net(), TRAIN, VAL, _config(epochs=1), settings=CPU, progress=False,
                 weights=class_weights(TRAIN.masks, 2).double())
    assert same.history[0].train_loss == pytest.approx(computed.history[0].train_loss)
    given = train(_net(), TRAIN, VAL, _config(epochs=1), settings=CPU, progress=False, weights=[1.0, 5.0])
    assert given.class_weights == [1.0, 5.0] and given.history[0].train_loss != computed.history[0].train_loss
    with pytest.raises(ValueError, match=r"expected weights to be 2 finite non-negative numbers, one per class, "
                                         r"got torch.float32 of shape \(3,\)"):
        train(_net(), TRAIN, VAL, _config(), settings=CPU, progress=False, weights=[1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="got torch.float32 of shape"):
        train(_net(), TRAIN, VAL, _config(), settings=CPU, progress=False, weights=[1.0, float("nan")])
    with pytest.raises(ValueError, match="expected config.class_weights=True when weights are given"):
        train(_net(), TRAIN, VAL, _config(class_weights=False), settings=CPU, progress=False, weights=[1.0, 1.0])


HOST_READS = ("item", "cpu", "tolist", "numpy", "__float__", "__int__", "__bool__")


def _host_reads(monkeypatch, run) -> int:
    """How many times the course's code reads a tensor's value on the host during ``run()`` (each one
    a GPU sync on CUDA). PyTorch's own reads (the CPU optimizer's step counters) do not count: on
    CUDA those counters stay on the host, or inside the fused kernel."""
    import sys

    import course

    package, count = str(Path(course.__file__).parent), [0]
    for name in HOST_READS:
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _original=original, **kwargs):
            count[0] += sys._getframe(1).f_code.co_filename.startswith(package)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    run()
    monkeypatch.undo()
    return count[0]


@pytest.mark.parametrize("settings", [CPU, Settings("cpu", amp_dtype="bfloat16")], ids=["fp32", "bf16"])
def test_a_training_step_reads_nothing_on_the_host(monkeypatch, settings):
    """Host reads per run do not grow with the steps per epoch: 3 and 12 steps read as often."""
    def run(batch_size):
        return lambda: train(_net(), TRAIN, VAL, _config(epochs=2, batch_size=batch_size), settings=settings,
                             progress=False)

    few, many = _host_reads(monkeypatch, run(16)), _host_reads(monkeypatch, run(4))  # 3 and 12 steps an epoch
    assert few == many, f"{many - few} more host reads for 18 more steps: the training step syncs"


def test_the_schedule_waits_for_a_step_the_gradient_scaler_skipped(monkeypatch):
    """An unfused optimizer with a gradient scaler (CPU fp16): a step that overflows is skipped and
    the learning-rate schedule does not advance for it, so no LambdaLR warning either."""
    import warnings

    settings = Settings("cpu", amp_dtype="float16", grad_scaler=True)
    steps = []
    original = torch.optim.lr_scheduler.LambdaLR.step
    monkeypatch.setattr(torch.optim.lr_scheduler.LambdaLR, "step", lambda self, *a: (steps.append(1), original(self, *a)))

    calls = []

    def overflowing_step(model, images, masks, loss_fn, optimizer, scaler, amp_dtype):
        calls.append(1)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(images).float(), masks)
        scaler.scale(loss * (math.inf if len(calls) == 1 else 1.0)).backward()  # the first step overflows
        scaler.step(optimizer)
        scaler.update()
        return loss.detach()

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        result = train(_net(), TRAIN, VAL, _config(epochs=1), settings=settings, progress=False,
                       step=overflowing_step)
    assert result.history[0].steps == len(calls) == 6 and len(steps) == 1 + 5, steps  # LambdaLR steps once at start


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_steady_state_training_steps_never_sync_the_gpu(precision):
    from course.models import UNet
    from course.train.settings import choose_settings

    settings = choose_settings("cuda", precision)
    calls = []

    def callback(record, history):
        calls.append(record.epoch)
        if len(calls) == 1:  # after the first epoch (lazy initialisation, autotuning): steady state
            torch.cuda.set_sync_debug_mode("error")

    data = _split(256, 2, size=32)
    try:
        train(UNet(3, 2, base_channels=8, depth=2), data, data, _config(epochs=3, batch_size=32),
              settings=settings, progress=False, callback=callback)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert calls == [1, 2, 3]


@pytest.mark.parametrize("save_seconds, saved", [(0.0, [1, 2, 3, 4, 5, 6]), (50.0, [1, 6]), (2.0, [1, 4, 6])])
def test_checkpoints_take_about_a_tenth_of_the_time_at_most_and_the_last_epoch_is_always_saved(
        tmp_path, monkeypatch, save_seconds, saved):
    """A fake clock: a training step takes 1 s (6 an epoch), a save ``save_seconds`` (Google Drive: seconds).
    With 2 s a save, the next is due 18 s later: after epochs 1 (t = 6 s) and 4 (t = 26 s), then the last."""
    from course.train import engine

    now, epochs = [0.0], []

    def slow_save(path, state):
        epochs.append(state["epoch"])
        now[0] += save_seconds
        return save_checkpoint(path, state)

    def timed_step(*args):
        now[0] += 1.0
        return engine.train_step(*args)

    monkeypatch.setattr(engine, "save_checkpoint", slow_save)
    train(_net(), TRAIN, VAL, _config(epochs=6), settings=CPU, progress=False, checkpoint=tmp_path / "c.pt",
          clock=lambda: now[0], step=timed_step)
    assert epochs == saved and load_checkpoint(tmp_path / "c.pt")["epoch"] == 6


def test_progress_bar_alone_prints_no_lines_and_a_bad_progress_is_refused(capsys):
    train(_net(), TRAIN, VAL, _config(epochs=2), settings=CPU, progress=True)
    full = capsys.readouterr()
    assert "settings: cpu" in full.out and "epoch   2/2" in full.err + full.out
    train(_net(), TRAIN, VAL, _config(epochs=2), settings=CPU, progress="bar")
    bar = capsys.readouterr()
    assert bar.out == "" and "epoch   1/2" not in bar.err and "miou=" in bar.err and "12/12" in bar.err
    with pytest.raises(ValueError, match=r"expected progress to be True, False or 'bar', got 'lines'"):
        train(_net(), TRAIN, VAL, _config(), settings=CPU, progress="lines")
