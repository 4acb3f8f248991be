"""The Oxford-IIIT Pet dataset (Parkhi et al. 2012) as a segmentation dataset: pet, border, background.

The two archives are downloaded once from the VGG's server (the URLs and MD5 checksums that
torchvision's ``OxfordIIITPet`` uses) into ``<root>/oxford-iiit-pet/`` and unpacked there:

* ``images/<Name>_<n>.jpg``: 7390 photos of 37 breeds of cats and dogs, of varied sizes;
* ``annotations/trimaps/<Name>_<n>.png``: trimaps, 1 = pet, 2 = background, 3 = border
  (the uncertain band around the pet's outline);
* ``annotations/trainval.txt`` (3680 images) and ``annotations/test.txt`` (3669), lines
  ``Abyssinian_100 1 1 1``: name, class id, species, breed id.

Classes: 0 = background, 1 = pet, 2 = border (the trimap's values 2, 1, 3). The border is
kept as a class, as in the Keras and TensorFlow tutorials; it is thin and hard, which is
what the lesson's per-class IoU shows. Splits: "test" is ``test.txt``; "train" and "val"
divide ``trainval.txt`` by a permutation from ``np.random.default_rng(seed)`` (default:
10 % for "val", seed 0), drawn on the list's names, so a split never changes with the files.

Every image is squashed to ``size`` x ``size`` (aspect ratio not kept, nothing is cropped,
every pixel stays labelled): bilinear with antialiasing for the photo, nearest neighbour
for the trimap. The preprocessed split is cached next to the files
(``preprocessed/<list>-<size>px.pt``, uint8), so a later load reads one file and decoding
never starves a GPU. A few files of the original are broken (PNG or GIF data in a .jpg,
CMYK or greyscale JPEGs): they are converted to RGB; images without a trimap, or that cannot
be decoded, are skipped and named in ``dataset.info["skipped"]``.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from ..arguments import check_int
from ..files import atomic_open
from ..metrics import IGNORE_INDEX
from .compact import expand_images, expand_masks
from .dataset import SegmentationDataset
from .download import DownloadError, download, extract

__all__ = ["CLASS_NAMES", "SPLITS", "RESOURCES", "FOLDER", "default_root", "prepare", "read_list",
           "trimap_to_mask", "load_oxford_pet"]

CLASS_NAMES = ("background", "pet", "border")
SPLITS = ("train", "val", "test")
FOLDER = "oxford-iiit-pet"
DATA_ENV = "COURSE_DATA"
_MIRRORS = ("https://www.robots.ox.ac.uk/~vgg/data/pets/data/", "https://thor.robots.ox.ac.uk/pets/")
# archive -> (URLs tried in turn, MD5, what it unpacks to)
RESOURCES = {
    "images.tar.gz": (tuple(m + "images.tar.gz" for m in _MIRRORS), "5c4f3ee8e5d25df40f4fd59a7f44e54c",
                      ("images",)),
    "annotations.tar.gz": (tuple(m + "annotations.tar.gz" for m in _MIRRORS), "95a8c909bbe2e81eed6a22bccdf3f68f",
                           ("annotations/trainval.txt", "annotations/test.txt", "annotations/trimaps")),
}
_TRIMAP_TO_CLASS = np.full(256, IGNORE_INDEX, np.uint8)
_TRIMAP_TO_CLASS[[1, 2, 3]] = [1, 0, 2]  # pet, background, border
_CACHE_VERSION = 1


def default_root() -> Path:
    """Where datasets are kept: ``$COURSE_DATA``, else ``~/.cache/cnn-segmentation-course``."""
    return Path(os.environ.get(DATA_ENV) or Path.home() / ".cache" / "cnn-segmentation-course")


def prepare(root=None, *, download_missing: bool = True, progress: bool = True,
            resources: dict | None = None) -> Path:
    """Make sure ``<root>/oxford-iiit-pet`` holds the unpacked dataset; return that folder.

    An archive is downloaded (and checked) only if what it unpacks to is missing; folders
    placed there by hand are used as they are. An unpacking that was interrupted is redone.
    """
    resources = RESOURCES if resources is None else resources
    folder = _folder(root)
    for archive, (urls, md5, provides) in resources.items():
        done = folder / f".{archive}.unpacked"
        if done.exists() or (not (folder / archive).exists()
                             and all((folder / p).exists() for p in provides)):
            continue
        if not download_missing and not (folder / archive).exists():
            raise FileNotFoundError(f"expected the Oxford-IIIT Pet files in {folder} ({', '.join(provides)}), "
                                    f"got none: let them download (download=True; on the command line, leave out "
                                    f"--no-download), or place {archive} from {urls[0]} there")
        try:
            download(urls, folder / archive, md5, progress=progress)
        except DownloadError as error:
            raise type(error)(f"{error} Or unpack both archives there yourself, so that "
                              f"{folder / 'images'} and {folder / 'annotations'} exist; "
                              f"root= or ${DATA_ENV} choose another folder.") from error
        extract(folder / archive, folder)
        done.touch()
    return folder


def read_list(path) -> list[str]:
    """Image names from a split list (``trainval.txt``, ``test.txt``), in the file's order."""
    names = []
    for line in Path(path).read_text().splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#"):
            names.append(fields[0])
    return names


def trimap_to_mask(trimap) -> np.ndarray:
    """A trimap (H, W) of 1/2/3 as a uint8 mask of classes 1 (pet), 0 (background), 2 (border);
    any other value becomes the ignore index 255."""
    trimap = np.asarray(trimap)
    if trimap.ndim != 2 or trimap.dtype.kind not in "ui":
        raise ValueError(f"expected a trimap of integers (H, W), got shape {trimap.shape} and dtype {trimap.dtype}")
    return _TRIMAP_TO_CLASS[np.clip(trimap, 0, 255)]


def load_oxford_pet(split: str = "train", *, root=None, size: int = 128, val_fraction: float = 0.1,
                    seed: int = 0, download: bool = True, progress: bool = True) -> SegmentationDataset:
    """The Oxford-IIIT Pet ``split`` ("train", "val" or "test") at ``size`` x ``size``.

    Images float32 (N, 3, size, size) in [0, 1]; masks int64 (N, size, size) of
    :data:`CLASS_NAMES`. Downloads and preprocesses on first use (see the module's doc).
    """
    if split not in SPLITS:
        raise ValueError(f"expected split to be one of {list(SPLITS)}, got {split!r}")
    size = check_int("size", size, 16)
    seed = check_int("seed", seed, 0)
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float)) or not 0 < val_fraction < 1:
        raise ValueError(f"expected val_fraction to be a number in (0, 1), got {val_fraction!r}")
    for name, value in (("download", download), ("progress", progress)):
        if not isinstance(value, bool):
            raise ValueError(f"expected {name} to be True or False, got {value!r}")
    listing = "test" if split == "test" else "trainval"
    data = _preprocessed(root, listing, size, download, progress)
    names, skipped = data["names"], data["skipped"]
    keep = np.arange(len(names))
    if split != "test":
        listed = data["listed"]
        order = np.random.default_rng(seed).permutation(len(listed))
        val_names = {listed[i] for i in order[: round(val_fraction * len(listed))]}
        keep = np.array([i for i, n in enumerate(names) if (n in val_names) == (split == "val")], dtype=np.int64)
    index = torch.from_numpy(keep)
    images, masks = expand_images(data["images"][index]), expand_masks(data["masks"][index])
    return SegmentationDataset(images, masks, CLASS_NAMES, name="oxford-pet", split=split, info={
        "names": [names[i] for i in keep], "skipped": list(skipped), "size": size, "seed": seed,
        "val_fraction": val_fraction, "folder": str(_folder(root))})


def _folder(root) -> Path:
    return (default_root() if root is None else Path(root)) / FOLDER


def _preprocessed(root, listing: str, size: int, download_missing: bool, progress: bool) -> dict:
    """The list ``listing`` decoded at ``size``: cached in ``preprocessed/``, else built and cached."""
    cache = _folder(root) / "preprocessed" / f"{listing}-{size}px-v{_CACHE_VERSION}.pt"
    if cache.exists():
        return torch.load(cache, weights_only=True)
    folder = prepare(root, download_missing=download_missing, progress=progress)
    listed = read_list(folder / "annotations" / f"{listing}.txt")
    decoded = _decode_all(folder, listed, size, progress)
    kept = [(name, pair) for name, pair in zip(listed, decoded) if pair is not None]
    images = np.zeros((len(kept), 3, size, size), np.uint8)
    masks = np.zeros((len(kept), size, size), np.uint8)
    for i, (_, (image, mask)) in enumerate(kept):
        images[i], masks[i] = image, mask
    data = {"listed": listed, "names": [name for name, _ in kept],
            "skipped": [name for name, pair in zip(listed, decoded) if pair is None],
            "images": torch.from_numpy(images), "masks": torch.from_numpy(masks)}
    with atomic_open(cache) as file:
        torch.save(data, file)
    return data


def _decode_all(folder: Path, names: list[str], size: int, progress: bool) -> list:
    """Decode ``names`` in threads (Pillow releases the GIL): (image, mask) or None each."""
    from tqdm.auto import tqdm

    def one(name):
        return _decode(folder / "images" / f"{name}.jpg", folder / "annotations" / "trimaps" / f"{name}.png", size)

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return list(tqdm(pool.map(one, names), total=len(names), desc=f"preprocessing to {size}px",
                         unit="img", disable=not progress))


def _decode(image_path: Path, trimap_path: Path, size: int):
    """Photo uint8 (3, size, size) and mask uint8 (size, size), or None if either is missing or broken."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(trimap_path) as trimap:
            mask = trimap_to_mask(np.asarray(trimap.resize((size, size), Image.NEAREST)))
        with Image.open(image_path) as photo:
            photo.draft("RGB", (size, size))  # JPEG only: decode at a reduced scale >= size
            rgb = photo.convert("RGB").resize((size, size), Image.BILINEAR)
            image = np.asarray(rgb).transpose(2, 0, 1).copy()
    except (FileNotFoundError, UnidentifiedImageError, OSError, ValueError):
        return None
    return image, mask
