"""Training and prediction for the lessons and the ``course train`` command.

* :func:`fit` / :func:`predict` (:mod:`.loop`): a short seeded loop for lessons 05-06.
* :func:`train` (:mod:`.engine`): the full engine of lesson 07 and ``course train``: epochs
  over an in-memory dataset on the device, joint augmentation, AdamW with warm-up and cosine
  decay, mixed precision and memory format from :class:`Settings`, dataset-level evaluation
  every epoch, atomic checkpoints and exact resume, a time budget and a target mIoU.
* :mod:`.losses`: cross entropy with class weights, soft Dice, their sum, median frequency
  class weights. :mod:`.figures`: curves (live in a notebook), predictions, confusion matrix.
* :mod:`.command`: ``course train``.

Data lives on the device for the whole run, so no DataLoader stands between it and the GPU.
"""

from .checkpoint import load_checkpoint, save_checkpoint
from .engine import EpochRecord, Evaluation, TrainConfig, TrainResult, evaluate, train, train_step
from .loop import History, fit, predict, to_tensors
from .losses import class_weights, combined_loss, cross_entropy, dice_loss, make_loss
from .settings import Settings, choose_settings

__all__ = ["fit", "predict", "History", "to_tensors", "train", "train_step", "evaluate", "TrainConfig",
           "TrainResult", "EpochRecord", "Evaluation", "Settings", "choose_settings", "cross_entropy",
           "dice_loss", "combined_loss", "class_weights", "make_loss", "save_checkpoint", "load_checkpoint"]
