"""Lesson 02: conv_output_size, pool2d, receptive_field_size."""

from tests.corpus import Mistake, edit, solution

L = "02-downsampling"

CORRECT = {
    "conv-output-size": {
        "effective kernel first (the course's)": solution(L, "conv-output-size"),
        "the formula, then a check of the result": '''
def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    out = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    if out < 1:
        raise ValueError(f"a kernel spanning {dilation * (kernel - 1) + 1} does not fit in {size + 2 * padding}")
    return out
''',
        "math.floor of a true division": '''
import math
def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    span, room = dilation * (kernel - 1) + 1, size + 2 * padding
    if span > room:
        raise ValueError("kernel of effective size %d larger than padded input %d" % (span, room))
    return int(math.floor((room - span) / stride)) + 1
''',
        "counting the window positions": '''
def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    span = dilation * (kernel - 1) + 1
    if span > size + 2 * padding:
        raise ValueError(f"effective kernel {span} > padded input {size + 2 * padding}")
    return len(range(0, size + 2 * padding - span + 1, stride))
''',
    },
    "pool2d": {
        "sliding windows (the course's)": solution(L, "pool2d"),
        "a double loop with conv_output_size": '''
def pool2d(x, kernel_size, stride, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError(f"unknown mode {mode!r}: use 'max' or 'avg'")
    x = np.asarray(x)
    n, c, h, w = x.shape
    oh, ow = conv_output_size(h, kernel_size, stride), conv_output_size(w, kernel_size, stride)
    out = np.empty((n, c, oh, ow), dtype=np.float64)
    reduce = np.max if mode == "max" else np.mean
    for i in range(oh):
        for j in range(ow):
            window = x[:, :, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]
            out[:, :, i, j] = reduce(window, axis=(2, 3))
    return out
''',
        "PyTorch's pooling, returning a tensor": '''
def pool2d(x, kernel_size, stride, mode="max"):
    ops = {"max": F.max_pool2d, "avg": F.avg_pool2d}
    if mode not in ops:
        raise ValueError(f"mode must be one of {sorted(ops)}, got {mode!r}")
    return ops[mode](torch.as_tensor(np.array(x)), kernel_size, stride)
''',
        "float32 output, a loop over window offsets": '''
def pool2d(x, kernel_size, stride, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError("mode should be 'max' or 'avg'")
    x = np.asarray(x, dtype=np.float32)
    h = (x.shape[2] - kernel_size) // stride + 1
    w = (x.shape[3] - kernel_size) // stride + 1
    taps = [x[:, :, di:di + stride * (h - 1) + 1:stride, dj:dj + stride * (w - 1) + 1:stride]
            for di in range(kernel_size) for dj in range(kernel_size)]
    return np.max(taps, axis=0) if mode == "max" else np.mean(taps, axis=0)
''',
    },
    "receptive-field-size": {
        "the forward recursion (the course's)": solution(L, "receptive-field-size"),
        "the backward recursion, from the output": '''
def receptive_field_size(layers):
    size = 1
    for kernel, stride in reversed(list(layers)):
        size = (size - 1) * stride + kernel
    return size
''',
        "the closed form with math.prod": '''
import math
def receptive_field_size(layers):
    layers = list(layers)
    return 1 + sum((k - 1) * math.prod(s for _, s in layers[:i]) for i, (k, _) in enumerate(layers))
''',
        "np.cumprod, a NumPy integer back": '''
def receptive_field_size(layers):
    layers = np.asarray(list(layers), dtype=np.int64).reshape(-1, 2)
    jumps = np.cumprod(np.concatenate([[1], layers[:-1, 1]]))
    return 1 + np.sum((layers[:, 0] - 1) * jumps[:len(layers)])
''',
    },
}

MISTAKES = {
    "conv-output-size": [
        Mistake("math.ceil instead of floor", '''
import math
def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    span = dilation * (kernel - 1) + 1
    if span > size + 2 * padding:
        raise ValueError("does not fit")
    return math.ceil((size + 2 * padding - span) / stride) + 1
''', "is dropped"),
        Mistake("a float from a true division", edit(L, "conv-output-size", "(padded - effective) // stride + 1",
                                                     "(padded - effective) / stride + 1"), "expected an integer"),
        Mistake("padding on one side only", edit(L, "conv-output-size", "padded = size + 2 * padding",
                                                 "padded = size + padding"), "on *each* side"),
        Mistake("dilation forgotten", edit(L, "conv-output-size", "effective = dilation * (kernel - 1) + 1",
                                           "effective = kernel"), "dilated kernel"),
        Mistake("+ 1 before dividing", edit(L, "conv-output-size", "(padded - effective) // stride + 1",
                                            "(padded - effective + 1) // stride"), "by s first"),
        Mistake("no ValueError when the kernel does not fit",
                edit(L, "conv-output-size", "    if effective > padded:\n        raise ValueError(f\"the effective kernel "
                     "size {effective} is larger than the padded input {padded}\")\n", ""), "raise ValueError"),
        Mistake("the fit ignores the padding", edit(L, "conv-output-size", "if effective > padded:",
                                                    "if effective > size:"), "*padded* input"),
    ],
    "pool2d": [
        Mistake("ceil mode: partial windows kept", '''
def pool2d(x, kernel_size, stride, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError(mode)
    x = np.asarray(x, dtype=float)
    n, c, h, w = x.shape
    oh, ow = -(-(h - kernel_size) // stride) + 1, -(-(w - kernel_size) // stride) + 1
    out = np.empty((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = x[:, :, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]
            out[:, :, i, j] = window.max(axis=(2, 3)) if mode == "max" else window.mean(axis=(2, 3))
    return out
''', "floor, not ceil"),
        Mistake("the stride ignored", edit(L, "pool2d", "windows[:, :, ::stride, ::stride]",
                                           "windows[:, :, ::kernel_size, ::kernel_size]"), "overlap"),
        Mistake("avg sums instead of averaging", edit(L, "pool2d", "windows.mean(axis=(-2, -1))", "windows.sum(axis=(-2, -1))"),
                "the mean of each 2x2 block"),
        Mistake("windows over the channel and row axes", edit(L, "pool2d", "axis=(2, 3)", "axis=(1, 2)"),
                "keeping the (N, C) axes"),
        Mistake("any other mode is average", '''
def pool2d(x, kernel_size, stride, mode="max"):
    windows = np.lib.stride_tricks.sliding_window_view(np.asarray(x), (kernel_size, kernel_size), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]
    return windows.max(axis=(-2, -1)) if mode == "max" else windows.mean(axis=(-2, -1))
''', "raise ValueError"),
        Mistake("average by dividing x in place", '''
def pool2d(x, kernel_size, stride, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError(mode)
    x = np.asarray(x)
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel_size, kernel_size), axis=(2, 3))[:, :, ::stride, ::stride]
    if mode == "max":
        return windows.max(axis=(-2, -1))
    x /= kernel_size * kernel_size
    return windows.sum(axis=(-2, -1))
''', "must not change its input"),
        Mistake("rows and columns swapped in the output", edit(L, "pool2d", "return windows.max(axis=(-2, -1)) if mode == \"max\" "
                                                                "else windows.mean(axis=(-2, -1))",
                                                                "out = windows.max(axis=(-2, -1)) if mode == \"max\" else "
                                                                "windows.mean(axis=(-2, -1))\n    return out.transpose(0, 1, 3, 2)"),
                "rows and columns swapped"),
    ],
    "receptive-field-size": [
        Mistake("strides ignored", '''
def receptive_field_size(layers):
    size = 1
    for kernel, stride in layers:
        size += kernel - 1
    return size
''', "the jump is now 2"),
        Mistake("the jump updated before it is used", edit(L, "receptive-field-size",
                                                           "        size += (kernel - 1) * jump\n        jump *= stride",
                                                           "        jump *= stride\n        size += (kernel - 1) * jump"),
                "because the jump is now 2"),
        Mistake("kernels added whole", edit(L, "receptive-field-size", "size += (kernel - 1) * jump", "size += kernel * jump"),
                "sees 3 pixels"),
        Mistake("a float", edit(L, "receptive-field-size", "size, jump = 1, 1", "size, jump = 1.0, 1.0"),
                "expected an integer"),
        Mistake("starting from 0", edit(L, "receptive-field-size", "size, jump = 1, 1", "size, jump = 0, 1"),
                "sees 3 pixels"),
        Mistake("the layers taken from the output", edit(L, "receptive-field-size", "for kernel, stride in layers:",
                                                         "for kernel, stride in reversed(layers):"),
                "own stride only matters"),
    ],
}
