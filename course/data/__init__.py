"""Datasets for training a segmentation network, and batch augmentation.

``load(name, split, **options)`` returns a :class:`SegmentationDataset`: a whole split in
memory, images float32 (N, C, H, W) in [0, 1] and masks int64 (N, H, W) with 255 as the
ignore index, exposing ``num_classes`` and ``class_names`` (background first).

* ``"embedded"`` (default, no download): shapes that only their outline tells apart
  (:mod:`course.data.embedded`); options ``n``, ``size`` (64), ``seed``.
* ``"streets"`` (no download): the synthetic street scenes of lessons 01, 05 and 06
  (:mod:`course.data.streets`); options ``n``, ``height`` (64), ``width`` (96), ``seed``.
* ``"oxford-pet"``: the Oxford-IIIT Pet trimaps, downloaded once
  (:mod:`course.data.oxford_pet`); options ``root``, ``size`` (128), ``val_fraction``,
  ``seed``, ``download``, ``progress``; splits "train", "val", "test".

:mod:`course.data.augment` flips, rotates, crops and elastically deforms image and mask batches
together.
"""

from __future__ import annotations

import inspect

from .augment import augment, random_crop, random_elastic, random_flip, random_rot90
from .dataset import SegmentationDataset
from .download import ChecksumError, DownloadError
from .embedded import load_embedded
from .oxford_pet import load_oxford_pet
from .streets import load_streets

__all__ = ["load", "DATASETS", "SegmentationDataset", "load_embedded", "load_oxford_pet", "load_streets",
           "augment",
           "random_flip", "random_rot90", "random_crop", "random_elastic", "DownloadError", "ChecksumError"]

DATASETS = {"embedded": (load_embedded, ("train", "val")),
            "streets": (load_streets, ("train", "val")),
            "oxford-pet": (load_oxford_pet, ("train", "val", "test"))}


def load(name: str = "embedded", split: str = "train", **options) -> SegmentationDataset:
    """The ``split`` of dataset ``name`` (a key of :data:`DATASETS`) with its ``options``."""
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"expected name to be one of {list(DATASETS)}, got {name!r}")
    loader, splits = DATASETS[name]
    if split not in splits:
        raise ValueError(f"expected split of {name!r} to be one of {list(splits)}, got {split!r}")
    allowed = [p for p in inspect.signature(loader).parameters if p != "split"]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"expected options of {name!r} among {allowed}, got {unknown}")
    return loader(split, **options)
