"""Training and prediction for the lessons and the ``course train`` command.

* :func:`train` (:mod:`.engine`): the one engine of lessons 05-07 and ``course train``: epochs
  over an in-memory dataset on the device, joint augmentation, AdamW with warm-up and cosine
  decay, mixed precision and memory format from :class:`Settings`, dataset-level evaluation
  every epoch, atomic checkpoints and exact resume, a time budget and a target mIoU;
  :func:`predict` and :func:`evaluate` run a model the way training does (autocast, memory format).
* :mod:`.losses`: cross entropy with class weights, soft Dice, their sum, median frequency
  class weights. :mod:`.figures`: curves (live in a notebook), predictions, confusion matrix.
* :mod:`.command`: ``course train``.

Data lives on the device for the whole run, so no DataLoader stands between it and the GPU.
"""

from .checkpoint import load_checkpoint, save_checkpoint
from .engine import EpochRecord, Evaluation, TrainConfig, TrainResult, evaluate, predict, train, train_step
from .losses import class_weights, combined_loss, cross_entropy, dice_loss, make_loss
from .settings import Settings, choose_settings

__all__ = ["predict", "train", "train_step", "evaluate", "TrainConfig",
           "TrainResult", "EpochRecord", "Evaluation", "Settings", "choose_settings", "cross_entropy",
           "dice_loss", "combined_loss", "class_weights", "make_loss", "save_checkpoint", "load_checkpoint"]
