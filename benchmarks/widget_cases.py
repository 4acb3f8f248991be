"""The interactions that ``benchmarks/widgets.py`` times: for each widget module of
``course.widgets``, a function returning (name, explorer, interactions) cases, where an
interaction maps control names to the values a student would set, one at a time."""

from __future__ import annotations

import numpy as np

from course.widgets.core import Explorer
from course.widgets.pooling import pool, pooling_explorer, street_image
from course.widgets.receptive_field import receptive_field_explorer
from course.widgets.shape_tracer import shape_tracer
from course.widgets.strided_conv import strided_conv_explorer
from course.widgets.transposed_conv import transposed_conv_stepper
from course.widgets.unpooling import (bed_of_nails_unpool, format_grid, max_pool_with_positions, max_unpool,
                                      nearest_unpool, unpooling_explorer)

Cases = list[tuple[str, Explorer, list[dict]]]


def pooling_cases() -> Cases:
    """A student picking cells, changing mode, kernel and stride, and pooling the street image;
    once more with a student's pool2d that is wrong where windows overlap."""
    street_image()  # generate the image once, outside the timed interactions

    def student(x, kernel_size, stride, mode):
        out = np.stack([np.stack([pool(c, kernel_size, stride, mode) for c in n]) for n in x])
        return out + (stride < kernel_size)

    steps = [{"col": 1}, {"row": 1}, {"mode": "avg"}, {"kernel_size": 3}, {"stride": 1}, {"col": 1},
             {"input": "random 6x6"}, {"kernel_size": 2}, {"row": 3}, {"input": "street image"},
             {"stride": 2}, {"mode": "max"}, {"row": 20}, {"kernel_size": 5}, {"input": "lecture 4x4"}]
    return [("pooling_explorer", pooling_explorer(), steps),
            ("pooling_explorer (student)", pooling_explorer(student_pool=student), steps)]


def strided_conv_cases() -> Cases:
    """A student exploring strides, padding and dilation, and stepping through positions."""
    steps = [{"position": 1}, {"position": 2}, {"stride": 1}, {"padding": 1}, {"position": 7},
             {"kernel": 5}, {"dilation": 2}, {"size": 9}, {"stride": 3}, {"size": 5}]
    return [("strided_conv_explorer", strided_conv_explorer(), steps)]


def receptive_field_cases() -> Cases:
    """Student-like interactions with the explorer, for the redraw benchmark."""
    return [("receptive_field_explorer", receptive_field_explorer(), [
        {"row": 3}, {"col": 12}, {"row": 15}, {"num_layers": 8}, {"kernel": 5}, {"col": 0},
        {"downsampling": "stride-2 conv"}, {"every": 1}, {"num_layers": 5}, {"every": 3},
        {"dilation": 2}, {"downsampling": "none"}, {"kernel": 7}, {"row": 40}, {"dilation": 4},
        {"col": 63}, {"num_layers": 2},
    ])]


def unpooling_cases() -> Cases:
    """Student-like interactions with the explorer, alone and with student functions to compare."""
    def plane(fn):  # a compute function of this module, as a student's function on (1, 1, H, W)
        return lambda x, *args, **kwargs: fn(np.asarray(x)[0, 0], *args, **kwargs)[None, None]

    reference = {
        "max_pool2d_with_indices": lambda x, k, stride=None: tuple(
            a[None, None] for a in max_pool_with_positions(np.asarray(x)[0, 0], k, stride)),
        "max_unpool2d": lambda x, i, k, stride=None, output_size=None: max_unpool(
            np.asarray(x)[0, 0], np.asarray(i)[0, 0], output_size)[None, None],
        "nearest_upsample": plane(nearest_unpool),
        "bed_of_nails_upsample": plane(bed_of_nails_unpool),
    }
    steps = [{"method": "nearest neighbour"}, {"factor": 3}, {"method": "bed of nails"}, {"factor": 2},
             {"method": "max unpooling"}, {"kernel": 3}, {"stride": 1},
             {"x_text": format_grid(np.arange(36).reshape(6, 6) % 7)},
             {"values_text": format_grid(np.arange(16).reshape(4, 4))}, {"kernel": 2}, {"stride": 2},
             {"values_text": "1 2 3\n4 5 6\n7 8 9"}, {"values_text": "1 2\n3 x"}]
    return [("unpooling_explorer", unpooling_explorer(), steps),
            ("unpooling_explorer (student functions)", unpooling_explorer(reference), steps)]


def transposed_conv_cases() -> Cases:
    """A student stepping through the scatter and changing parameters, without and with a student function."""
    import torch.nn.functional as F

    steps = [{"step": 1}, {"step": 2}, {"step": 3}, {"step": 4}, {"stride": 1}, {"kernel": 4},
             {"input_size": 4}, {"step": 16}, {"stride": 3}, {"padding": 1}, {"output_padding": 2},
             {"output_padding": 1}, {"kernel": 2, "step": 9}]
    return [("transposed_conv_stepper", transposed_conv_stepper(), steps),
            ("transposed_conv_stepper (student)", transposed_conv_stepper(student_fn=F.conv_transpose2d),
             steps[:8])]


def shape_tracer_cases() -> Cases:
    """A student comparing the encoder-decoder with the paper's U-Net and breaking both."""
    steps = [{"input_size": 100}, {"input_size": 96}, {"depth": 4}, {"up": "unpool"}, {"down": "strided"},
             {"up": "bilinear"}, {"arch": "unet"}, {"padding": "valid"}, {"input_size": 572}, {"base_channels": 64},
             {"layer": 10}, {"input_size": 571}, {"up": "transpose"}, {"depth": 5}, {"padding": "same"},
             {"input_size": 100}, {"layer": 20}, {"depth": 2}]
    return [("shape_tracer", shape_tracer(), steps)]


CASES = {"pooling": pooling_cases, "strided_conv": strided_conv_cases, "receptive_field": receptive_field_cases,
         "unpooling": unpooling_cases, "transposed_conv": transposed_conv_cases,
         "shape_tracer": shape_tracer_cases}  # module of course.widgets -> its cases
