"""Lesson 05: SimpleFCN, SegNetLite."""

from tests.corpus import Mistake, edit, solution

L = "05-encoder-decoder"

CORRECT = {
    "simple-fcn": {
        "one nn.Sequential (the course's)": solution(L, "simple-fcn"),
        "attributes created in another order, F.relu and F.max_pool2d": '''
class SimpleFCN(nn.Module):
    def __init__(self, in_channels, num_classes, width=16):
        super().__init__()
        w = width
        self.classifier = nn.Conv2d(w, num_classes, 1)   # created first: the order of creation does not matter
        self.up2 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
        self.up1 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
        self.conv3 = nn.Conv2d(2 * w, 4 * w, 3, padding=1)
        self.conv2 = nn.Conv2d(w, 2 * w, 3, padding=1)
        self.conv1 = nn.Conv2d(in_channels, w, 3, padding=1)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.conv3(x))
        x = F.relu(self.up1(x))
        x = F.relu(self.up2(x))
        return self.classifier(x)
''',
        "a ModuleList of stages, in-place ReLUs": '''
class SimpleFCN(nn.Module):
    def __init__(self, in_channels, num_classes, width=16):
        super().__init__()
        w = width
        self.down = nn.ModuleList([nn.Conv2d(in_channels, w, 3, padding=1), nn.Conv2d(w, 2 * w, 3, padding=1)])
        self.middle = nn.Conv2d(2 * w, 4 * w, 3, padding=1)
        self.up = nn.ModuleList([nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2), nn.ConvTranspose2d(2 * w, w, 2, stride=2)])
        self.head = nn.Conv2d(w, num_classes, kernel_size=1)
        self.relu, self.pool = nn.ReLU(inplace=True), nn.MaxPool2d(2)

    def forward(self, x):
        for conv in self.down:
            x = self.pool(self.relu(conv(x)))
        x = self.relu(self.middle(x))
        for up in self.up:
            x = self.relu(up(x))
        return self.head(x)
''',
    },
    "segnet-lite": {
        "pooling and unpooling modules (the course's)": solution(L, "segnet-lite"),
        "functional pooling, convolutions in a dict": '''
class SegNetLite(nn.Module):
    def __init__(self, in_channels, num_classes, width=16):
        super().__init__()
        w = width
        self.convs = nn.ModuleDict({
            "classify": nn.Conv2d(w, num_classes, 1), "refine": nn.Conv2d(w, w, 3, padding=1),
            "dec1": nn.Conv2d(2 * w, w, 3, padding=1), "dec2": nn.Conv2d(4 * w, 2 * w, 3, padding=1),
            "mid": nn.Conv2d(2 * w, 4 * w, 3, padding=1), "enc2": nn.Conv2d(w, 2 * w, 3, padding=1),
            "enc1": nn.Conv2d(in_channels, w, 3, padding=1)})

    def forward(self, x):
        c = self.convs
        x, i1 = F.max_pool2d(F.relu(c["enc1"](x)), 2, return_indices=True)
        x, i2 = F.max_pool2d(F.relu(c["enc2"](x)), 2, return_indices=True)
        x = F.relu(c["mid"](x))
        x = F.max_unpool2d(F.relu(c["dec2"](x)), i2, 2)
        x = F.max_unpool2d(F.relu(c["dec1"](x)), i1, 2)
        return c["classify"](F.relu(c["refine"](x)))
''',
        "blocks of conv and ReLU, indices on a stack": '''
class SegNetLite(nn.Module):
    def __init__(self, in_channels, num_classes, width=16):
        super().__init__()
        w = width
        block = lambda a, b: nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.ReLU())
        self.encoder = nn.ModuleList([block(in_channels, w), block(w, 2 * w)])
        self.bottom = block(2 * w, 4 * w)
        self.decoder = nn.ModuleList([block(4 * w, 2 * w), block(2 * w, w)])
        self.out = nn.Sequential(block(w, w), nn.Conv2d(w, num_classes, 1))
        self.pool, self.unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)

    def forward(self, x):
        remembered = []
        for enc in self.encoder:
            x, where = self.pool(enc(x))
            remembered.append(where)
        x = self.bottom(x)
        for dec in self.decoder:
            x = self.unpool(dec(x), remembered.pop())
        return self.out(x)
''',
    },
}

MISTAKES = {
    "simple-fcn": [
        Mistake("no ReLUs", '''
class SimpleFCN(nn.Module):
    def __init__(self, in_channels, num_classes, width=16):
        super().__init__()
        w = width
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(w, 2 * w, 3, padding=1), nn.MaxPool2d(2),
            nn.Conv2d(2 * w, 4 * w, 3, padding=1), nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2),
            nn.ConvTranspose2d(2 * w, w, 2, stride=2), nn.Conv2d(w, num_classes, 1))

    def forward(self, x):
        return self.layers(x)
''', "conv, ReLU, pool"),
        Mistake("a ReLU after the classifier", edit(L, "simple-fcn", "nn.Conv2d(w, num_classes, 1),",
                                                    "nn.Conv2d(w, num_classes, 1), nn.ReLU(),"), "nothing after it"),
        Mistake("softmax at the end", edit(L, "simple-fcn", "return self.layers(x)", "return self.layers(x).softmax(dim=1)"),
                "nothing after it"),
        Mistake("3x3 transposed convolutions", edit(L, "simple-fcn", "nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)",
                                                    "nn.ConvTranspose2d(4 * w, 2 * w, 3, stride=2, padding=1, output_padding=1)"),
                "2x2 transposed convs"),
        Mistake("no bias", '''
class SimpleFCN(nn.Module):
    def __init__(self, in_channels, num_classes, width=16):
        super().__init__()
        w = width
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1, bias=False), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 3, padding=1, bias=False), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * w, 4 * w, 3, padding=1, bias=False), nn.ReLU(),
            nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2, bias=False), nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 2, stride=2, bias=False), nn.ReLU(), nn.Conv2d(w, num_classes, 1, bias=False))

    def forward(self, x):
        return self.layers(x)
''', "a bias in every layer"),
        Mistake("bilinear up-sampling instead of transposed convolutions", edit(
            L, "simple-fcn", "nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)",
            "nn.Upsample(scale_factor=2, mode='bilinear'), nn.Conv2d(4 * w, 2 * w, 1)"), "2x2 transposed convs"),
        Mistake("no 1x1 classifier: the last up-sampling gives the classes", '''
class SimpleFCN(nn.Module):
    def __init__(self, in_channels, num_classes, width=16):
        super().__init__()
        w = width
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * w, 4 * w, 3, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2), nn.ReLU(),
            nn.ConvTranspose2d(2 * w, num_classes, 2, stride=2))

    def forward(self, x):
        return self.layers(x)
''', "(1x1 conv)"),
    ],
    "segnet-lite": [
        Mistake("each unpooling with the other pooling's indices", edit(L, "segnet-lite", "F.relu(self.dec2(b)), i2)",
                                                                         "F.relu(self.dec2(b)), i1)"), "the deeper pooling's indices"),
        Mistake("nearest up-sampling instead of unpooling", edit(L, "segnet-lite", "self.unpool = nn.MaxUnpool2d(2)",
                                                                 "self.unpool = lambda x, indices: F.interpolate(x, scale_factor=2)"),
                "unpool d2 with the indices"),
        Mistake("no ReLU after the refining convolution", edit(L, "segnet-lite", "self.classify(F.relu(self.refine(u1)))",
                                                               "self.classify(self.refine(u1))"), "a ReLU"),
        Mistake("no refining convolution", '''
class SegNetLite(nn.Module):
    def __init__(self, in_channels, num_classes, width=16):
        super().__init__()
        w = width
        self.enc1 = nn.Conv2d(in_channels, w, 3, padding=1)
        self.enc2 = nn.Conv2d(w, 2 * w, 3, padding=1)
        self.bottleneck = nn.Conv2d(2 * w, 4 * w, 3, padding=1)
        self.dec2 = nn.Conv2d(4 * w, 2 * w, 3, padding=1)
        self.dec1 = nn.Conv2d(2 * w, w, 3, padding=1)
        self.classify = nn.Conv2d(w, num_classes, 1)
        self.pool, self.unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)

    def forward(self, x):
        p1, i1 = self.pool(F.relu(self.enc1(x)))
        p2, i2 = self.pool(F.relu(self.enc2(p1)))
        b = F.relu(self.bottleneck(p2))
        u2 = self.unpool(F.relu(self.dec2(b)), i2)
        return self.classify(self.unpool(F.relu(self.dec1(u2)), i1))
''', "six 3x3 convolutions"),
        Mistake("unpooled before the decoder's convolution", edit(L, "segnet-lite",
                                                                 "u2 = self.unpool(F.relu(self.dec2(b)), i2)",
                                                                 "u2 = F.relu(self.dec2(self.unpool(b, i2)))"),
                "after the convolution that gives it their channels"),
        Mistake("a ReLU after the classifier", edit(L, "segnet-lite", "return self.classify(F.relu(self.refine(u1)))",
                                                    "return F.relu(self.classify(F.relu(self.refine(u1))))"),
                "none after the 1x1 classifier"),
    ],
}
