"""Lesson 01: confusion_matrix, iou_per_class, mean_iou."""

from tests.corpus import Mistake, edit, solution

L = "01-segmentation"

CORRECT = {
    "confusion-matrix": {
        "bincount (the course's)": solution(L, "confusion-matrix"),
        "a loop over classes, with a warning": '''
import warnings
def confusion_matrix(pred, target, num_classes, ignore_index=255):
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape:
        raise ValueError(f"different shapes {pred.shape} and {target.shape}")
    warnings.warn("this loops over all class pairs, which is slow for many classes")
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    valid = target != ignore_index
    for t in range(num_classes):
        for p in range(num_classes):
            cm[t, p] = np.count_nonzero((target == t) & (pred == p) & valid)
    return cm
''',
        "np.add.at into int32": '''
def confusion_matrix(pred, target, num_classes, ignore_index=255):
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape:
        raise ValueError("pred has shape %s, target %s" % (pred.shape, target.shape))
    keep = (target != ignore_index).ravel()
    t = target.ravel()[keep].astype(np.intp)
    p = pred.ravel()[keep].astype(np.intp)
    cm = np.zeros((num_classes, num_classes), dtype=np.int32)
    np.add.at(cm, (t, p), 1)
    return cm
''',
        "torch.bincount, returning a tensor": '''
def confusion_matrix(pred, target, num_classes, ignore_index=255):
    pred = torch.as_tensor(np.asarray(pred)).long()
    target = torch.as_tensor(np.asarray(target)).long()
    if pred.shape != target.shape:
        raise ValueError(f"shapes {tuple(pred.shape)} and {tuple(target.shape)} differ")
    valid = target != ignore_index
    pairs = target[valid] * num_classes + pred[valid]
    return torch.bincount(pairs, minlength=num_classes ** 2).reshape(num_classes, num_classes)
''',
    },
    "iou-per-class": {
        "vectorised (the course's)": solution(L, "iou-per-class"),
        "0 / 0 gives nan, with NumPy's RuntimeWarning": '''
def iou_per_class(cm):
    cm = np.asarray(cm).astype(float)
    tp = np.diag(cm)
    return tp / (cm.sum(axis=0) + cm.sum(axis=1) - tp)
''',
        "a loop in Python floats": '''
def iou_per_class(cm):
    cm = np.asarray(cm)
    out = []
    for c in range(cm.shape[0]):
        tp = float(cm[c, c])
        fp = float(cm[:, c].sum()) - tp
        fn = float(cm[c, :].sum()) - tp
        out.append(tp / (tp + fp + fn) if tp + fp + fn > 0 else float("nan"))
    return np.array(out)
''',
        "float32, with np.errstate": '''
def iou_per_class(cm):
    cm = np.asarray(cm, dtype=np.float32)
    tp = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, tp / union, np.float32("nan"))
''',
        "torch, returning a tensor": '''
def iou_per_class(cm):
    cm = torch.as_tensor(np.asarray(cm), dtype=torch.float64)
    tp = cm.diagonal()
    union = cm.sum(0) + cm.sum(1) - tp
    return torch.where(union > 0, tp / union.clamp(min=1), torch.full_like(tp, float("nan")))
''',
    },
    "mean-iou": {
        "NaNs left out (the course's)": solution(L, "mean-iou"),
        "np.nanmean, warning on an empty matrix": '''
def mean_iou(cm):
    return float(np.nanmean(iou_per_class(cm)))
''',
        "a loop over the present classes": '''
def mean_iou(cm):
    values = [v for v in iou_per_class(cm) if v == v]  # NaN is the only value not equal to itself
    return sum(values) / len(values) if values else float("nan")
''',
        "torch.nanmean": '''
def mean_iou(cm):
    return torch.nanmean(torch.as_tensor(np.asarray(iou_per_class(cm), dtype=np.float64))).item()
''',
    },
}

MISTAKES = {
    "confusion-matrix": [
        Mistake("transposed: rows are the predictions",
                edit(L, "confusion-matrix", "target[valid].astype(np.int64) * num_classes + pred[valid].astype(np.int64)",
                     "pred[valid].astype(np.int64) * num_classes + target[valid].astype(np.int64)"),
                "rows are the true class"),
        Mistake("a hard-coded 255", edit(L, "confusion-matrix", "valid = target != ignore_index", "valid = target != 255"),
                "not a fixed 255"),
        Mistake("np.bincount without minlength", edit(L, "confusion-matrix", ", minlength=num_classes**2", ""),
                "minlength"),
        Mistake("uint8 label maps overflow",
                edit(L, "confusion-matrix", "target[valid].astype(np.int64) * num_classes + pred[valid].astype(np.int64)",
                     "target[valid] * num_classes + pred[valid]"),
                "does not fit in uint8"),
        Mistake("float counts", '''
def confusion_matrix(pred, target, num_classes, ignore_index=255):
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape:
        raise ValueError(f"shapes {pred.shape} and {target.shape}")
    cm = np.zeros((num_classes, num_classes))
    valid = target != ignore_index
    np.add.at(cm, (target[valid].astype(int), pred[valid].astype(int)), 1)
    return cm
''', "expected integers"),
        Mistake("no ValueError for shapes that differ",
                edit(L, "confusion-matrix", "    if pred.shape != target.shape:\n        raise ValueError(f\"pred and target "
                     "must have the same shape, got {pred.shape} and {target.shape}\")\n", ""),
                "expected ValueError"),
        Mistake("one image only: a loop over rows and columns", '''
def confusion_matrix(pred, target, num_classes, ignore_index=255):
    if pred.shape != target.shape:
        raise ValueError(f"shapes {pred.shape} and {target.shape}")
    cm = np.zeros((num_classes, num_classes), dtype=int)
    h, w = target.shape
    for i in range(h):
        for j in range(w):
            if target[i, j] != ignore_index:
                cm[target[i, j], pred[i, j]] += 1
    return cm
''', "any shape"),
    ],
    "iou-per-class": [
        Mistake("precision, TP / (TP + FP)", edit(L, "iou-per-class", "union = cm.sum(axis=0) + cm.sum(axis=1) - tp",
                                                  "union = cm.sum(axis=0)"), "TP / (TP + FP + FN)"),
        Mistake("the union counts TP twice", edit(L, "iou-per-class", "union = cm.sum(axis=0) + cm.sum(axis=1) - tp",
                                                  "union = cm.sum(axis=0) + cm.sum(axis=1)"), "TP / (TP + FP + FN)"),
        Mistake("absent classes get 0, not NaN", edit(L, "iou-per-class", "iou = np.full(len(tp), np.nan)",
                                                      "iou = np.zeros(len(tp))"), "np.nan, not 0"),
        Mistake("integer division", '''
def iou_per_class(cm):
    cm = np.asarray(cm)
    tp = np.diag(cm)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    return np.where(union > 0, tp // np.maximum(union, 1), -1)
''', "floating-point"),
        Mistake("absent means: not in the target", '''
def iou_per_class(cm):
    cm = np.asarray(cm, dtype=float)
    tp = np.diag(cm)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    iou = np.full(len(tp), np.nan)
    present = cm.sum(axis=1) > 0
    iou[present] = tp[present] / union[present]
    return iou
''', "TP + FP + FN = 0"),
        Mistake("a list is not turned into an array", '''
def iou_per_class(cm):
    tp = cm.diagonal().astype(float)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    with np.errstate(invalid="ignore"):
        return np.where(union > 0, tp / union, np.nan)
''', "np.asarray"),
    ],
    "mean-iou": [
        Mistake("np.mean lets the NaNs in", "def mean_iou(cm):\n    return float(np.mean(iou_per_class(cm)))",
                "leave the NaN"),
        Mistake("absent classes count as 0", "def mean_iou(cm):\n    return float(np.nan_to_num(iou_per_class(cm)).mean())",
                "leave the NaN"),
        Mistake("a float32, not a Python float", edit(L, "mean-iou", "return float(iou.mean()) if iou.size else float(\"nan\")",
                                                      "return np.float32(iou.mean()) if iou.size else np.float32(\"nan\")"),
                "Python float"),
        Mistake("dividing by zero for an empty matrix", '''
def mean_iou(cm):
    values = [v for v in iou_per_class(cm) if not np.isnan(v)]
    return sum(values) / len(values)
''', "do not raise"),
        Mistake("0 for an empty matrix", edit(L, "mean-iou", "if iou.size else float(\"nan\")", "if iou.size else 0.0"),
                "return nan"),
        Mistake("weighted by the classes' pixels", '''
def mean_iou(cm):
    cm = np.asarray(cm)
    iou = iou_per_class(cm)
    weights = cm.sum(axis=1) / max(cm.sum(), 1)
    keep = ~np.isnan(iou)
    return float((iou[keep] * weights[keep]).sum() / weights[keep].sum()) if keep.any() else float("nan")
''', "plain mean"),
        Mistake("the per-class IoUs, not their mean", "def mean_iou(cm):\n    return iou_per_class(cm)",
                "single number"),
    ],
}
