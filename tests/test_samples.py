"""Tests for the procedurally generated lesson samples (course.samples)."""


import numpy as np
import pytest

from course import samples as S
from course.baselines import NearestColorClassifier
from course.data.streets import load_streets

GENERATORS = [
    ("dental-xray", S.dental_xray, S.DENTAL_CLASSES, (128, 192)),
    ("eczema", S.eczema, S.ECZEMA_CLASSES, (128, 128)),
    ("street", S.street_scene, S.STREET_CLASSES, (96, 160)),
]
IDS = [g[0] for g in GENERATORS]
CAR, PERSON = S.STREET_CLASSES.index("car"), S.STREET_CLASSES.index("person")


@pytest.fixture(scope="module")
def street100():
    return load_streets("train", n=100).arrays()


def _neighbourhood_any(mask):
    """True where ``mask`` is set anywhere in the 3x3 neighbourhood."""
    p = np.pad(mask, 1)
    h, w = mask.shape
    return np.any([p[i : i + h, j : j + w] for i in range(3) for j in range(3)], axis=0)


# --- shapes, dtypes, value ranges -----------------------------------------


@pytest.mark.parametrize("name, fn, classes, default", GENERATORS, ids=IDS)
def test_default_shapes_dtypes_and_metadata(name, fn, classes, default):
    s = fn()
    assert s.name == name
    assert s.class_names == classes
    assert s.image.shape == (*default, 3) and s.image.dtype == np.float32
    assert s.mask.shape == default and s.mask.dtype == np.uint8
    assert 0.0 <= s.image.min() and s.image.max() <= 1.0
    assert np.isfinite(s.image).all()
    assert "synthetic" in s.description.lower() and s.description.endswith(".")


@pytest.mark.parametrize("name, fn, classes, default", GENERATORS, ids=IDS)
@pytest.mark.parametrize("size", [(48, 48), (50, 131), (140, 64)])
def test_custom_sizes_and_valid_labels(name, fn, classes, default, size):
    for seed in range(5):
        s = fn(seed=seed, size=size)
        assert s.image.shape == (*size, 3) and s.mask.shape == size
        valid = set(range(len(classes))) | {S.IGNORE_INDEX}
        assert set(np.unique(s.mask).tolist()) <= valid
        assert s.image.std() > 0.05  # not a blank image


# --- determinism ------------------------------------------------------------


@pytest.mark.parametrize("name, fn, classes, default", GENERATORS, ids=IDS)
def test_deterministic_and_seed_sensitive(name, fn, classes, default):
    a, b, c = fn(seed=7), fn(seed=7), fn(seed=8)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.mask, b.mask)
    assert not np.array_equal(a.image, c.image)
    assert not np.array_equal(a.mask, c.mask)


@pytest.mark.parametrize("name, fn, classes, default", GENERATORS, ids=IDS)
def test_uses_no_global_random_state(name, fn, classes, default):
    np.random.seed(123)
    first = fn(seed=3)
    after = np.random.random()
    np.random.seed(123)
    expected = np.random.random()
    assert after == expected  # the global stream was not consumed
    np.random.seed(999)
    np.testing.assert_array_equal(fn(seed=3).image, first.image)


# --- content: classes, imbalance, ignore band -----------------------------


def test_dental_classes_and_rare_caries():
    counts = np.zeros(len(S.DENTAL_CLASSES))
    for seed in range(20):
        s = S.dental_xray(seed, size=(96, 144))
        assert S.IGNORE_INDEX not in s.mask
        counts += np.bincount(s.mask.ravel(), minlength=len(S.DENTAL_CLASSES))
    frac = counts / counts.sum()
    assert (frac > 0).all(), "every dental class appears in 20 images"
    assert frac[S.DENTAL_CLASSES.index("caries")] < 0.02, "caries are rare"
    assert frac[S.DENTAL_CLASSES.index("background")] > 0.2


def test_dental_looks_like_an_xray():
    s = S.dental_xray(1)
    np.testing.assert_array_equal(s.image[..., 0], s.image[..., 1])  # greyscale
    grey = s.image[..., 0]
    mean = {c: grey[s.mask == i].mean() for i, c in enumerate(S.DENTAL_CLASSES) if (s.mask == i).any()}
    assert mean["background"] < mean["pulp"] < mean["dentin"] < mean["enamel"]


def test_eczema_classes_and_redness():
    for seed in range(10):
        s = S.eczema(seed)
        assert set(np.unique(s.mask).tolist()) == {0, 1, 2}  # no ignore pixels
        r, g = s.image[..., 0], s.image[..., 1]
        redness = r - g
        assert redness[s.mask == 2].mean() > redness[s.mask == 1].mean() + 0.05


def test_eczema_skin_tone_varies_with_seed():
    tones = [S.eczema(seed).image[S.eczema(seed).mask == 1].mean() for seed in range(12)]
    assert max(tones) - min(tones) > 0.2


def test_every_street_class_appears_in_50_images(street100):
    _, masks = street100
    present = set(np.unique(masks[:50]).tolist())
    assert set(range(len(S.STREET_CLASSES))) <= present
    has_person = (masks[:50] == PERSON).any(axis=(1, 2))
    assert 0 < has_person.mean() < 0.5, "people appear in some images only"


def test_street_class_imbalance(street100):
    _, masks = street100
    frac = {c: np.mean(masks == i) for i, c in enumerate(S.STREET_CLASSES)}
    assert frac["person"] < 0.02
    assert 0.005 < frac["car"] < 0.1
    for c in ("road", "building", "sky"):
        assert frac[c] > 0.05, c
    assert frac["person"] < min(frac[c] for c in S.STREET_CLASSES if c != "person")


def test_street_ignore_band_only_around_cars_and_people(street100):
    _, masks = street100
    assert (masks == S.IGNORE_INDEX).any()
    for m in masks:
        ignore = m == S.IGNORE_INDEX
        thing = (m == CAR) | (m == PERSON)
        assert not (ignore & ~_neighbourhood_any(thing)).any()
        if thing.any():
            assert ignore.any()


def test_street_objects_are_outlined(street100):
    """No car/person pixel touches (4-neighbourhood) road, sky, etc. directly."""
    _, masks = street100
    for m in masks:
        ok = (m == CAR) | (m == PERSON) | (m == S.IGNORE_INDEX)
        thing = (m == CAR) | (m == PERSON)
        p = np.pad(ok, 1, constant_values=True)
        neighbours_ok = p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
        assert neighbours_ok[thing].all()


def test_street_sky_brighter_and_bluer_than_road(street100):
    images, masks = street100
    sky = images[masks == S.STREET_CLASSES.index("sky")].mean(axis=0)
    road = images[masks == S.STREET_CLASSES.index("road")].mean(axis=0)
    assert sky.mean() > road.mean() + 0.15
    assert sky[2] > sky[0]


def test_colour_alone_is_not_enough(street100):
    """A nearest-mean-colour pixel classifier beats chance but stays clearly imperfect."""
    images, masks = street100
    k = len(S.STREET_CLASSES)
    model = NearestColorClassifier(k).fit(images, masks)
    test_x, test_y = load_streets("val", n=30).arrays()
    valid = test_y != S.IGNORE_INDEX
    accuracy = np.mean(model.predict(test_x)[valid] == test_y[valid])
    assert 1 / k + 0.1 < accuracy < 0.8


# --- dispatch and validation -----------------------------------------------


def test_load_dispatches_by_name():
    assert set(S.SAMPLES) == {"dental-xray", "eczema", "street"}
    for name, fn in S.SAMPLES.items():
        a, b = S.load(name, seed=2, size=(64, 64)), fn(seed=2, size=(64, 64))
        assert a.name == name
        np.testing.assert_array_equal(a.image, b.image)
        np.testing.assert_array_equal(a.mask, b.mask)


def test_load_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="expected one of"):
        S.load(["street"])
    with pytest.raises(ValueError) as err:
        S.load("kitti")
    msg = str(err.value)
    assert "expected" in msg and "got 'kitti'" in msg
    for name in S.SAMPLES:
        assert name in msg


BAD_SIZES = [(31, 64), (64,), (64, 64, 3), "64x64", (64.0, 64), (True, 64), None, (64, -1)]


@pytest.mark.parametrize("name, fn, classes, default", GENERATORS, ids=IDS)
@pytest.mark.parametrize("size", BAD_SIZES)
def test_invalid_size_raises(name, fn, classes, default, size):
    with pytest.raises(ValueError, match=r"expected .*got"):
        fn(size=size)


def test_street_minimum_size_is_48():
    S.street_scene(size=(48, 48))
    with pytest.raises(ValueError, match=r"expected .*>= 48.*got \(47, 64\)"):
        S.street_scene(size=(47, 64))


@pytest.mark.parametrize("name, fn, classes, default", GENERATORS, ids=IDS)
@pytest.mark.parametrize("seed", [-1, 1.5, None, "0"])
def test_invalid_seed_raises(name, fn, classes, default, seed):
    with pytest.raises(ValueError, match=r"expected seed .*got"):
        fn(seed=seed)


def test_numpy_integer_seed_and_size_accepted():
    a = S.eczema(seed=np.int64(4), size=(np.int32(64), 64))
    np.testing.assert_array_equal(a.image, S.eczema(seed=4, size=(64, 64)).image)
