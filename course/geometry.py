"""Output sizes along one axis: convolution and pooling (a sliding window) and transposed
convolution, with PyTorch's formulas, in one place.

``sliding_length`` and ``transposed_length`` compute the bare formulas (their value may be 0 or
negative when nothing fits); ``conv_output_size`` and ``conv_transpose_output_size`` check their
arguments and say what does not fit.
"""

from __future__ import annotations

from .arguments import check_int


def sliding_length(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                   ceil_mode: bool = False) -> int:
    """Positions of a window sliding over ``size`` inputs, as ``conv2d`` and ``max_pool2d`` count them:
    ``floor((size + 2p - d(k - 1) - 1) / s) + 1``. With ``ceil_mode`` the division rounds up, but
    the last window must start inside the input or its left padding (PyTorch's rule)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    return out - 1 if (out - 1) * stride >= size + padding else out


def transposed_length(size: int, kernel: int, stride: int = 1, padding: int = 0, output_padding: int = 0,
                      dilation: int = 1) -> int:
    """``(size - 1) * s - 2p + d(k - 1) + output_padding + 1``, the length ``conv_transpose2d`` gives."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """Outputs along one axis: ``floor((size + 2p - d(k - 1) - 1) / s) + 1``, as conv2d computes.

    Raises ValueError when the (dilated) kernel is wider than the padded input.
    """
    size, kernel, stride = check_int("size", size, 1), check_int("kernel", kernel, 1), check_int("stride", stride, 1)
    padding, dilation = check_int("padding", padding, 0), check_int("dilation", dilation, 1)
    span = dilation * (kernel - 1) + 1
    if span > size + 2 * padding:
        raise ValueError(
            f"kernel {kernel} (dilation {dilation}, spanning {span} inputs) does not fit an input of "
            f"size {size} with padding {padding}: expected dilation * (kernel - 1) + 1 <= "
            f"size + 2 * padding, got {span} > {size + 2 * padding}")
    return sliding_length(size, kernel, stride, padding, dilation)


def conv_transpose_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                               output_padding: int = 0, dilation: int = 1) -> int:
    """Output length of a transposed convolution along one axis.

    ``(size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1``,
    the formula of ``torch.nn.ConvTranspose2d``. ``output_padding`` must be smaller than
    ``stride``: it only picks among the sizes a stride-``s`` convolution maps to the same size
    (PyTorch also accepts it below ``dilation``; this course keeps to the stride).
    """
    for name, value, minimum in (("size", size, 1), ("kernel", kernel, 1), ("stride", stride, 1),
                                 ("padding", padding, 0), ("output_padding", output_padding, 0),
                                 ("dilation", dilation, 1)):
        check_int(name, value, minimum)
    if output_padding >= stride:
        raise ValueError(f"output_padding must be smaller than stride: expected output_padding "
                         f"< {stride}, got output_padding={output_padding}")
    out = transposed_length(size, kernel, stride, padding, output_padding, dilation)
    if out < 1:
        raise ValueError(f"the output would be empty: (size - 1) * stride - 2 * padding + dilation * "
                         f"(kernel - 1) + output_padding + 1 = ({size} - 1) * {stride} - 2 * {padding} + "
                         f"{dilation} * ({kernel} - 1) + {output_padding} + 1 = {out}, expected at least 1 "
                         f"(use less padding)")
    return out
