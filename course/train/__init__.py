"""Training and prediction for the lessons (and, later, the ``course train`` command).

:func:`fit` trains a segmentation network on in-memory tensors for a number of steps;
:func:`predict` turns its class scores into label maps. Data lives on the device for the
whole run, so no DataLoader stands between the network and the GPU.
"""

from .loop import History, fit, predict, to_tensors

__all__ = ["fit", "predict", "History", "to_tensors"]
