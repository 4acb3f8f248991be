"""The course's own version of every exercise, and stand-ins so that a lesson runs before it is done.

:data:`REFERENCES` maps each exercise's name (the function or class a student writes) to the
course's version with the same signature. It serves three purposes:

* :func:`use`: the cells after an exercise call the student's function through
  ``use(train_step)`` (lesson 07), or build the student's network through
  ``use(SimpleFCN)(3, 7)`` (lessons 05 and 06). While it is still nbgrader's stub (it raises
  ``NotImplementedError``; for a network: its constructor raises it, or its ``forward`` does
  nothing else), the course's version answers instead and a note says so, once per stub;
  as soon as the student's code is written, it is what runs, mistakes included;
* ``course.checks.course_versions``: an exercise's tests put the course's versions of the
  *other* exercises in place, so one mistake costs only its own exercise;
* grading flags an answer that calls the course's version of its own exercise
  (``course.grading.findings``), for the instructor to decide.

:func:`guard_visible_tests` (installed by ``course.setup()``) lets Run All reach a lesson's end
before its exercises are written: a visible-test cell whose exercise still raises
``NotImplementedError`` prints "not attempted yet" instead of stopping the run. Never while a
notebook is graded or checked (:func:`course.config.grading`): there the cell fails and scores 0.
"""

from __future__ import annotations

import ast
import dis
import functools
import importlib
import weakref
from collections.abc import Callable

from .config import grading

__all__ = ["use", "reference", "is_stub", "guard_visible_tests", "not_attempted", "REFERENCES", "VISIBLE_TESTS"]

_NOTED: weakref.WeakSet = weakref.WeakSet()  # the stubs whose note has been printed
VISIBLE_TESTS = "Visible tests"  # how the docstring of every visible-test cell begins (course validate)

REFERENCES = {
    "confusion_matrix": "course.metrics:confusion_matrix",
    "iou_per_class": "course.metrics:iou_per_class",
    "mean_iou": "course.metrics:mean_iou",
    "conv_output_size": "course.geometry:conv_output_size",
    "pool2d": "course.widgets.pooling:pool",
    "conv_transpose_output_size": "course.geometry:conv_transpose_output_size",
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
    course's version for it while it is nbgrader's stub. For a network class, the result
    builds the network: the student's, or the course's while the student's is a stub."""
    name = getattr(function, "__name__", None)
    if not callable(function) or name not in REFERENCES:
        raise ValueError(f"expected one of the exercise functions {sorted(REFERENCES)}, got "
                         f"{name or type(function).__name__!r}")
    course_version = reference(name)
    stub = False

    def note() -> None:
        nonlocal stub
        stub = True
        if function in _NOTED:  # once per stub, however many cells or calls use it
            return
        _NOTED.add(function)
        print(f"Your {name} is not written yet: using the course's version ({REFERENCES[name].replace(':', '.')}) "
              f"for now. Once your {name} passes its tests, run this cell again to use yours.")

    @functools.wraps(function, updated=())
    def call(*args, **kwargs):
        if not stub:
            try:
                result = function(*args, **kwargs)
            except NotImplementedError:
                note()
            else:
                if not (isinstance(function, type) and is_stub(getattr(type(result), "forward", None))):
                    return result
                note()
        return course_version(*args, **kwargs)

    return call


def is_stub(function) -> bool:
    """True if ``function`` does nothing but raise ``NotImplementedError`` (nbgrader's stub)."""
    code = getattr(function, "__code__", None)
    if code is None:
        return False
    raises = any(instruction.opname == "RAISE_VARARGS" for instruction in dis.get_instructions(code))
    return raises and code.co_names == ("NotImplementedError",)


def not_attempted() -> None:
    """What a guarded visible-test cell prints when its exercise is still a stub."""
    print("Not attempted yet: this exercise still raises NotImplementedError, so its visible tests did not "
          "run. Write it, then run this cell again. (Graded as it is, it scores 0.)")


class _VisibleTestGuard(ast.NodeTransformer):
    """Wraps a visible-test cell in ``try: ... except NotImplementedError: not_attempted()``."""

    def visit_Module(self, node: ast.Module) -> ast.Module:
        first = node.body[0] if node.body else None
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str) and first.value.value.startswith(VISIBLE_TESTS)):
            return node
        handler = ast.parse("import course.exercises\ncourse.exercises.not_attempted()").body
        node.body = [ast.Try(body=node.body, orelse=[], finalbody=[],
                             handlers=[ast.ExceptHandler(type=ast.Name("NotImplementedError", ast.Load()),
                                                         name=None, body=handler)])]
        return ast.fix_missing_locations(node)


def guard_visible_tests(shell=None) -> bool:
    """Install the guard in ``shell`` (default: the running IPython) unless a notebook is being
    graded or checked; True if it is installed now."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None or grading():
        return False
    if not any(isinstance(t, _VisibleTestGuard) for t in shell.ast_transformers):
        shell.ast_transformers.append(_VisibleTestGuard())
    return True
