"""Joint augmentation: images and masks stay aligned through every transform, reproducibly."""

import pytest
import torch

from course.data import augment, random_crop, random_elastic, random_flip, random_rot90
from course.metrics import IGNORE_INDEX

N, H, W = 12, 10, 14


def _batch(n=N, h=H, w=W):
    """Images whose channel 0 equals the mask and channels 1, 2 hold each pixel's row and
    column, so any misalignment or foreign pixel is visible; masks have no symmetry."""
    masks = torch.randint(0, 6, (n, h, w), generator=torch.Generator().manual_seed(1))
    rows = torch.arange(h).view(1, h, 1).expand(n, h, w)
    cols = torch.arange(w).view(1, 1, w).expand(n, h, w)
    images = torch.stack([masks, rows, cols], 1).float()
    return images, masks


def _aligned(images, masks):
    """Channel 0 equals the mask wherever the mask is not ignored."""
    kept = masks != IGNORE_INDEX
    return torch.equal(images[:, 0][kept], masks[kept].float())


def _generator(seed=0):
    return torch.Generator().manual_seed(seed)


def test_flips_keep_alignment_and_each_sample_is_flipped_or_not():
    images, masks = _batch()
    out_images, out_masks = random_flip(images, masks, _generator(), horizontal=0.5, vertical=0.5)
    assert _aligned(out_images, out_masks)
    kinds = set()
    for i in range(N):
        flipped_h = torch.equal(out_images[i, 2], images[i, 2].flip(-1))
        flipped_v = torch.equal(out_images[i, 1], images[i, 1].flip(-2))
        expected = masks[i]
        if flipped_h:
            expected = expected.flip(-1)
        if flipped_v:
            expected = expected.flip(-2)
        assert torch.equal(out_masks[i], expected), i
        kinds.add((flipped_h, flipped_v))
    assert len(kinds) >= 3, f"expected samples flipped differently within one batch, got {kinds}"


def test_rot90_matches_torch_rot90_per_sample():
    images, masks = _batch(w=H)
    out_images, out_masks = random_rot90(images, masks, _generator(2))
    assert _aligned(out_images, out_masks)
    turns = []
    for i in range(N):
        k = next(k for k in range(4) if torch.equal(out_images[i], torch.rot90(images[i], k, (-2, -1))))
        assert torch.equal(out_masks[i], torch.rot90(masks[i], k, (-2, -1)))
        turns.append(k)
    assert len(set(turns)) >= 3, turns
    with pytest.raises(ValueError, match=r"expected square images for rotations by 90 degrees, got H x W = \(10, 14\)"):
        random_rot90(*_batch(), _generator())


def test_crop_takes_a_window_of_the_padded_image_with_ignore_padding():
    images, masks = _batch()
    out_images, out_masks = random_crop(images, masks, (8, 9), _generator(3), padding=3)
    assert out_images.shape == (N, 3, 8, 9) and out_masks.shape == (N, 8, 9)
    padded_images = torch.nn.functional.pad(images, (3, 3, 3, 3))
    padded_masks = torch.nn.functional.pad(masks, (3, 3, 3, 3), value=IGNORE_INDEX)
    tops, lefts = set(), set()
    for i in range(N):
        windows = [(t, l) for t in range(H + 6 - 8 + 1) for l in range(W + 6 - 9 + 1)
                   if torch.equal(padded_images[i, :, t:t + 8, l:l + 9], out_images[i])
                   and torch.equal(padded_masks[i, t:t + 8, l:l + 9], out_masks[i])]
        assert windows, f"sample {i} is no window of its padded image and mask"
        tops.add(windows[0][0])
        lefts.add(windows[0][1])
    assert len(tops) > 2 and len(lefts) > 2, "expected different windows within one batch"
    assert (out_masks == IGNORE_INDEX).any(), "expected some padding in the windows"
    outside = out_masks == IGNORE_INDEX
    assert torch.equal(out_images.permute(0, 2, 3, 1)[outside], torch.zeros(int(outside.sum()), 3))


def test_augment_is_reproducible_keeps_alignment_and_does_not_touch_its_input():
    images, masks = _batch(w=H)
    before = images.clone(), masks.clone()
    first = augment(images, masks, _generator(7), rot90=True, crop=8, padding=2)
    second = augment(images, masks, _generator(7), rot90=True, crop=8, padding=2)
    third = augment(images, masks, _generator(8), rot90=True, crop=8, padding=2)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    assert not torch.equal(first[0], third[0])
    assert torch.equal(images, before[0]) and torch.equal(masks, before[1])
    assert first[0].shape == (N, 3, 8, 8) and _aligned(*first)
    # every kept pixel is one of the input's: its (row, column) read back the same mask value
    for i in range(N):
        kept = first[1][i] != IGNORE_INDEX
        r, c = first[0][i, 1][kept].long(), first[0][i, 2][kept].long()
        assert torch.equal(masks[i, r, c], first[1][i][kept])


def test_defaults_only_flip_and_keep_the_size():
    images, masks = _batch()
    out_images, out_masks = augment(images, masks, _generator())
    assert out_images.shape == images.shape and _aligned(out_images, out_masks)
    assert all(torch.equal(out_masks[i], masks[i]) or torch.equal(out_masks[i], masks[i].flip(-1)) for i in range(N))


def test_uint8_masks_and_float16_images_work():
    images, masks = _batch(w=H)
    out_images, out_masks = augment(images.half(), masks.to(torch.uint8), _generator(), rot90=True, crop=6, padding=1)
    assert out_images.dtype == torch.float16 and out_masks.dtype == torch.uint8
    assert _aligned(out_images.float(), out_masks.long())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_same_result_on_the_gpu():
    images, masks = _batch(w=H)
    cpu = augment(images, masks, _generator(5), rot90=True, crop=8, padding=2)
    gpu = augment(images.cuda(), masks.cuda(), _generator(5), rot90=True, crop=8, padding=2)
    assert gpu[0].is_cuda and torch.equal(gpu[0].cpu(), cpu[0]) and torch.equal(gpu[1].cpu(), cpu[1])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_generator_on_the_gpu_augments_without_a_host_sync():
    images, masks = (t.cuda() for t in _batch(w=H))
    generator = torch.Generator(device="cuda").manual_seed(5)
    augment(images, masks, generator, rot90=True, crop=8, padding=2)  # warm-up: lazy initialisation may sync
    torch.cuda.set_sync_debug_mode("error")
    try:
        out = augment(images, masks, generator, rot90=True, crop=8, padding=2)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert out[0].is_cuda and _aligned(out[0].cpu(), out[1].cpu())


@pytest.mark.parametrize("call, message", [
    (lambda i, m, g: random_flip(i, m, g, horizontal=1.5),
     "expected horizontal to be a probability in [0, 1], got 1.5"),
    (lambda i, m, g: random_crop(i, m, 20, g),
     "expected a crop size at most the padded image, 10 x 14, got 20 x 20"),
    (lambda i, m, g: random_crop(i, m, (4, 0), g),
     "expected size to be an int or a pair of ints >= 1 (rows, cols), got (4, 0)"),
    (lambda i, m, g: random_crop(i, m, 4, g, padding=-1), "expected padding to be an int >= 0, got -1"),
    (lambda i, m, g: random_flip(i, m[:, :5], g),
     "expected masks (N, H, W) = (12, 10, 14) on cpu, got (12, 5, 14) on cpu"),
    (lambda i, m, g: random_flip(i[0], m, g), "expected images to be a tensor (N, C, H, W), got (3, 10, 14)"),
    (lambda i, m, g: random_flip(i, m, 0),
     "expected generator to be a torch.Generator on the CPU or on the batch's device (cpu), got 0"),
])
def test_bad_arguments_say_what_was_expected(call, message):
    images, masks = _batch()
    with pytest.raises(ValueError) as error:
        call(images, masks, _generator())
    assert str(error.value) == message


# ------------------------------------------------------------------ elastic deformation


def test_elastic_deformation_without_displacement_changes_nothing():
    images, masks = torch.rand(2, 3, 12, 16), torch.randint(0, 4, (2, 12, 16))
    out, labels = random_elastic(images, masks, torch.Generator().manual_seed(0), std=0.0)
    torch.testing.assert_close(out, images, atol=1e-5, rtol=0)
    assert torch.equal(labels, masks) and labels.dtype == masks.dtype


def test_elastic_deformation_moves_the_mask_with_the_image():
    masks = torch.zeros(3, 40, 40, dtype=torch.int64)
    masks[:, 10:30, 5:20], masks[:, 5:25, 25:35] = 1, 2          # two blocks
    images = masks[:, None].float().repeat(1, 2, 1, 1)           # each image is its mask, as floats
    out, labels = random_elastic(images, masks, torch.Generator().manual_seed(1), std=4.0)
    assert not torch.equal(labels, masks), "a 4 px field moves something"
    assert not torch.equal(labels[0], labels[1]), "each sample gets its own field"
    inside = (out[:, 0] == out[:, 0].round())                    # pixels whose whole neighbourhood is one block
    assert inside.float().mean() > 0.8
    assert torch.equal(labels[inside], out[:, 0][inside].long())
    again = random_elastic(images, masks, torch.Generator().manual_seed(1), std=4.0)
    assert torch.equal(again[1], labels) and torch.equal(again[0], out)


@pytest.mark.parametrize("options, message", [(dict(grid=1), r"expected grid to be an int >= 2, got 1"),
                                              (dict(std=-1), r"expected std to be a number of pixels >= 0, got -1")])
def test_elastic_deformation_refuses_bad_settings(options, message):
    with pytest.raises(ValueError, match=message):
        random_elastic(torch.rand(1, 1, 8, 8), torch.zeros(1, 8, 8, dtype=torch.int64), torch.Generator(), **options)
