"""Run-time switches shared by every lesson: fast mode and the compute device.

Fast mode lets heavy cells (training, dataset-wide evaluation) scale themselves down
through the *same* code path, so CI and laptops without a GPU run every notebook in
minutes. One switch controls it, the environment variable ``COURSE_FAST``:

* ``COURSE_FAST=1`` forces fast mode on, ``COURSE_FAST=0`` forces it off;
* ``COURSE_FAST=smoke`` is fast mode with the training demonstrations at their graded size
  (below): for runs that prove the lessons run and their widgets work, not what training
  learns (the browser tests);
* unset, fast mode is on while nbgrader grades (``NBGRADER_EXECUTION`` is set) and
  whenever no CUDA GPU is present.

While a notebook is graded or checked, ``scaled(..., graded=x)`` gives ``x``: the lessons'
training demonstrations run one epoch there, since no test reads their results.
"""

from __future__ import annotations

import os

FAST_ENV = "COURSE_FAST"
CHECK_ENV = "COURSE_CHECK_RUNNING"  # set in the kernel of a `course check` run
SMOKE = "smoke"
_TRUE = {"1", "true", "yes", "on", SMOKE}
_FALSE = {"0", "false", "no", "off"}


def fast_mode() -> bool:
    """Return True when heavy cells should run their scaled-down version."""
    if os.environ.get("NBGRADER_EXECUTION"):
        return True  # grading must stay short, whatever the machine
    value = os.environ.get(FAST_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if value:
        raise ValueError(
            f"{FAST_ENV} must be one of 1/0/true/false/yes/no/on/off/smoke or unset, got {value!r}"
        )
    return not _cuda_available()


def grading() -> bool:
    """True while a notebook is graded or checked: nbgrader autograde or validate (they set
    ``NBGRADER_EXECUTION``, and so does ``course grade``) or ``course check``."""
    return bool(os.environ.get("NBGRADER_EXECUTION") or os.environ.get(CHECK_ENV))


_UNSET = object()


def scaled(full, fast, graded=_UNSET):
    """Return ``fast`` in fast mode and ``full`` otherwise (one code path for both). ``graded``,
    when given, is used while a notebook is graded or checked, and with ``COURSE_FAST=smoke``: a
    cell whose work no grade reads (a demonstration's training run) can shrink to almost nothing there."""
    if graded is not _UNSET and (grading() or os.environ.get(FAST_ENV, "").strip().lower() == SMOKE):
        return graded
    return fast if fast_mode() else full


def device():
    """The best available torch device: CUDA when present, else the CPU."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
