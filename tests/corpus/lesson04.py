"""Lesson 04: conv_transpose_output_size, conv_transpose2d."""

from tests.corpus import Mistake, edit, solution

L = "04-transposed-convolution"

CORRECT = {
    "conv-transpose-output-size": {
        "the formula (the course's)": solution(L, "conv-transpose-output-size"),
        "where the last patch ends": '''
def conv_transpose_output_size(size, kernel, stride=1, padding=0, output_padding=0, dilation=1):
    if output_padding >= stride:
        raise ValueError(f"output_padding {output_padding} must be smaller than stride {stride}")
    last_start = (size - 1) * stride
    span = dilation * (kernel - 1) + 1
    return last_start + span + output_padding - 2 * padding
''',
        "NumPy integers": '''
def conv_transpose_output_size(size, kernel, stride=1, padding=0, output_padding=0, dilation=1):
    if not output_padding < stride:
        raise ValueError("output padding too large")
    terms = np.array([(size - 1) * stride, -2 * padding, dilation * (kernel - 1), output_padding, 1])
    return terms.sum()
''',
    },
    "conv-transpose2d": {
        "scatter each input value (the course's)": solution(L, "conv-transpose2d"),
        "zero insertion, then an ordinary convolution": '''
def conv_transpose2d(x, weight, stride=1, padding=0, output_padding=0):
    x = torch.as_tensor(np.asarray(x, dtype=np.float64))
    w = torch.as_tensor(np.asarray(weight, dtype=np.float64))
    n, c_in, h, wd = x.shape
    kh, kw = w.shape[2:]
    z = torch.zeros(n, c_in, (h - 1) * stride + 1, (wd - 1) * stride + 1, dtype=x.dtype)
    z[:, :, ::stride, ::stride] = x
    z = F.pad(z, (kw - 1, kw - 1 + output_padding, kh - 1, kh - 1 + output_padding))
    full = F.conv2d(z, w.flip(2, 3).transpose(0, 1))
    return full[:, :, padding:full.shape[2] - padding, padding:full.shape[3] - padding].numpy()
''',
        "a loop over the kernel's taps, float32": '''
def conv_transpose2d(x, weight, stride=1, padding=0, output_padding=0):
    x, weight = np.asarray(x, dtype=np.float32), np.asarray(weight, dtype=np.float32)
    n, _, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    out = np.zeros((n, c_out, (h - 1) * stride + kh + output_padding, (w - 1) * stride + kw + output_padding),
                   dtype=np.float32)
    for a in range(kh):
        for b in range(kw):
            out[:, :, a:a + stride * (h - 1) + 1:stride, b:b + stride * (w - 1) + 1:stride] += \\
                np.einsum("nchw,co->nohw", x, weight[:, :, a, b])
    H, W = out.shape[2:]
    return out[:, :, padding:H - padding, padding:W - padding]
''',
        "PyTorch's own, as a tensor": '''
def conv_transpose2d(x, weight, stride=1, padding=0, output_padding=0):
    return F.conv_transpose2d(torch.as_tensor(np.asarray(x)), torch.as_tensor(np.asarray(weight)), stride=stride,
                              padding=padding, output_padding=output_padding)
''',
    },
}

MISTAKES = {
    "conv-transpose-output-size": [
        Mistake("output padding forgotten", edit(L, "conv-transpose-output-size", " + output_padding + 1", " + 1"),
                "output padding adds rows"),
        Mistake("padding subtracted once", edit(L, "conv-transpose-output-size", "- 2 * padding", "- padding"),
                "*each* side"),
        Mistake("dilation forgotten", edit(L, "conv-transpose-output-size", "dilation * (kernel - 1)", "(kernel - 1)"),
                "dilated kernel"),
        Mistake("the convolution's formula", '''
def conv_transpose_output_size(size, kernel, stride=1, padding=0, output_padding=0, dilation=1):
    if output_padding >= stride:
        raise ValueError("output_padding >= stride")
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
''', "(2 - 1) * 2 + (3 - 1) + 1 = 5"),
        Mistake("no ValueError", edit(L, "conv-transpose-output-size", "    if not 0 <= output_padding < stride:\n        raise "
                                      "ValueError(f\"output_padding must be smaller than stride ({stride}), got "
                                      "{output_padding}\")\n", ""), "smaller than the stride"),
        Mistake("output padding of stride - 1 refused", edit(L, "conv-transpose-output-size", "output_padding < stride",
                                                             "output_padding < stride - 1"), "raised ValueError"),
    ],
    "conv-transpose2d": [
        Mistake("the convolution's weight layout (C_out, C_in)", edit(L, "conv-transpose2d", '"nc,cokl->nokl", x[:, :, i, j], weight',
                                                                     '"nc,ockl->nokl", x[:, :, i, j], weight'),
                "weight[c_in, c_out]"),
        Mistake("input channel 0 only", edit(L, "conv-transpose2d", 'np.einsum("nc,cokl->nokl", x[:, :, i, j], weight)',
                                             'np.einsum("n,okl->nokl", x[:, 0, i, j], weight[0])'), "sum over c_in"),
        Mistake("overlaps overwritten, not summed", edit(L, "conv-transpose2d", "j * stride:j * stride + kw] += patch",
                                                         "j * stride:j * stride + kw] = patch"), "the values add up"),
        Mistake("output padding at the top and left", '''
def conv_transpose2d(x, weight, stride=1, padding=0, output_padding=0):
    x, weight = np.asarray(x), np.asarray(weight)
    n, _, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    op = output_padding
    full = np.zeros((n, c_out, (h - 1) * stride + kh + op, (w - 1) * stride + kw + op))
    for i in range(h):
        for j in range(w):
            patch = np.einsum("nc,cokl->nokl", x[:, :, i, j], weight)
            full[:, :, op + i * stride:op + i * stride + kh, op + j * stride:op + j * stride + kw] += patch
    return full[:, :, padding:full.shape[2] - padding, padding:full.shape[3] - padding]
''', "at the bottom and right"),
        Mistake("full[p:-p] crops everything when p = 0", edit(L, "conv-transpose2d",
                                                               "return full[:, :, padding:full.shape[2] - padding, padding:full.shape[3] - padding]",
                                                               "return full[:, :, padding:-padding, padding:-padding]"),
                "got shape (1, 1, 0, 0)"),
        Mistake("the kernel flipped", edit(L, "conv-transpose2d", '"nc,cokl->nokl", x[:, :, i, j], weight)',
                                           '"nc,cokl->nokl", x[:, :, i, j], weight[:, :, ::-1, ::-1])'), "not flipped"),
        Mistake("the stride ignored when placing patches", '''
def conv_transpose2d(x, weight, stride=1, padding=0, output_padding=0):
    x, weight = np.asarray(x), np.asarray(weight)
    n, _, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    full = np.zeros((n, c_out, (h - 1) * stride + kh + output_padding, (w - 1) * stride + kw + output_padding))
    for i in range(h):
        for j in range(w):
            full[:, :, i:i + kh, j:j + kw] += np.einsum("nc,cokl->nokl", x[:, :, i, j], weight)
    return full[:, :, padding:full.shape[2] - padding, padding:full.shape[3] - padding]
''', "starts 2 columns later"),
        Mistake("padding cropped from one side", edit(L, "conv-transpose2d",
                                                      "return full[:, :, padding:full.shape[2] - padding, padding:full.shape[3] - padding]",
                                                      "return full[:, :, :full.shape[2] - 2 * padding, :full.shape[3] - 2 * padding]"),
                "from every side"),
    ],
}
