"""Oxford-IIIT Pet loading, end to end on small archives in the real layout served over HTTP."""

import hashlib
import shutil
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image
from test_data_download import FileServer, closed_port_url

from course import data
from course.data import oxford_pet
from course.data.download import ChecksumError, DownloadError
from course.metrics import IGNORE_INDEX

SIZE = 16
TOP, BOTTOM = (200, 40, 40), (30, 60, 220)  # each photo: top half, bottom half
TRAINVAL = ["Abyssinian_1", "Abyssinian_2", "Bengal_3", "beagle_4", "beagle_5", "pug_6",
            "Egyptian_Mau_7", "Abyssinian_8", "British_Shorthair_9", "pug_10", "pug_11", "pug_12"]
TEST = ["Bengal_20", "beagle_21", "pug_22"]
NO_TRIMAP, UNREADABLE = "pug_11", "pug_12"


def _trimap_grid(index: int) -> np.ndarray:
    """The trimap at SIZE x SIZE: random 1/2/3 (pet, background, border) per image."""
    return np.random.default_rng(index).integers(1, 4, (SIZE, SIZE)).astype(np.uint8)


def _photo(width: int, height: int) -> Image.Image:
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[: height // 2], pixels[height // 2:] = TOP, BOTTOM
    return Image.fromarray(pixels)


def _write_files(folder):
    """images/ and annotations/ as in the real archives, with the real dataset's oddities."""
    (folder / "images").mkdir(parents=True)
    (folder / "annotations" / "trimaps").mkdir(parents=True)
    for index, name in enumerate(TRAINVAL + TEST):
        width, height = SIZE * (2 + index % 3), SIZE * (2 + index % 2)  # other sizes and aspect ratios
        photo, path = _photo(width, height), folder / "images" / f"{name}.jpg"
        if name == "Egyptian_Mau_7":
            photo.convert("RGBA").save(path, format="PNG")  # PNG data in a .jpg
        elif name == "Abyssinian_8":
            photo.convert("P").save(path, format="GIF")  # GIF data in a .jpg
        elif name == "British_Shorthair_9":
            photo.convert("CMYK").save(path, format="JPEG", quality=95)
        elif name == "pug_10":
            photo.convert("L").save(path, format="JPEG", quality=95)
        elif name == UNREADABLE:
            path.write_bytes(b"not an image")
        else:
            photo.save(path, format="JPEG", quality=95)
        if name != NO_TRIMAP:  # upscaled by whole factors, so nearest resizing gives the grid back
            trimap = np.repeat(np.repeat(_trimap_grid(index), height // SIZE, 0), width // SIZE, 1)
            Image.fromarray(trimap).save(folder / "annotations" / "trimaps" / f"{name}.png")
    (folder / "annotations" / "trimaps" / "._Abyssinian_1.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    for listing, names in (("trainval", TRAINVAL), ("test", TEST)):
        lines = [f"{n} {1 + i % 37} {1 + n[0].islower()} {1 + i % 12}" for i, n in enumerate(names)]
        (folder / "annotations" / f"{listing}.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    """images.tar.gz and annotations.tar.gz of the fake dataset, and their resources."""
    root = tmp_path_factory.mktemp("pets")
    _write_files(root / "files")
    served = root / "served" / "pets"
    served.mkdir(parents=True)
    for archive, member in (("images.tar.gz", "images"), ("annotations.tar.gz", "annotations")):
        with tarfile.open(served / archive, "w:gz") as tar:
            tar.add(root / "files" / member, arcname=member)
    return served


@pytest.fixture
def server(archives, monkeypatch):
    """The archives served over HTTP, with ``RESOURCES`` pointing there."""
    with FileServer(archives.parent) as server:
        monkeypatch.setattr(oxford_pet, "RESOURCES", _resources(archives, server.url))
        yield server


def _resources(archives, base_url):
    real = oxford_pet.RESOURCES
    return {name: ((f"{base_url}/pets/{name}",), hashlib.md5((archives / name).read_bytes()).hexdigest(), provides)
            for name, (_, _, provides) in real.items()}


def _expected_val(seed=0, fraction=0.2):
    order = np.random.default_rng(seed).permutation(len(TRAINVAL))
    return {TRAINVAL[i] for i in order[: round(fraction * len(TRAINVAL))]}


def test_downloads_once_and_loads_the_trimaps_as_classes(server, tmp_path, capsys):
    train = data.load("oxford-pet", "train", root=tmp_path, size=SIZE, val_fraction=0.2)
    assert sorted(server.requests) == ["/pets/annotations.tar.gz", "/pets/images.tar.gz"]
    err = capsys.readouterr().err
    assert "images.tar.gz" in err and f"preprocessing to {SIZE}px" in err, err
    assert train.class_names == ("background", "pet", "border") and train.num_classes == 3
    assert train.images.dtype == torch.float32 and train.masks.dtype == torch.int64
    assert train.images.shape[1:] == (3, SIZE, SIZE) and train.masks.shape[1:] == (SIZE, SIZE)
    assert train.info["skipped"] == [NO_TRIMAP, UNREADABLE]
    names = train.info["names"]
    assert set(names) == set(TRAINVAL) - _expected_val() - {NO_TRIMAP, UNREADABLE}
    assert names == [n for n in TRAINVAL if n in names], "the list's order is kept"
    for image, mask, name in zip(train.images, train.masks, names):
        trimap = _trimap_grid((TRAINVAL + TEST).index(name))
        expected = np.select([trimap == 1, trimap == 2, trimap == 3], [1, 0, 2], IGNORE_INDEX)
        np.testing.assert_array_equal(mask.numpy(), expected, err_msg=name)
        top, bottom = np.array(TOP) / 255, np.array(BOTTOM) / 255
        if name == "pug_10":  # greyscale: every channel holds the luminance
            top, bottom = (np.full(3, np.dot([0.299, 0.587, 0.114], c)) for c in (top, bottom))
        tolerance = 0.1 if name in ("British_Shorthair_9", "pug_10") else 0.05
        np.testing.assert_allclose(image[:, :4].mean((1, 2)).numpy(), top, atol=tolerance, err_msg=name)
        np.testing.assert_allclose(image[:, -4:].mean((1, 2)).numpy(), bottom, atol=tolerance, err_msg=name)


def test_splits_are_fixed_by_seed_and_cached(server, tmp_path):
    options = {"root": tmp_path, "size": SIZE, "val_fraction": 0.2, "progress": False}
    train = data.load("oxford-pet", "train", **options)
    val = data.load("oxford-pet", "val", **options)
    test = data.load("oxford-pet", "test", **options)
    assert set(val.info["names"]) == _expected_val() - {NO_TRIMAP, UNREADABLE}
    assert not set(train.info["names"]) & set(val.info["names"])
    assert test.info["names"] == TEST and len(test) == 3
    other = data.load("oxford-pet", "val", seed=1, **options)
    assert set(other.info["names"]) == _expected_val(seed=1) - {NO_TRIMAP, UNREADABLE} != set(val.info["names"])
    requests = len(server.requests)
    folder = tmp_path / oxford_pet.FOLDER
    assert sorted(p.name for p in (folder / "preprocessed").iterdir()) == [
        f"test-{SIZE}px-v1.pt", f"trainval-{SIZE}px-v1.pt"]
    # with the raw files gone and the server down, the preprocessed cache still serves
    for path in ("images", "annotations", "images.tar.gz", "annotations.tar.gz"):
        shutil.rmtree(folder / path) if (folder / path).is_dir() else (folder / path).unlink()
    again = data.load("oxford-pet", "train", **options)
    assert torch.equal(again.images, train.images) and torch.equal(again.masks, train.masks)
    assert len(server.requests) == requests, "a second load must make no request"


def test_a_new_size_is_preprocessed_from_the_unpacked_files_without_a_request(server, tmp_path):
    data.load("oxford-pet", "test", root=tmp_path, size=SIZE, progress=False)
    requests = len(server.requests)
    bigger = data.load("oxford-pet", "test", root=tmp_path, size=2 * SIZE, progress=False)
    assert bigger.images.shape == (3, 3, 2 * SIZE, 2 * SIZE) and len(server.requests) == requests


def test_files_placed_by_hand_are_used_without_a_request(archives, server, tmp_path):
    folder = tmp_path / oxford_pet.FOLDER
    folder.mkdir()
    for archive in ("images.tar.gz", "annotations.tar.gz"):
        with tarfile.open(archives / archive) as tar:
            tar.extractall(folder, filter="data")
    test = data.load("oxford-pet", "test", root=tmp_path, size=SIZE, download=False, progress=False)
    assert len(test) == 3 and server.requests == []


def test_a_corrupted_archive_is_rejected_and_removed(archives, server, tmp_path, monkeypatch):
    resources = dict(oxford_pet.RESOURCES)
    urls, _, provides = resources["images.tar.gz"]
    resources["images.tar.gz"] = (urls, "f" * 32, provides)
    monkeypatch.setattr(oxford_pet, "RESOURCES", resources)
    with pytest.raises(ChecksumError, match=f"expected {'f' * 32}: it was deleted"):
        data.load("oxford-pet", root=tmp_path, size=SIZE, progress=False)
    folder = tmp_path / oxford_pet.FOLDER
    assert not (folder / "images.tar.gz").exists() and not (folder / "images").exists()
    assert not any(p.name.endswith(".part") for p in folder.iterdir())


def test_a_hand_placed_archive_with_a_wrong_checksum_is_rejected(server, tmp_path):
    folder = tmp_path / oxford_pet.FOLDER
    folder.mkdir()
    (folder / "images.tar.gz").write_bytes(b"truncated")
    with pytest.raises(ChecksumError, match="already there"):
        data.load("oxford-pet", root=tmp_path, size=SIZE, progress=False)
    assert not (folder / "images.tar.gz").exists()


def test_offline_gives_a_clear_error(archives, tmp_path, monkeypatch):
    url = closed_port_url("pets/images.tar.gz")
    resources = _resources(archives, "unused")
    resources = {name: ((url,) if name == "images.tar.gz" else urls, md5, provides)
                 for name, (urls, md5, provides) in resources.items()}
    monkeypatch.setattr(oxford_pet, "RESOURCES", resources)
    with pytest.raises(DownloadError) as error:
        data.load("oxford-pet", root=tmp_path, size=SIZE, progress=False)
    message = str(error.value)
    folder = tmp_path / oxford_pet.FOLDER
    for part in (f"could not download images.tar.gz from {url}", "The machine seems offline",
                 f"copy it to {folder / 'images.tar.gz'}", f"{folder / 'images'} and {folder / 'annotations'} exist",
                 "$COURSE_DATA"):
        assert part in message, (part, message)


def test_default_root_follows_course_data(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    assert oxford_pet.default_root() == tmp_path
    monkeypatch.delenv("COURSE_DATA")
    assert oxford_pet.default_root().parts[-2:] == (".cache", "cnn-segmentation-course")


def test_download_false_without_files_says_where_they_go(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected the Oxford-IIIT Pet files in"):
        data.load("oxford-pet", "test", root=tmp_path, download=False)


def test_real_resources_are_torchvisions():
    urls, md5, _ = oxford_pet.RESOURCES["images.tar.gz"]
    assert urls[0] == "https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz"
    assert md5 == "5c4f3ee8e5d25df40f4fd59a7f44e54c"
    urls, md5, _ = oxford_pet.RESOURCES["annotations.tar.gz"]
    assert urls[1] == "https://thor.robots.ox.ac.uk/pets/annotations.tar.gz"
    assert md5 == "95a8c909bbe2e81eed6a22bccdf3f68f"


def test_read_list_skips_comments_and_blank_lines(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("#Image CLASS-ID SPECIES BREED ID\n#ID: 1:37 Class ids\nAbyssinian_100 1 1 1\n\nbeagle_3 3 2 1\n")
    assert oxford_pet.read_list(path) == ["Abyssinian_100", "beagle_3"]


def test_trimap_to_mask():
    np.testing.assert_array_equal(oxford_pet.trimap_to_mask(np.array([[1, 2], [3, 0]], np.uint8)),
                                  [[1, 0], [2, IGNORE_INDEX]])
    with pytest.raises(ValueError, match=r"expected a trimap of integers \(H, W\), got shape \(2, 2, 3\)"):
        oxford_pet.trimap_to_mask(np.ones((2, 2, 3), np.uint8))


@pytest.mark.parametrize("options, message", [
    ({"size": 8}, "expected size to be an int >= 16, got 8"),
    ({"val_fraction": 1.0}, "expected val_fraction to be a number in (0, 1), got 1.0"),
    ({"seed": "a"}, "expected seed to be an int >= 0, got 'a'"),
    ({"download": "yes"}, "expected download to be True or False, got 'yes'"),
    ({"crop": True}, "expected options of 'oxford-pet' among ['root', 'size', 'val_fraction', 'seed', "
                     "'download', 'progress'], got ['crop']"),
])
def test_bad_options(tmp_path, options, message):
    with pytest.raises(ValueError) as error:
        data.load("oxford-pet", "train", **({"root": tmp_path} | options))
    assert str(error.value) == message


def test_the_split_names_are_checked():
    expected = "expected split of 'oxford-pet' to be one of ['train', 'val', 'test'], got 'trainval'"
    with pytest.raises(ValueError) as error:
        data.load("oxford-pet", "trainval")
    assert str(error.value) == expected


def test_lesson_07s_pet_cell_downloads_trains_and_checkpoints_on_the_real_layout(server, tmp_path, monkeypatch):
    """The GPU-only cell of lesson 07, run as written (with one short epoch) on the fake archives."""
    import nbformat

    from course.train import TrainConfig, train_step
    from tests.conftest import ROOT

    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))
    cells = [c.source for c in nbformat.read(ROOT / "solutions" / "07-training" / "training.ipynb", as_version=4).cells
             if c.cell_type == "code"]
    imports = next(c for c in cells if c.startswith("from pathlib import"))
    pets = next(c for c in cells if "REAL_DATA = not fast_mode()" in c)
    namespace = {}
    exec(imports, namespace)
    namespace.update(train_step=train_step, RUNS=tmp_path / "runs",
                     TrainConfig=lambda **options: TrainConfig(**options | {"epochs": 1, "batch_size": 4}))
    exec(pets.replace("REAL_DATA = not fast_mode()", "REAL_DATA = True"), namespace)
    assert sorted(server.requests) == ["/pets/annotations.tar.gz", "/pets/images.tar.gz"]
    result = namespace["pets"]
    assert len(result.history) == 1 and result.config.target_miou == 0.7 and result.config.time_budget == 600
    assert namespace["pets_train"].images.shape[1:] == (3, 128, 128)
    assert (tmp_path / "runs" / "pets.pt").is_file()
