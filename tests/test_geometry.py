"""course.geometry against PyTorch: the lengths conv2d, max_pool2d (floor and ceil mode) and
conv_transpose2d really produce, over many random geometries."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course.geometry import conv_output_size, conv_transpose_output_size, sliding_length, transposed_length


def test_sliding_length_is_what_conv2d_and_max_pool2d_produce():
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(400):
        size, kernel, stride, dilation = (int(v) for v in rng.integers([1, 1, 1, 1], [20, 6, 5, 4]))
        padding = int(rng.integers(0, kernel // 2 + 1))   # max_pool2d's limit: at most half the kernel
        ceil_mode = bool(rng.integers(2))
        x = torch.zeros(1, 1, size, 1)
        try:
            pooled = F.max_pool2d(x, (kernel, 1), (stride, 1), (padding, 0), (dilation, 1), ceil_mode=ceil_mode)
        except RuntimeError:  # nothing fits: the formula must say so
            assert sliding_length(size, kernel, stride, padding, dilation, ceil_mode) <= 0
            continue
        assert sliding_length(size, kernel, stride, padding, dilation, ceil_mode) == pooled.shape[2], \
            (size, kernel, stride, padding, dilation, ceil_mode)
        if not ceil_mode:
            conv = F.conv2d(x, torch.zeros(1, 1, kernel, 1), stride=(stride, 1), padding=(padding, 0),
                            dilation=(dilation, 1))
            assert conv_output_size(size, kernel, stride, padding, dilation) == conv.shape[2]
        checked += 1
    assert checked > 200


def test_transposed_length_is_what_conv_transpose2d_produces():
    rng = np.random.default_rng(1)
    for _ in range(300):
        size, kernel, stride, dilation, padding = (int(v) for v in rng.integers([1, 1, 1, 1, 0], [9, 6, 4, 3, 4]))
        output_padding = int(rng.integers(0, stride))
        expected = transposed_length(size, kernel, stride, padding, output_padding, dilation)
        try:
            out = F.conv_transpose2d(torch.zeros(1, 1, size, 1), torch.zeros(1, 1, kernel, 1), stride=(stride, 1),
                                     padding=(padding, 0), output_padding=(output_padding, 0), dilation=(dilation, 1))
        except RuntimeError:
            assert expected < 1
            with pytest.raises(ValueError, match="the output would be empty"):
                conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation)
            continue
        assert expected == out.shape[2] == conv_transpose_output_size(size, kernel, stride, padding, output_padding,
                                                                      dilation)


def test_a_kernel_wider_than_the_padded_input_is_an_error_that_shows_the_numbers():
    with pytest.raises(ValueError, match=r"expected dilation \* \(kernel - 1\) \+ 1 <= size \+ 2 \* padding, "
                                         r"got 5 > 4"):
        conv_output_size(2, 3, dilation=2, padding=1)
    assert sliding_length(2, 3, dilation=2, padding=1) == 0
