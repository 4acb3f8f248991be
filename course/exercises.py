"""The course's own version of every exercise, and stand-ins so that a lesson runs before it is done.

:data:`REFERENCES` maps each exercise's name (the function or class a student writes) to the
course's version with the same signature. It serves three purposes:

* :func:`use`: in lesson 07 the cells after an exercise call the student's function through
  ``use(train_step)``. While it is still nbgrader's stub (it raises ``NotImplementedError``),
  the course's version answers instead and a note says so, once per cell; as soon as the
  student's function is written, it is the one that runs, mistakes included;
* ``course.checks.course_versions``: an exercise's tests put the course's versions of the
  *other* exercises in place, so one mistake costs only its own exercise;
* grading flags an answer that calls the course's version of its own exercise
  (``course.grading.findings``), for the instructor to decide.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable

__all__ = ["use", "reference", "REFERENCES"]

REFERENCES = {
    "confusion_matrix": "course.metrics:confusion_matrix",
    "iou_per_class": "course.metrics:iou_per_class",
    "mean_iou": "course.metrics:mean_iou",
    "conv_output_size": "course.widgets.strided_conv:conv_output_size",
    "pool2d": "course.widgets.pooling:pool",
    "conv_transpose_output_size": "course.transposed_conv:output_size",
    "SimpleFCN": "course.models.fcn:SimpleFCN",
    "SegNetLite": "course.models.fcn:SegNetLite",
    "double_conv": "course.models.unet:DoubleConv",
    "center_crop": "course.models.unet:center_crop",
    "UpBlock": "course.models.unet:Up",
    "StudentUNet": "course.models.unet:UNet",
    "median_frequency_weights": "course.train.losses:class_weights",
    "train_step": "course.train.engine:train_step",
    "evaluate": "course.train.engine:confusion",
}


def reference(name: str):
    """The course's version of exercise ``name`` (a key of :data:`REFERENCES`)."""
    if name not in REFERENCES:
        raise ValueError(f"expected one of the exercises {sorted(REFERENCES)}, got {name!r}")
    module, attribute = REFERENCES[name].split(":")
    return getattr(importlib.import_module(module), attribute)


def use(function: Callable) -> Callable:
    """``function`` (a student's exercise, named as in :data:`REFERENCES`), standing in the
    course's version for it while it raises ``NotImplementedError``."""
    name = getattr(function, "__name__", None)
    if not callable(function) or name not in REFERENCES:
        raise ValueError(f"expected one of the exercise functions {sorted(REFERENCES)}, got "
                         f"{name or type(function).__name__!r}")
    module, attribute = REFERENCES[name].split(":")
    course_version = reference(name)
    stub = False

    @functools.wraps(function)
    def call(*args, **kwargs):
        nonlocal stub
        if not stub:
            try:
                return function(*args, **kwargs)
            except NotImplementedError:
                stub = True
                print(f"Your {name} is not written yet: using the course's version ({module}.{attribute}) "
                      f"for now. Once your {name} passes its tests, run this cell again to use yours.")
        return course_version(*args, **kwargs)

    return call
