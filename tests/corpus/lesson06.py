"""Lesson 06: double_conv, center_crop, UpBlock, UNet.forward."""

from tests.corpus import Mistake, edit, solution

L = "06-unet"


def _forward(body: str) -> str:
    """The U-Net exercise's cell with ``body`` as its forward."""
    source = solution(L, "unet-forward")
    head = source[:source.index("    def forward(self, x):")]
    return head + "    def forward(self, x):\n" + body


CORRECT = {
    "double-conv": {
        "a list of layers (the course's)": solution(L, "double-conv"),
        "named layers in an OrderedDict": '''
from collections import OrderedDict
def double_conv(in_channels, out_channels, padding="same", batch_norm=True):
    pad = {"same": 1, "valid": 0}[padding]
    layers = OrderedDict()
    for i, cin in enumerate([in_channels, out_channels]):
        layers[f"conv{i}"] = nn.Conv2d(cin, out_channels, kernel_size=3, padding=pad, bias=not batch_norm)
        if batch_norm:
            layers[f"norm{i}"] = nn.BatchNorm2d(out_channels)
        layers[f"relu{i}"] = nn.ReLU()
    return nn.Sequential(layers)
''',
        "a module of its own, F.relu in forward": '''
class _Twice(nn.Module):
    def __init__(self, cin, cout, padding, batch_norm):
        super().__init__()
        p = 1 if padding == "same" else 0
        self.first = nn.Conv2d(cin, cout, 3, padding=p, bias=not batch_norm)
        self.second = nn.Conv2d(cout, cout, 3, padding=p, bias=not batch_norm)
        self.norm1 = nn.BatchNorm2d(cout) if batch_norm else nn.Identity()
        self.norm2 = nn.BatchNorm2d(cout) if batch_norm else nn.Identity()

    def forward(self, x):
        return F.relu(self.norm2(self.second(F.relu(self.norm1(self.first(x))))))

def double_conv(in_channels, out_channels, padding="same", batch_norm=True):
    return _Twice(in_channels, out_channels, padding, batch_norm)
''',
        "PyTorch's padding='same' and 'valid'": '''
def double_conv(in_channels, out_channels, padding="same", batch_norm=True):
    def half(cin):
        conv = nn.Conv2d(cin, out_channels, 3, padding=padding, bias=not batch_norm)
        return [conv, nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)] if batch_norm else [conv, nn.ReLU(inplace=True)]
    return nn.Sequential(*half(in_channels), *half(out_channels))
''',
    },
    "center-crop": {
        "slices from (H - h) // 2 (the course's)": solution(L, "center-crop"),
        "narrow": '''
def center_crop(x, size):
    h, w = int(size[0]), int(size[1])
    if h > x.shape[-2] or w > x.shape[-1]:
        raise ValueError(f"a {h}x{w} window does not fit a {x.shape[-2]}x{x.shape[-1]} map")
    return x.narrow(-2, (x.shape[-2] - h) // 2, h).narrow(-1, (x.shape[-1] - w) // 2, w)
''',
        "a tuple of slices": '''
def center_crop(x, size):
    H, W = x.shape[-2], x.shape[-1]
    h, w = size
    if not (h <= H and w <= W):
        raise ValueError("window larger than the map")
    rows = slice((H - h) // 2, (H - h) // 2 + h)
    cols = slice((W - w) // 2, (W - w) // 2 + w)
    return x[(Ellipsis, rows, cols)]
''',
    },
    "up-block": {
        "nn.Upsample in a Sequential (the course's)": solution(L, "up-block"),
        "F.interpolate in forward": '''
class UpBlock(nn.Module):
    def __init__(self, in_channels, out_channels, padding="same", upsampling="transpose", batch_norm=True):
        super().__init__()
        self.bilinear = upsampling == "bilinear"
        if self.bilinear:
            self.up = nn.Conv2d(in_channels, in_channels // 2, 3, padding=1)
        else:
            self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
        self.conv = double_conv(in_channels, out_channels, padding, batch_norm)

    def forward(self, x, skip):
        if self.bilinear:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = self.up(x)
        return self.conv(torch.cat([center_crop(skip, x.shape[-2:]), x], dim=1))
''',
        "other names, the crop written out": '''
class UpBlock(nn.Module):
    def __init__(self, in_channels, out_channels, padding="same", upsampling="transpose", batch_norm=True):
        super().__init__()
        half = in_channels // 2
        self.convs = double_conv(in_channels, out_channels, padding, batch_norm)   # created first
        self.upsample = (nn.ConvTranspose2d(in_channels, half, 2, stride=2) if upsampling == "transpose" else
                         nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear"), nn.Conv2d(in_channels, half, 3, padding=1)))

    def forward(self, x, skip):
        x = self.upsample(x)
        dh, dw = skip.shape[-2] - x.shape[-2], skip.shape[-1] - x.shape[-1]
        skip = skip[..., dh // 2:dh // 2 + x.shape[-2], dw // 2:dw // 2 + x.shape[-1]]
        return self.convs(torch.cat((skip, x), 1))
''',
    },
    "unet-forward": {
        "a list of skips, popped (the course's)": solution(L, "unet-forward"),
        "zip with the reversed skips": _forward('''
        features = []
        x = self.inc(x)
        for down in self.downs:
            features.append(x)
            x = down(x)
        for up, skip in zip(self.ups, reversed(features)):
            x = up(x, skip)
        return self.outc(x)
'''),
        "indices from the end": _forward('''
        outs = [self.inc(x)]
        for down in self.downs:
            outs.append(down(outs[-1]))
        x = outs[-1]
        for i, up in enumerate(self.ups):
            x = up(x, outs[-2 - i])
        return self.outc(x)
'''),
    },
}

MISTAKES = {
    "double-conv": [
        Mistake("a bias before batch norm", edit(L, "double-conv", "bias=not batch_norm", "bias=True"),
                "with batch norm the convolutions have no bias"),
        Mistake("ReLU before batch norm", '''
def double_conv(in_channels, out_channels, padding="same", batch_norm=True):
    pad = 1 if padding == "same" else 0
    layers = []
    for cin in (in_channels, out_channels):
        layers += [nn.Conv2d(cin, out_channels, 3, padding=pad, bias=not batch_norm), nn.ReLU()]
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
    return nn.Sequential(*layers)
''', "ReLU last in each half"),
        Mistake("the paddings swapped", edit(L, "double-conv", 'pad = 1 if padding == "same" else 0',
                                             'pad = 0 if padding == "same" else 1'), "padding=1 keeps the size"),
        Mistake("the second convolution takes in_channels", edit(L, "double-conv", "for cin in (in_channels, out_channels):",
                                                                 "for cin in (in_channels, in_channels):"),
                "a different number of channels"),
        Mistake("one convolution only", edit(L, "double-conv", "for cin in (in_channels, out_channels):", "for cin in (in_channels,):"),
                "expected shape (2, 8, 16, 20)"),
        Mistake("batch norm even without batch_norm", edit(L, "double-conv", "        if batch_norm:\n            "
                                                           "layers.append(nn.BatchNorm2d(out_channels))",
                                                           "        layers.append(nn.BatchNorm2d(out_channels))"),
                "expected 808"),
        Mistake("no ReLU at the end", edit(L, "double-conv", "return nn.Sequential(*layers)", "return nn.Sequential(*layers[:-1])"),
                "ReLU last in each half"),
    ],
    "center-crop": [
        Mistake("offsets rounded up", edit(L, "center-crop", "top, left = (H - h) // 2, (W - w) // 2",
                                           "top, left = (H - h + 1) // 2, (W - w + 1) // 2"), "round down"),
        Mistake("torchvision's rounding", edit(L, "center-crop", "top, left = (H - h) // 2, (W - w) // 2",
                                               "top, left = int(round((H - h) / 2.0)), int(round((W - w) / 2.0))"),
                "round down"),
        Mistake("size read as (columns, rows)", edit(L, "center-crop", "    h, w = size", "    w, h = size"), "(rows, columns)"),
        Mistake("four dimensions assumed", edit(L, "center-crop", "return x[..., top:top + h, left:left + w]",
                                                "return x[:, :, top:top + h, left:left + w]"), "the last two dimensions"),
        Mistake("no ValueError", edit(L, "center-crop", "    if h > H or w > W:\n        raise ValueError(f\"cannot crop a {H}x{W} "
                                      "map to {h}x{w}\")\n", ""), "raise ValueError"),
        Mistake("the top-left corner", edit(L, "center-crop", "top, left = (H - h) // 2, (W - w) // 2", "top, left = 0, 0"),
                "skip (4 - 2) // 2 = 1 row"),
    ],
    "up-block": [
        Mistake("x before the skip", edit(L, "up-block", "torch.cat([skip, x], dim=1)", "torch.cat([x, skip], dim=1)"),
                "skip first"),
        Mistake("the skip not cropped", edit(L, "up-block", "        skip = center_crop(skip, x.shape[-2:])\n", ""),
                "center_crop"),
        Mistake("up-sampling keeps the channels", edit(L, "up-block", "self.up = nn.ConvTranspose2d(in_channels, half, kernel_size=2, stride=2)",
                                                       "self.up = nn.ConvTranspose2d(in_channels, in_channels, kernel_size=2, stride=2)"),
                "a different number of channels"),
        Mistake("bilinear without its convolution", edit(L, "up-block", "nn.Conv2d(in_channels, half, 3, padding=1))", ")"),
                "a different number of channels"),
        Mistake("align_corners=True", edit(L, "up-block", "align_corners=False", "align_corners=True"), "align_corners=False"),
        Mistake("the skip ignored", '''
class UpBlock(nn.Module):
    def __init__(self, in_channels, out_channels, padding="same", upsampling="transpose", batch_norm=True):
        super().__init__()
        half = in_channels // 2
        self.up = nn.ConvTranspose2d(in_channels, half, kernel_size=2, stride=2) if upsampling == "transpose" else \\
            nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), nn.Conv2d(in_channels, half, 3, padding=1))
        self.conv = double_conv(half, out_channels, padding, batch_norm)

    def forward(self, x, skip):
        return self.conv(self.up(x))
''', "then double_conv(16, 8)"),
    ],
    "unet-forward": [
        Mistake("the shallowest skip first", _forward('''
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        x = skips.pop()
        for up, skip in zip(self.ups, skips):
            x = up(x, skip)
        return self.outc(x)
'''), "skip of its own level"),
        Mistake("no 1x1 classifier at the end", edit(L, "unet-forward", "return self.outc(x)", "return x"), "finish with outc"),
        Mistake("skips taken after each down step", _forward('''
        x = self.inc(x)
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
        for up in self.ups:
            x = up(x, skips.pop())
        return self.outc(x)
'''), "skip of its own level"),
        Mistake("softmax at the end", edit(L, "unet-forward", "return self.outc(x)", "return self.outc(x).softmax(1)"),
                "nothing after it"),
        Mistake("the skips replaced by zeros", edit(L, "unet-forward", "x = up(x, skips.pop())",
                                                    "x = up(x, torch.zeros_like(skips.pop()))"), "the skips in reverse order"),
    ],
}
