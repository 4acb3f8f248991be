"""``course.setup()``: what the setup cell of every lesson runs after installing the package."""

from __future__ import annotations

import os

from . import colab, config, exercises, viz

FIGURES_ENV = "COURSE_FIGURES"  # "off": figures are drawn but never rendered (course grade's kernels)

_ENABLE_GPU = ("No GPU in this Colab runtime. For the training lessons choose "
               "Runtime > Change runtime type > T4 GPU, then run the notebook again.")


def setup() -> None:
    """Set up inline figures and the course's plotting style, let Run All pass exercises not yet
    written (:func:`course.exercises.guard_visible_tests`), and report where the notebook runs.

    Prints the Python place (Colab or local), the torch version, the device and whether
    fast mode is on, and on Colab without a GPU says how to get one.
    """
    import torch

    _inline_figures()
    _explain_errors()
    exercises.guard_visible_tests()
    viz.use_style()
    place = "Google Colab" if colab.in_colab() else "your own machine"
    dev = config.device()
    name = torch.cuda.get_device_name(0) if dev.type == "cuda" else "CPU"
    fast = "on (heavy cells run a smaller version)" if config.fast_mode() else "off"
    print(f"Running on {place}: torch {torch.__version__}, device {name}, fast mode {fast}.")
    if colab.in_colab() and dev.type != "cuda":
        print(_ENABLE_GPU)


def _inline_figures() -> None:
    """In a notebook, show figures inline, including a Figure left as a cell's last value; with
    ``COURSE_FIGURES=off`` (``course grade``, whose feedback shows no figures) render none at all."""
    from IPython import get_ipython

    shell = get_ipython()
    if os.environ.get(FIGURES_ENV) == "off":
        import warnings

        import matplotlib

        matplotlib.use("Agg")
        warnings.filterwarnings("ignore", message=".*non-interactive.*cannot be shown")
    elif shell is not None:
        shell.run_line_magic("matplotlib", "inline")


def _explain_errors() -> None:
    """In a notebook, follow the traceback of a usual PyTorch or NumPy error with what it usually
    means, in the course's words (``course.compare.ERROR_HINTS``); other errors show as always."""
    from IPython import get_ipython

    from .compare import error_hint

    shell = get_ipython()
    if shell is None:
        return

    def explain(self, etype, value, tb, tb_offset=None):
        self.showtraceback(running_compiled_code=True)
        hint = "" if issubclass(etype, AssertionError) else error_hint(str(value))
        if hint:
            print(f"What this error usually means here: {hint}")

    shell.set_custom_exc((Exception,), explain)
