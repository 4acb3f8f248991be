"""Stand-ins for exercises, so that a lesson runs top to bottom before its exercises are done.

In lesson 07 the cells after an exercise call the student's function through :func:`use`:
``train(..., step=use(train_step))``. While the function is still nbgrader's stub (it raises
``NotImplementedError``), the course's own version answers instead and a note says so, once
per cell; as soon as the student's function is written, it is the one that runs, mistakes
included. Grading is not affected: the tests call the student's functions directly.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable

__all__ = ["use", "REFERENCES"]

# exercise function name -> "module:function" of the course's version, same signature
REFERENCES = {
    "median_frequency_weights": "course.train.losses:class_weights",
    "train_step": "course.train.engine:train_step",
    "evaluate": "course.train.engine:confusion",
}


def use(function: Callable) -> Callable:
    """``function`` (a student's exercise, named as in :data:`REFERENCES`), standing in the
    course's version for it while it raises ``NotImplementedError``."""
    name = getattr(function, "__name__", None)
    if not callable(function) or name not in REFERENCES:
        raise ValueError(f"expected one of the exercise functions {sorted(REFERENCES)}, got "
                         f"{name or type(function).__name__!r}")
    module, attribute = REFERENCES[name].split(":")
    reference = getattr(importlib.import_module(module), attribute)
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
        return reference(*args, **kwargs)

    return call
