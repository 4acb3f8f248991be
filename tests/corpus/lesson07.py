"""Lesson 07: median_frequency_weights, train_step, evaluate."""

from tests.corpus import Mistake, edit, solution

L = "07-training"

CORRECT = {
    "class-weights": {
        "torch, quantile (the course's)": solution(L, "class-weights"),
        "NumPy's median, a tensor at the end": '''
def median_frequency_weights(masks, num_classes, ignore_index=255):
    pixels, labelled_with = np.zeros(num_classes), np.zeros(num_classes)
    for mask in np.asarray(masks):
        labels = mask[mask != ignore_index]
        counts = np.bincount(labels, minlength=num_classes)[:num_classes]
        pixels += counts
        labelled_with += (counts > 0) * labels.size
    present = pixels > 0
    f = pixels[present] / labelled_with[present]
    w = np.zeros(num_classes)
    w[present] = np.median(f) / f
    return torch.from_numpy(w).float()
''',
        "per-image counts stacked, the median by hand": '''
def median_frequency_weights(masks, num_classes, ignore_index=255):
    counts = torch.stack([torch.bincount(m[m != ignore_index], minlength=num_classes)[:num_classes] for m in masks])
    counts = counts.double()
    pixels = counts.sum(0)
    labelled_with = ((counts > 0) * counts.sum(1, keepdim=True)).sum(0)
    present = pixels > 0
    f = (pixels[present] / labelled_with[present]).sort().values
    n = len(f)
    median = (f[(n - 1) // 2] + f[n // 2]) / 2
    weights = torch.zeros(num_classes, dtype=torch.float32)
    weights[present] = (median / (pixels[present] / labelled_with[present])).float()
    return weights
''',
    },
    "train-step": {
        "zero_grad first (the course's)": solution(L, "train-step"),
        "zero_grad at the end of the step": '''
def train_step(model, images, masks, loss_fn, optimizer, scaler, amp_dtype=None):
    with torch.autocast(device_type=images.device.type, dtype=amp_dtype or torch.bfloat16, enabled=amp_dtype is not None):
        scores = model(images)
    loss = loss_fn(scores.to(torch.float32), masks)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad()
    return loss.detach()
''',
        "autocast only when asked, a context chosen up front": '''
import contextlib
def train_step(model, images, masks, loss_fn, optimizer, scaler, amp_dtype=None):
    optimizer.zero_grad(set_to_none=False)
    context = torch.autocast(images.device.type, dtype=amp_dtype) if amp_dtype is not None else contextlib.nullcontext()
    with context:
        scores = model(images)
    loss = loss_fn(scores.float(), masks)
    scaled = scaler.scale(loss)
    scaled.backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach().clone()
''',
    },
    "evaluate": {
        "a loop over slices (the course's)": solution(L, "evaluate"),
        "counts accumulated in torch, inference mode": '''
def evaluate(model, images, masks, num_classes, batch_size=64):
    model.eval()
    device = next(model.parameters()).device
    counts = torch.zeros(num_classes * num_classes, dtype=torch.long)
    with torch.inference_mode():
        for x, y in zip(torch.split(images, batch_size), torch.split(masks, batch_size)):
            pred = model(x.to(device)).argmax(1).cpu()
            keep = y != 255
            counts += torch.bincount(y[keep] * num_classes + pred[keep], minlength=num_classes ** 2)
    return counts.reshape(num_classes, num_classes).numpy()
''',
        "a DataLoader": '''
from torch.utils.data import DataLoader, TensorDataset
def evaluate(model, images, masks, num_classes, batch_size=64):
    model.eval()
    total = np.zeros((num_classes, num_classes), dtype=np.int64)
    with torch.no_grad():
        for x, y in DataLoader(TensorDataset(images, masks), batch_size=batch_size, shuffle=False):
            total += metrics.confusion_matrix(model(x).argmax(dim=1).numpy(), y.numpy(), num_classes)
    return total
''',
    },
}

MISTAKES = {
    "class-weights": [
        Mistake("torch.median: the lower of the middle two", edit(L, "class-weights", "torch.quantile(freq, 0.5)", "freq.median()"),
                "torch.median returns the lower one"),
        Mistake("frequencies over all labelled pixels", edit(L, "class-weights", "pixels_with += (c > 0) * c.sum()",
                                                             "pixels_with += c.sum()"), "the images that contain c"),
        Mistake("float64", edit(L, "class-weights", "return weights.float()", "return weights"), "expected dtype float32"),
        Mistake("absent classes weigh 1", edit(L, "class-weights", "weights = torch.zeros(num_classes, dtype=torch.float64)",
                                               "weights = torch.ones(num_classes, dtype=torch.float64)"),
                "absent classes get 0"),
        Mistake("ignored pixels counted as labelled", edit(L, "class-weights", "pixels_with += (c > 0) * c.sum()",
                                                           "pixels_with += (c > 0) * mask.numel()"),
                "ignored pixels are not labelled"),
        Mistake("a hard-coded 255", edit(L, "class-weights", "labels = mask[mask != ignore_index]", "labels = mask[mask != 255]"),
                "not a fixed 255"),
        Mistake("the masks changed in place", '''
def median_frequency_weights(masks, num_classes, ignore_index=255):
    valid = masks != ignore_index
    masks[~valid] = 0                       # overwrites the caller's masks
    counts = torch.zeros(num_classes, dtype=torch.float64)
    pixels_with = torch.zeros(num_classes, dtype=torch.float64)
    for mask, ok in zip(masks, valid):
        c = torch.bincount(mask[ok], minlength=num_classes)[:num_classes].double()
        counts += c
        pixels_with += (c > 0) * c.sum()
    present = counts > 0
    freq = counts[present] / pixels_with[present]
    weights = torch.zeros(num_classes)
    weights[present] = (torch.quantile(freq, 0.5) / freq).float()
    return weights
''', "must not change the masks"),
        Mistake("a NumPy array", edit(L, "class-weights", "return weights.float()", "return weights.float().numpy()"),
                "expected a torch tensor"),
    ],
    "train-step": [
        Mistake("optimizer.step() instead of scaler.step()", edit(L, "train-step", "scaler.step(optimizer)", "optimizer.step()"),
                "scaler.step(optimizer), not optimizer.step()"),
        Mistake("gradients never cleared", edit(L, "train-step", "    optimizer.zero_grad(set_to_none=True)\n", ""),
                "optimizer.zero_grad()"),
        Mistake("no scaler.update()", edit(L, "train-step", "    scaler.update()\n", ""), "scaler.update()"),
        Mistake("the loss not scaled", edit(L, "train-step", "scaler.scale(loss).backward()", "loss.backward()"),
                "did not use scaler.scale"),
        Mistake("no autocast", edit(L, "train-step", "enabled=amp_dtype is not None", "enabled=False"),
                "torch.autocast(images.device.type"),
        Mistake("the loss in half precision", edit(L, "train-step", "loss_fn(scores.float(), masks)", "loss_fn(scores, masks)"),
                "scores.float()"),
        Mistake("the loss returned with its graph", edit(L, "train-step", "return loss.detach()", "return loss"),
                "requires_grad=False"),
        Mistake("loss.item()", edit(L, "train-step", "return loss.detach()", "return loss.item()"), "not loss.item()"),
        Mistake("autocast on without amp_dtype", edit(L, "train-step", "dtype=amp_dtype, enabled=amp_dtype is not None",
                                                      "dtype=amp_dtype or torch.bfloat16"), "amp_dtype=None no autocast"),
        Mistake("autocast for CUDA on a CPU batch", edit(L, "train-step", "torch.autocast(images.device.type,", "torch.autocast(\"cuda\","),
                "torch.autocast(images.device.type"),
    ],
    "evaluate": [
        Mistake("no model.eval()", edit(L, "evaluate", "    model.eval()\n", ""), "model.eval()"),
        Mistake("gradients computed", edit(L, "evaluate", "with torch.no_grad():", "if True:"), "torch.no_grad()"),
        Mistake("the last, smaller batch dropped", edit(L, "evaluate", "range(0, len(images), batch_size)",
                                                         "range(0, len(images) - batch_size + 1, batch_size)"),
                "the last, smaller one included"),
        Mistake("the whole set at once", edit(L, "evaluate", "    model.eval()\n", "    model.eval()\n    batch_size = len(images)\n"),
                "batches of at most batch_size"),
        Mistake("arg-max over the wrong dimension", edit(L, "evaluate", "scores.argmax(dim=1)", "scores.argmax(dim=-1)"),
                "argmax over the class dimension 1"),
        Mistake("float counts", edit(L, "evaluate", "cm = np.zeros((num_classes, num_classes), dtype=np.int64)",
                                     "cm = np.zeros((num_classes, num_classes))"), "expected dtype int64"),
        Mistake("a tensor returned", edit(L, "evaluate", "    return cm", "    return torch.from_numpy(cm)"),
                "expected a NumPy array"),
    ],
}
