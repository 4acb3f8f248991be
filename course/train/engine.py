"""The training engine of lesson 07 and ``course train``: epochs over an in-memory dataset.

The whole dataset goes to the device once; each epoch shuffles it with a seeded generator,
slices batches, augments them jointly (:func:`course.data.augment`), and takes an AdamW
step under the device's :class:`~course.train.settings.Settings` (mixed precision, memory
format). The learning rate warms up, then decays on a cosine. After every epoch the
validation split is evaluated at dataset level (one confusion matrix over all its pixels,
scored by :mod:`course.metrics`), a checkpoint is written atomically (after every epoch, unless
saving is slow: then saves take about a tenth of the time at most; the last epoch is always saved),
and a callback sees the
epoch's record (the lesson draws a live plot from it). A run stops after ``epochs``, when it
reaches ``target_miou``, when its ``time_budget`` runs out (after the current step, then it
still evaluates and checkpoints), or when the callback returns True.

No step waits for the GPU: the augmentation draws on the device, AdamW is fused on CUDA (the
gradient scaler hands it its overflow flag on the device), and the loss is summed on the
device and read once per epoch. ``tests/test_train_engine.py`` counts the host reads on the
CPU and, where CUDA is present, runs steady-state steps under
``torch.cuda.set_sync_debug_mode("error")``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..arguments import check_int
from ..data import SegmentationDataset, augment
from ..metrics import confusion_matrix, iou_per_class, mean_iou, pixel_accuracy
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ..data.compact import compact_dataset, expand_images, expand_masks, megabytes
from .losses import LOSSES, class_weights, make_loss
from .settings import Settings, choose_settings

__all__ = ["TrainConfig", "EpochRecord", "Evaluation", "TrainResult", "train", "train_step", "evaluate", "predict",
           "confusion", "lr_factor", "CHECKPOINT_FORMAT"]

CHECKPOINT_FORMAT = 1
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Step = Callable[..., torch.Tensor]


@dataclass(frozen=True)
class TrainConfig:
    """What to train and for how long. ``loss`` is one of :data:`course.train.losses.LOSSES`;
    ``class_weights`` weights its cross entropy by median frequency balancing; ``warmup`` is
    the fraction of steps whose learning rate rises linearly before the cosine decay to
    ``final_lr_fraction * lr``; ``time_budget`` (seconds of this call) stops a run early, and
    so does ``target_miou`` (validation mean IoU in (0, 1]) if ``stop_at_target``; the run
    reports the time it took to reach it either way."""

    epochs: int = 30
    batch_size: int = 16
    lr: float = 3e-3
    weight_decay: float = 1e-4
    warmup: float = 0.05
    final_lr_fraction: float = 0.01
    loss: str = "ce+dice"
    class_weights: bool = True
    flip: bool = True
    rot90: bool = False
    padding: int = 0
    eval_batch_size: int = 128
    seed: int = 0
    time_budget: float | None = None
    target_miou: float | None = None
    stop_at_target: bool = True

    def __post_init__(self):
        check_int("epochs", self.epochs, 1)
        check_int("batch_size", self.batch_size, 1)
        check_int("eval_batch_size", self.eval_batch_size, 1)
        check_int("padding", self.padding, 0)
        check_int("seed", self.seed, 0)
        _check_number("lr", self.lr, low=0, low_open=True)
        _check_number("weight_decay", self.weight_decay, low=0)
        _check_number("warmup", self.warmup, low=0, high=1)
        _check_number("final_lr_fraction", self.final_lr_fraction, low=0, high=1)
        if self.time_budget is not None:
            _check_number("time_budget", self.time_budget, low=0, low_open=True)
        if self.target_miou is not None:
            _check_number("target_miou", self.target_miou, low=0, high=1, low_open=True)
        if self.loss not in LOSSES:
            raise ValueError(f"expected loss to be one of {list(LOSSES)}, got {self.loss!r}")


@dataclass
class Evaluation:
    """Dataset-level scores: ``confusion`` int64 (K, K) (rows true, columns predicted),
    ``iou`` float (K,) (NaN for a class absent from targets and predictions)."""

    loss: float
    miou: float
    iou: np.ndarray
    pixel_accuracy: float
    confusion: np.ndarray


@dataclass
class EpochRecord:
    """One epoch: mean training loss, its validation scores, the learning rate at its end,
    ``elapsed`` seconds since the run began (over resumes) and training images per second."""

    epoch: int
    steps: int
    train_loss: float
    val_loss: float
    miou: float
    iou: list[float]
    pixel_accuracy: float
    lr: float
    elapsed: float
    images_per_second: float


@dataclass
class TrainResult:
    """What a run did: one record per epoch, why it stopped ("epochs", "target", "time budget",
    "callback"), the seconds it took to reach ``target_miou`` (None if it did not), and the
    last evaluation."""

    history: list[EpochRecord]
    settings: Settings
    config: TrainConfig
    stopped: str
    time_to_target: float | None
    evaluation: Evaluation
    resumed_from: int = 0
    class_weights: list[float] | None = field(default=None)

    @property
    def best_miou(self) -> float:
        return max((r.miou for r in self.history if not math.isnan(r.miou)), default=float("nan"))

    @property
    def best_epoch(self) -> int | None:
        scored = [r for r in self.history if not math.isnan(r.miou)]
        return max(scored, key=lambda r: r.miou).epoch if scored else None

    def to_dict(self) -> dict:
        """Plain data for ``metrics.json``."""
        return {"history": [asdict(r) for r in self.history], "settings": self.settings.to_dict(),
                "config": asdict(self.config), "stopped": self.stopped, "time_to_target": self.time_to_target,
                "best_miou": self.best_miou, "best_epoch": self.best_epoch, "resumed_from": self.resumed_from,
                "class_weights": self.class_weights,
                "final": {"miou": self.evaluation.miou, "pixel_accuracy": self.evaluation.pixel_accuracy,
                          "iou": self.evaluation.iou.tolist(), "loss": self.evaluation.loss,
                          "confusion": self.evaluation.confusion.tolist()}}


def lr_factor(step: int, total: int, warmup: float = 0.05, final: float = 0.01) -> float:
    """Learning-rate multiplier at ``step`` of ``total``: linear warm-up over ``warmup * total``
    steps, then a cosine from 1 down to ``final`` at the last step."""
    warm = max(1, round(warmup * total)) if warmup > 0 else 0
    if step < warm:
        return (step + 1) / warm
    progress = min(1.0, (step - warm) / max(1, total - warm - 1))
    return final + (1 - final) * 0.5 * (1 + math.cos(math.pi * progress))


def train_step(model: nn.Module, images: torch.Tensor, masks: torch.Tensor, loss_fn: Loss,
               optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler,
               amp_dtype: torch.dtype | None = None) -> torch.Tensor:
    """One optimisation step: forward under autocast to ``amp_dtype`` (None: fp32) on the
    images' device, loss in fp32, backward through the (possibly disabled) gradient scaler,
    which unscales the gradients before the optimizer's step and skips steps that overflow.
    Returns the loss, detached (no device sync). Lesson 07 writes this function."""
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast(images.device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
        scores = model(images)
    loss = loss_fn(scores.float(), masks)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


@torch.no_grad()
def evaluate(model: nn.Module, dataset: SegmentationDataset, loss_fn: Loss | None = None,
             settings: Settings | None = None, batch_size: int = 128) -> Evaluation:
    """Scores of ``model`` on the whole ``dataset``: a confusion matrix summed over batches,
    then mean IoU, per-class IoU and pixel accuracy from :mod:`course.metrics`; ``loss`` is
    ``loss_fn`` (default: cross entropy) averaged over images. ``settings`` default to the
    fastest for the model's device. Leaves the model in eval mode."""
    settings = settings or choose_settings(next(model.parameters()).device.type)
    loss_fn = loss_fn or make_loss("ce")
    check_int("batch_size", batch_size, 1)
    model.to(settings.torch_device, memory_format=settings.memory_format)
    with settings.active():
        images, masks = (settings.to_device(t) for t in compact_dataset(dataset))
        return _evaluate(model, images, masks, dataset.num_classes, loss_fn, settings, batch_size)


def confusion(model: nn.Module, images: torch.Tensor, masks: torch.Tensor, num_classes: int,
              batch_size: int = 64) -> np.ndarray:
    """Confusion matrix (K, K) int64 of ``model`` on all ``images`` (N, C, H, W) and ``masks``
    (N, H, W), batch by batch on the model's device, in eval mode, without gradients, in fp32
    (lesson 07's exercise)."""
    check_int("batch_size", batch_size, 1)
    settings = Settings(next(model.parameters()).device.type)
    cm = np.zeros((num_classes, num_classes), np.int64)
    with torch.no_grad():
        for scores, y in _scored_batches(model, images, masks, settings, batch_size):
            cm += confusion_matrix(scores.argmax(1).cpu().numpy(), y.cpu().numpy(), num_classes)
    return cm


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, settings: Settings | None = None,
            batch_size: int = 64) -> torch.Tensor:
    """Label maps (N, H', W') int64 on the CPU: the arg-max class of ``model``'s scores for
    ``images`` (N, C, H, W), batch by batch on the model's device, in eval mode, under
    ``settings`` (default: the fastest for that device, as in training and :func:`evaluate`)."""
    check_int("batch_size", batch_size, 1)
    settings = settings or choose_settings(next(model.parameters()).device.type)
    with settings.active():
        labels = [scores.argmax(1).cpu() for scores in _scores(model, images, settings, batch_size)]
    return torch.cat(labels) if labels else torch.zeros((0, *images.shape[2:]), dtype=torch.long)


def _scores(model, images, settings, batch_size):
    """The scores of each batch of at most ``batch_size`` images, on the model's device, in eval mode."""
    model.eval()
    device = next(model.parameters()).device
    for start in range(0, len(images), batch_size):
        x = expand_images(images[start:start + batch_size].to(device))
        with settings.autocast():
            scores = model(x.contiguous(memory_format=settings.memory_format))
        yield scores


def _scored_batches(model, images, masks, settings, batch_size):
    """(scores, masks) of each batch of at most ``batch_size``, on the model's device, in eval mode."""
    device = next(model.parameters()).device
    for start, scores in zip(range(0, len(images), batch_size), _scores(model, images, settings, batch_size)):
        yield scores, expand_masks(masks[start:start + batch_size].to(device))


@torch.no_grad()
def _evaluate(model, images, masks, num_classes, loss_fn, settings, batch_size) -> Evaluation:
    cm = np.zeros((num_classes, num_classes), np.int64)
    total = torch.zeros((), device=images.device)
    for scores, y in _scored_batches(model, images, masks, settings, batch_size):
        total += loss_fn(scores.float(), y) * len(y)
        cm += confusion_matrix(scores.argmax(1).cpu().numpy(), y.cpu().numpy(), num_classes)
    return Evaluation(loss=total.item() / len(images), miou=mean_iou(cm), iou=iou_per_class(cm),
                      pixel_accuracy=pixel_accuracy(cm), confusion=cm)


def train(model: nn.Module, train_set: SegmentationDataset, val_set: SegmentationDataset,
          config: TrainConfig | None = None, *, settings: Settings | None = None,
          checkpoint: str | Path | None = None, resume: bool = False,
          callback: Callable[[EpochRecord, list[EpochRecord]], bool | None] | None = None,
          progress: bool | str = True, step: Step | None = None, weights=None,
          clock: Callable[[], float] = time.perf_counter) -> TrainResult:
    """Train ``model`` on ``train_set`` and evaluate it on ``val_set`` after every epoch.

    ``settings`` default to :func:`choose_settings` ("auto"); ``checkpoint``: a file written
    after every epoch; with ``resume`` the run continues from it when it exists (model,
    optimizer, schedule, scaler, random generators and history), so the result equals an
    uninterrupted run with the same config. ``callback(record, history)`` runs after each
    epoch; returning True stops the run. ``progress`` shows a bar and prints the settings
    and one line per epoch; ``progress="bar"`` shows the bar alone (its end says the last
    epoch's loss and mIoU). ``step`` replaces :func:`train_step` (same signature: lesson 07
    passes the student's own); ``weights`` (K,) are the class weights to use when
    ``config.class_weights`` (default: median frequency weights of ``train_set``). The model
    stays on the device, in eval mode.
    """
    config = config or TrainConfig()
    settings = settings or choose_settings("auto")
    _check_datasets(train_set, val_set)
    if resume and checkpoint is None:
        raise ValueError("expected a checkpoint path to resume from, got checkpoint=None")
    if progress not in (True, False, "bar"):
        raise ValueError(f"expected progress to be True, False or 'bar', got {progress!r}")
    if step is not None and not callable(step):
        raise ValueError(f"expected step to be a function like course.train.train_step, got {type(step).__name__}")
    weights = _check_weights(weights, train_set.num_classes, config) if weights is not None else None
    with settings.active():
        return _Run(model, train_set, val_set, config, settings, checkpoint, callback, progress, clock,
                    step or train_step, weights).run(resume)


class _Run:
    """The state of one call of :func:`train`."""

    def __init__(self, model, train_set, val_set, config, settings, checkpoint, callback, progress, clock,
                 step, weights):
        self.config, self.settings, self.callback, self.step = config, settings, callback, step
        self.progress, self.clock = progress, clock
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.num_classes = train_set.num_classes
        self.model = model.to(settings.torch_device, memory_format=settings.memory_format)
        self.images, self.masks = (settings.to_device(t) for t in compact_dataset(train_set))
        self.val_images, self.val_masks = (settings.to_device(t) for t in compact_dataset(val_set))
        if config.class_weights:
            self.weights = weights if weights is not None else class_weights(train_set.masks, self.num_classes)
        else:
            self.weights = None
        self.loss_fn = make_loss(config.loss, self.weights)
        self.batch_size = min(config.batch_size, len(self.images))
        self.steps_per_epoch = len(self.images) // self.batch_size
        self.total_steps = config.epochs * self.steps_per_epoch
        # fused on CUDA: one kernel for all parameters, and a GradScaler hands it the scale and the
        # overflow flag on the device, so a step needs no host sync (unfused, scaler.step reads found_inf)
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                                           fused=settings.device == "cuda")
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: lr_factor(step, self.total_steps, config.warmup, config.final_lr_fraction))
        self.scaler = settings.grad_scaler_for_run()
        self.shuffle = torch.Generator().manual_seed(config.seed)
        self.augment = torch.Generator(device=self.images.device).manual_seed(config.seed + 1)  # draws on the device
        self.history: list[EpochRecord] = []
        self.elapsed_before, self.time_to_target, self.resumed_from = 0.0, None, 0
        self._save_seconds, self._saved_at, self._saved = None, 0.0, 0  # the last checkpoint's cost, time, epoch
        # with an unfused optimizer the scaler may skip optimizer.step(): then the schedule waits
        self._scaler_may_skip = self.scaler.is_enabled() and not getattr(self.optimizer,
                                                                          "_step_supports_amp_scaling", False)

    def run(self, resume: bool) -> TrainResult:
        if resume and self.checkpoint.is_file():
            self._load(load_checkpoint(self.checkpoint))  # on the CPU: RNG states must be CPU tensors;
            # load_state_dict moves weights and optimizer state to the parameters' device
        if self.progress is True:
            print(f"settings: {self.settings.describe()}")
            print(f"data on {self.settings.device}: {self.data_megabytes:.0f} MB (images "
                  f"{str(self.images.dtype).removeprefix('torch.')}, masks {str(self.masks.dtype).removeprefix('torch.')})")
            if self.resumed_from:
                print(f"resumed from {self.checkpoint} after epoch {self.resumed_from}")
        start = self.clock()
        stopped, evaluation = "epochs", None
        bar = tqdm(total=self.total_steps, initial=len(self.history) * self.steps_per_epoch, unit="step",
                   desc="training", disable=not self.progress, dynamic_ncols=True)
        try:
            for epoch in range(len(self.history) + 1, self.config.epochs + 1):
                out_of_time = self._epoch(epoch, start, bar)
                evaluation = _evaluate(self.model, self.val_images, self.val_masks, self.num_classes, self.loss_fn,
                                       self.settings, self.config.eval_batch_size)
                record = self._record(epoch, evaluation, start)
                target = self.config.target_miou
                if target is not None and self.time_to_target is None and record.miou >= target:
                    self.time_to_target = record.elapsed
                if self.checkpoint is not None and self._checkpoint_due():
                    self._save()
                bar.set_postfix(loss=f"{record.train_loss:.3f}", miou=f"{record.miou:.3f}",
                                img_s=f"{record.images_per_second:.0f}", refresh=self.progress == "bar")
                if self.progress is True:
                    bar.write(_describe(record, self.config.epochs))
                stop = self.callback(record, list(self.history)) if self.callback is not None else None
                if self.time_to_target is not None and self.config.stop_at_target:
                    stopped = "target"
                elif out_of_time:
                    stopped = "time budget"
                elif stop:
                    stopped = "callback"
                if stopped != "epochs":
                    break
        finally:
            bar.close()
        if self.checkpoint is not None and self.history and self._saved != len(self.history):
            self._save()  # the run's last epoch is always kept
        if evaluation is None:  # nothing left to train: score the checkpoint's model
            evaluation = _evaluate(self.model, self.val_images, self.val_masks, self.num_classes, self.loss_fn,
                                   self.settings, self.config.eval_batch_size)
            if self.time_to_target is not None and self.config.stop_at_target:
                stopped = "target"
        return TrainResult(self.history, self.settings, self.config, stopped, self.time_to_target, evaluation,
                           self.resumed_from, None if self.weights is None else self.weights.tolist())

    def _checkpoint_due(self) -> bool:
        """Save after an epoch unless the last save was less than 9 of its own durations ago: on a
        slow disk (Google Drive) checkpoints take about a tenth of the run's time at most."""
        return self._save_seconds is None or self.clock() - self._saved_at >= 9 * self._save_seconds

    def _save(self) -> None:
        began = self.clock()
        save_checkpoint(self.checkpoint, self._state())
        self._saved_at = self.clock()
        self._save_seconds, self._saved = self._saved_at - began, len(self.history)

    @property
    def data_megabytes(self) -> float:
        """What the training and validation data take on the device."""
        return megabytes(self.images, self.masks, self.val_images, self.val_masks)

    def _epoch(self, epoch: int, start: float, bar) -> bool:
        """Train one epoch; True if the time budget ran out (the epoch then ends early)."""
        self.model.train()
        order = torch.randperm(len(self.images), generator=self.shuffle).to(self.images.device)
        total, steps, began = torch.zeros((), device=self.images.device), 0, self.clock()
        budget = self.config.time_budget
        out_of_time = False
        for step in range(self.steps_per_epoch):
            batch = order[step * self.batch_size:(step + 1) * self.batch_size]
            x, y = augment(self.images[batch], self.masks[batch], self.augment, flip=self.config.flip,
                           rot90=self.config.rot90, padding=self.config.padding)  # on uint8: cheaper
            x, y = expand_images(x).contiguous(memory_format=self.settings.memory_format), expand_masks(y)
            if epoch == 1 and step == 0:
                self._check_scores(x, y)
            scale = self.scaler.get_scale() if self._scaler_may_skip else None  # a sync: unfused optimizers only
            loss = self.step(self.model, x, y, self.loss_fn, self.optimizer, self.scaler,
                             self.settings.torch_amp_dtype)
            if epoch == 1 and step == 0:
                _check_loss(loss)
            total += loss
            if scale is None or self.scaler.get_scale() >= scale:  # a skipped step lowers the scale
                self.scheduler.step()
            steps += 1
            bar.update(1)
            if budget is not None and self.clock() - start >= budget:
                out_of_time = True
                break
        self.epoch_loss = total.item() / steps
        self.epoch_steps = steps
        self.epoch_seconds = self.clock() - began
        return out_of_time

    def _record(self, epoch: int, evaluation: Evaluation, start: float) -> EpochRecord:
        record = EpochRecord(
            epoch=epoch, steps=self.epoch_steps, train_loss=self.epoch_loss, val_loss=evaluation.loss,
            miou=evaluation.miou, iou=evaluation.iou.tolist(), pixel_accuracy=evaluation.pixel_accuracy,
            lr=self.optimizer.param_groups[0]["lr"], elapsed=self.elapsed_before + self.clock() - start,
            images_per_second=self.epoch_steps * self.batch_size / max(self.epoch_seconds, 1e-9))
        self.history.append(record)
        return record

    def _check_scores(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.model.eval()  # no batch-norm statistics updated by this check
        with torch.no_grad(), self.settings.autocast():
            shape = tuple(self.model(x[:1]).shape)
        self.model.train()
        if shape[1] != self.num_classes or shape[2:] != tuple(y.shape[1:]):
            raise ValueError(f"expected the model's scores to be (N, {self.num_classes}, {y.shape[1]}, {y.shape[2]}) "
                             f"for {self.num_classes} classes, got {shape}")

    def _state(self) -> dict:
        return {"format": CHECKPOINT_FORMAT, "epoch": len(self.history), "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(), "shuffle_rng": self.shuffle.get_state(),
                "augment_rng": self.augment.get_state(), "augment_device": self.augment.device.type,
                "torch_rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state_all() if self.settings.device == "cuda" else [],
                "history": [asdict(r) for r in self.history], "elapsed": self.history[-1].elapsed,
                "time_to_target": self.time_to_target, "config": asdict(self.config),
                "settings": self.settings.to_dict()}

    def _load(self, state: dict) -> None:
        if state.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{self.checkpoint} is no checkpoint of this course train: expected format "
                                  f"{CHECKPOINT_FORMAT}, got {state.get('format')!r}")
        try:
            self.model.load_state_dict(state["model"])
        except (RuntimeError, KeyError, TypeError) as error:
            reason = str(error).strip().splitlines()[0]
            raise CheckpointError(f"{self.checkpoint} holds another model's weights ({reason[:120]}): resume with "
                                  "the options of the run that wrote it (--dataset, --base-channels, --depth), or "
                                  "train into another --out") from None
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if state["scaler"]:  # empty when saved without a scaler (fp32, bf16): a fresh scaler then starts
            self.scaler.load_state_dict(state["scaler"])
        self.shuffle.set_state(state["shuffle_rng"])
        if state.get("augment_device", "cpu") == self.augment.device.type:
            self.augment.set_state(state["augment_rng"])
        else:  # resumed on another kind of device: its generator's state does not fit, draw anew
            self.augment.manual_seed(self.config.seed + 1 + state["epoch"])
        torch.set_rng_state(state["torch_rng"])
        if state["cuda_rng"] and self.settings.device == "cuda":
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        self.history = [EpochRecord(**r) for r in state["history"]]
        self.elapsed_before, self.time_to_target = state["elapsed"], state["time_to_target"]
        self.resumed_from = state["epoch"]


def _describe(record: EpochRecord, epochs: int) -> str:
    return (f"epoch {record.epoch:>3}/{epochs}  loss {record.train_loss:.4f}  val loss {record.val_loss:.4f}  "
            f"val mIoU {record.miou:.4f}  pixel acc {record.pixel_accuracy:.4f}  "
            f"{record.images_per_second:.0f} img/s  {record.elapsed:.1f} s")


def _check_datasets(train_set, val_set) -> None:
    for name, ds in (("train_set", train_set), ("val_set", val_set)):
        if not isinstance(ds, SegmentationDataset):
            raise ValueError(f"expected {name} to be a course.data.SegmentationDataset, got {type(ds).__name__}")
    if train_set.class_names != val_set.class_names or train_set.images.shape[1] != val_set.images.shape[1]:
        raise ValueError(f"expected train and val splits of the same classes and channels, got "
                         f"{train_set.class_names} ({train_set.images.shape[1]} ch) and "
                         f"{val_set.class_names} ({val_set.images.shape[1]} ch)")


def _check_loss(loss) -> None:
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1 or not loss.is_floating_point():
        got = f"a tensor of shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"expected the training step to return the batch's loss as a one-number float tensor, "
                         f"got {got}")


def _check_weights(weights, num_classes: int, config: TrainConfig) -> torch.Tensor:
    if not config.class_weights:
        raise ValueError("expected config.class_weights=True when weights are given, got class_weights=False")
    try:
        tensor = torch.as_tensor(weights).detach().cpu()
    except (TypeError, ValueError, RuntimeError):
        tensor = None
    if tensor is None or tuple(tensor.shape) != (num_classes,) or tensor.dtype == torch.bool \
            or not bool(torch.isfinite(tensor.double()).all()) or bool((tensor < 0).any()):
        got = f"{tensor.dtype} of shape {tuple(tensor.shape)}" if tensor is not None else type(weights).__name__
        raise ValueError(f"expected weights to be {num_classes} finite non-negative numbers, one per class, "
                         f"got {got}: {weights!r}")
    return tensor.float()


def _check_number(name: str, value, low=None, high=None, low_open: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        upper = f"{high}]" if high is not None else "inf)"
        bounds = f"{'(' if low_open else '['}{low}, {upper}"
        raise ValueError(f"expected {name} to be a number in {bounds}, got {value!r}")
