"""Lesson 03: nearest_upsample, bed_of_nails_upsample, max_pool2d_with_indices, max_unpool2d."""

from tests.corpus import Mistake, edit, solution

L = "03-unpooling"

CORRECT = {
    "nearest-upsample": {
        "np.repeat twice (the course's)": solution(L, "nearest-upsample"),
        "np.kron with a block of ones": '''
def nearest_upsample(x, factor):
    x = np.asarray(x)
    return np.kron(x, np.ones((1, 1, factor, factor), dtype=x.dtype))
''',
        "broadcasting, then a reshape": '''
def nearest_upsample(x, factor):
    x = np.asarray(x)
    n, c, h, w = x.shape
    big = np.broadcast_to(x[:, :, :, None, :, None], (n, c, h, factor, w, factor))
    return big.reshape(n, c, h * factor, w * factor)
''',
        "F.interpolate, returning a float tensor": '''
def nearest_upsample(x, factor):
    return F.interpolate(torch.as_tensor(np.asarray(x), dtype=torch.float64), scale_factor=factor, mode="nearest")
''',
    },
    "bed-of-nails-upsample": {
        "strided assignment (the course's)": solution(L, "bed-of-nails-upsample"),
        "np.kron with a one-hot block": '''
def bed_of_nails_upsample(x, factor):
    nail = np.zeros((factor, factor))
    nail[0, 0] = 1
    return np.kron(np.asarray(x), nail)
''',
        "a loop over input positions": '''
def bed_of_nails_upsample(x, factor):
    x = np.asarray(x, dtype=np.float32)
    n, c, h, w = x.shape
    out = np.zeros((n, c, h * factor, w * factor), dtype=np.float32)
    for i in range(h):
        for j in range(w):
            out[:, :, i * factor, j * factor] = x[:, :, i, j]
    return out
''',
        "a torch tensor": '''
def bed_of_nails_upsample(x, factor):
    x = torch.as_tensor(np.asarray(x))
    out = torch.zeros(*x.shape[:2], x.shape[2] * factor, x.shape[3] * factor, dtype=x.dtype)
    out[..., ::factor, ::factor] = x
    return out
''',
    },
    "max-pool2d-with-indices": {
        "a loop over output positions (the course's)": solution(L, "max-pool2d-with-indices"),
        "sliding windows and argmax": '''
def max_pool2d_with_indices(x, kernel_size, stride=None):
    x = np.asarray(x)
    stride = kernel_size if stride is None else stride
    k = kernel_size
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    flat = windows.reshape(*windows.shape[:4], k * k)
    best = flat.argmax(axis=-1)
    rows = np.arange(windows.shape[2])[:, None] * stride + best // k
    cols = np.arange(windows.shape[3])[None, :] * stride + best % k
    return flat.max(axis=-1), rows * x.shape[3] + cols
''',
        "PyTorch's pooling": '''
def max_pool2d_with_indices(x, kernel_size, stride=None):
    out, indices = F.max_pool2d(torch.as_tensor(np.asarray(x, dtype=float)), kernel_size, stride, return_indices=True)
    return out.numpy(), indices.numpy()
''',
        "unravel_index in float32, plane by plane": '''
def max_pool2d_with_indices(x, kernel_size, stride=None):
    x = np.asarray(x, dtype=np.float32)
    s = stride or kernel_size
    n, c, h, w = x.shape
    oh, ow = (h - kernel_size) // s + 1, (w - kernel_size) // s + 1
    out = np.zeros((n, c, oh, ow), dtype=np.float32)
    idx = np.zeros((n, c, oh, ow), dtype=np.int32)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    window = x[b, ch, i * s:i * s + kernel_size, j * s:j * s + kernel_size]
                    r, q = np.unravel_index(np.argmax(window), window.shape)
                    out[b, ch, i, j] = window[r, q]
                    idx[b, ch, i, j] = (i * s + r) * w + j * s + q
    return out, idx
''',
    },
    "max-unpool2d": {
        "put_along_axis (the course's)": solution(L, "max-unpool2d"),
        "unravel_index, plane by plane": '''
def max_unpool2d(x, indices, kernel_size, stride=None, output_size=None):
    x, indices = np.asarray(x), np.asarray(indices)
    stride = kernel_size if stride is None else stride
    n, c, h, w = x.shape
    if output_size is None:
        output_size = ((h - 1) * stride + kernel_size, (w - 1) * stride + kernel_size)
    out = np.zeros((n, c, *output_size), dtype=x.dtype)
    for b in range(n):
        for ch in range(c):
            rows, cols = np.unravel_index(indices[b, ch].ravel(), output_size)
            out[b, ch, rows, cols] = x[b, ch].ravel()
    return out
''',
        "flat views of each plane": '''
def max_unpool2d(x, indices, kernel_size, stride=None, output_size=None):
    x, indices = np.asarray(x), np.asarray(indices)
    s = stride or kernel_size
    H, W = output_size if output_size is not None else ((x.shape[2] - 1) * s + kernel_size, (x.shape[3] - 1) * s + kernel_size)
    out = np.zeros(x.shape[:2] + (H * W,))
    n, c = np.indices(x.shape[:2])
    out[n[..., None], c[..., None], indices.reshape(*x.shape[:2], -1)] = x.reshape(*x.shape[:2], -1)
    return out.reshape(*x.shape[:2], H, W)
''',
        "torch, values turned into floats first": '''
def max_unpool2d(x, indices, kernel_size, stride=None, output_size=None):
    values = torch.as_tensor(np.asarray(x, dtype=np.float64))
    return F.max_unpool2d(values, torch.as_tensor(np.asarray(indices)), kernel_size, stride, output_size=output_size)
''',
    },
}

MISTAKES = {
    "nearest-upsample": [
        Mistake("np.tile copies the whole map", '''
def nearest_upsample(x, factor):
    return np.tile(np.asarray(x), (1, 1, factor, factor))
''', "np.tile"),
        Mistake("repeated along the channel and row axes", edit(L, "nearest-upsample", "factor, axis=2), factor, axis=3)",
                                                                "factor, axis=1), factor, axis=2)"), "got shape (1, 2, 4, 2)"),
        Mistake("only the rows repeated", "def nearest_upsample(x, factor):\n    return np.repeat(np.asarray(x), factor, axis=2)",
                "got shape (1, 1, 4, 2)"),
        Mistake("broadcast the wrong way round: a tiling", '''
def nearest_upsample(x, factor):
    x = np.asarray(x)
    n, c, h, w = x.shape
    return np.broadcast_to(x[:, :, None, :, None, :], (n, c, factor, h, factor, w)).reshape(n, c, h * factor, w * factor)
''', "np.tile"),
        Mistake("square maps assumed", '''
def nearest_upsample(x, factor):
    x = np.asarray(x)
    n, c, h, _ = x.shape
    out = np.zeros((n, c, h * factor, h * factor), dtype=x.dtype)
    for i in range(h * factor):
        for j in range(h * factor):
            out[:, :, i, j] = x[:, :, i // factor, min(j // factor, x.shape[3] - 1)]
    return out
''', "rows) and 3 (columns)"),
    ],
    "bed-of-nails-upsample": [
        Mistake("the value in the centre of its block", edit(L, "bed-of-nails-upsample", "out[:, :, ::factor, ::factor] = x",
                                                             "out[:, :, factor // 2::factor, factor // 2::factor] = x"),
                "top-left of each block"),
        Mistake("the value at the bottom right", edit(L, "bed-of-nails-upsample", "out[:, :, ::factor, ::factor] = x",
                                                      "out[:, :, factor - 1::factor, factor - 1::factor] = x"),
                "top-left of each block"),
        Mistake("no zeros after the last value", edit(L, "bed-of-nails-upsample", "(n, c, h * factor, w * factor)",
                                                      "(n, c, (h - 1) * factor + 1, (w - 1) * factor + 1)"),
                "got shape (1, 1, 3, 3)"),
        Mistake("square maps assumed", edit(L, "bed-of-nails-upsample", "(n, c, h * factor, w * factor)",
                                            "(n, c, h * factor, h * factor)"), "factor * W columns"),
        Mistake("copies instead of zeros", "def bed_of_nails_upsample(x, factor):\n    return np.repeat(np.repeat(np.asarray(x), "
                                           "factor, axis=2), factor, axis=3)", "zeros elsewhere"),
    ],
    "max-pool2d-with-indices": [
        Mistake("the position inside the window", edit(L, "max-pool2d-with-indices",
                                                       "(r0 + best // kernel_size) * w + (c0 + best % kernel_size)", "best"),
                "flat index row * W + col"),
        Mistake("the height where the width belongs", edit(L, "max-pool2d-with-indices",
                                                           "(r0 + best // kernel_size) * w + (c0 + best % kernel_size)",
                                                           "(r0 + best // kernel_size) * h + (c0 + best % kernel_size)"),
                "not its height"),
        Mistake("stride=None not handled", edit(L, "max-pool2d-with-indices", "    stride = stride or kernel_size\n", ""),
                "stride=None means stride = kernel_size"),
        Mistake("the last of tied maxima", edit(L, "max-pool2d-with-indices", "best = window.argmax(axis=-1)",
                                                "best = window.shape[-1] - 1 - window[..., ::-1].argmax(axis=-1)"),
                "take the first"),
        Mistake("indices into the whole array", '''
def max_pool2d_with_indices(x, kernel_size, stride=None):
    x = np.asarray(x)
    out, idx = [], []
    s = stride or kernel_size
    n, c, h, w = x.shape
    oh, ow = (h - kernel_size) // s + 1, (w - kernel_size) // s + 1
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    idx = np.empty((n, c, oh, ow), dtype=np.int64)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    window = x[b, ch, i * s:i * s + kernel_size, j * s:j * s + kernel_size]
                    r, q = divmod(int(window.argmax()), kernel_size)
                    out[b, ch, i, j] = window[r, q]
                    idx[b, ch, i, j] = ((b * c + ch) * h + i * s + r) * w + j * s + q
    return out, idx
''', "within each H x W plane"),
        Mistake("float indices", edit(L, "max-pool2d-with-indices", "indices = np.empty((n, c, oh, ow), dtype=np.int64)",
                                      "indices = np.empty((n, c, oh, ow))"), "expected integers"),
        Mistake("partial windows at the edge kept (ceil)", edit(L, "max-pool2d-with-indices",
                                                               "oh, ow = (h - kernel_size) // stride + 1, (w - kernel_size) // stride + 1",
                                                               "oh, ow = -(-(h - kernel_size) // stride) + 1, -(-(w - kernel_size) // stride) + 1"),
                "(6 - 3) // 2 + 1 = 2 rows"),
    ],
    "max-unpool2d": [
        Mistake("a default size of H * stride", edit(L, "max-unpool2d",
                                                     "output_size or ((h - 1) * stride + kernel_size, (w - 1) * stride + kernel_size)",
                                                     "output_size or (h * stride, w * stride)"), "not H * stride"),
        Mistake("output_size ignored", edit(L, "max-unpool2d",
                                            "output_size or ((h - 1) * stride + kernel_size, (w - 1) * stride + kernel_size)",
                                            "((h - 1) * stride + kernel_size, (w - 1) * stride + kernel_size)"),
                "output_size is (rows, columns)"),
        Mistake("output_size read as (columns, rows)", edit(L, "max-unpool2d", "out_h, out_w = output_size or",
                                                            "out_w, out_h = output_size or"),
                "output_size is (rows, columns)"),
        Mistake("the flat index divided by the height", '''
def max_unpool2d(x, indices, kernel_size, stride=None, output_size=None):
    x, indices = np.asarray(x), np.asarray(indices)
    s = stride or kernel_size
    n, c, h, w = x.shape
    H, W = output_size or ((h - 1) * s + kernel_size, (w - 1) * s + kernel_size)
    out = np.zeros((n, c, H, W), dtype=x.dtype)
    for b in range(n):
        for ch in range(c):
            for i in range(h):
                for j in range(w):
                    flat = indices[b, ch, i, j]
                    out[b, ch, flat // H, flat % H] = x[b, ch, i, j]
    return out
''', "a flat index i is row i // W_out"),
        Mistake("one flat index over all images and channels", '''
def max_unpool2d(x, indices, kernel_size, stride=None, output_size=None):
    x, indices = np.asarray(x), np.asarray(indices)
    s = stride or kernel_size
    n, c, h, w = x.shape
    H, W = output_size or ((h - 1) * s + kernel_size, (w - 1) * s + kernel_size)
    out = np.zeros(n * c * H * W, dtype=x.dtype)
    out[indices.ravel()] = x.ravel()
    return out.reshape(n, c, H, W)
''', "without output_size the size is"),
        Mistake("stride=None not handled", edit(L, "max-unpool2d", "    stride = stride or kernel_size\n", ""),
                "stride=None means stride = kernel_size"),
        Mistake("torch's unpooling, on integer values", '''
def max_unpool2d(x, indices, kernel_size, stride=None, output_size=None):
    return F.max_unpool2d(torch.as_tensor(np.asarray(x)), torch.as_tensor(np.asarray(indices)), kernel_size, stride,
                          output_size=output_size)
''', "integer tensors"),
    ],
}
