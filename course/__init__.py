"""A hands-on course on convolutional networks for semantic segmentation.

Lessons import what they need from the submodules (``course.metrics``, ``course.viz``,
``course.samples`` ...); the setup cell of every lesson calls :func:`setup`.
"""

from .config import device, fast_mode, scaled
from .environment import setup

__all__ = ["device", "fast_mode", "scaled", "setup"]
__version__ = "0.1.0"
