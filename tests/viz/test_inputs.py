"""Images and categories accepted in the forms notebooks hold them."""

from __future__ import annotations

import numpy as np
import PIL.Image
import pytest
import torch
from transformers import Mask2FormerConfig

from segtutor.categories import Category
from segtutor.viz import as_categories, as_rgb_image

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


@pytest.fixture
def rgb():
    return np.random.default_rng(1).integers(0, 256, size=(6, 8, 3), dtype=np.uint8)


def test_uint8_hwc_is_returned_as_a_copy(rgb):
    out = as_rgb_image(rgb)
    np.testing.assert_array_equal(out, rgb)
    assert not np.shares_memory(out, rgb)


@pytest.mark.parametrize(
    "convert",
    [
        lambda a: PIL.Image.fromarray(a),
        lambda a: a.astype(np.float32) / 255.0,
        lambda a: torch.from_numpy(a).permute(2, 0, 1),
        lambda a: torch.from_numpy(a).permute(2, 0, 1)[None].float() / 255.0,
        lambda a: np.moveaxis(a, -1, 0),
        lambda a: np.concatenate([a, np.full((*a.shape[:2], 1), 255, np.uint8)], axis=-1),  # RGBA
    ],
    ids=["pil", "float01", "torch_chw", "torch_batch_float", "numpy_chw", "rgba"],
)
def test_image_forms_give_the_same_rgb(rgb, convert):
    np.testing.assert_array_equal(as_rgb_image(convert(rgb)), rgb)


def test_grayscale_is_repeated_to_three_channels(rgb):
    out = as_rgb_image(rgb[..., 0])
    assert out.shape == (6, 8, 3)
    np.testing.assert_array_equal(out[..., 2], rgb[..., 0])


def normalise(rgb: np.ndarray) -> torch.Tensor:
    x = (rgb.astype(np.float32) / 255.0 - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return torch.from_numpy(x).permute(2, 0, 1)[None]


def test_pixel_values_are_denormalised_with_mean_and_std(rgb):
    out = as_rgb_image(normalise(rgb), image_mean=MEAN, image_std=STD)
    assert np.abs(out.astype(int) - rgb).max() <= 1


def test_pixel_values_are_denormalised_with_a_processor(rgb):
    class Processor:
        image_mean, image_std, rescale_factor, do_rescale = MEAN, STD, 1 / 255, True

    out = as_rgb_image(normalise(rgb), processor=Processor())
    assert np.abs(out.astype(int) - rgb).max() <= 1


def test_normalised_values_without_stats_ask_for_them(rgb):
    with pytest.raises(ValueError, match="image_mean"):
        as_rgb_image(normalise(rgb))


def test_pixel_mask_crops_the_padding(rgb):
    padded = np.zeros((10, 12, 3), np.uint8)
    padded[:6, :8] = rgb
    mask = np.zeros((1, 10, 12), np.int64)
    mask[0, :6, :8] = 1
    np.testing.assert_array_equal(as_rgb_image(padded, pixel_mask=mask), rgb)


def test_bad_shape_says_what_was_expected():
    with pytest.raises(ValueError, match=r"expected \(H, W, 3\).*got shape \(2, 5, 6, 7\)"):
        as_rgb_image(np.zeros((2, 5, 6, 7), np.uint8))


def test_input_tensor_is_not_modified(rgb):
    x = normalise(rgb)
    before = x.clone()
    as_rgb_image(x, image_mean=MEAN, image_std=STD)
    assert torch.equal(x, before)


def test_id2label_with_string_keys():
    cats = as_categories({"0": "sky", "1": "circle"}, thing_ids=[1])
    assert [(c.id, c.name, c.isthing) for c in cats.values()] == [(0, "sky", False), (1, "circle", True)]


def test_model_config_gives_its_id2label():
    config = Mask2FormerConfig(id2label={0: "sky", 1: "circle"})
    assert {i: c.name for i, c in as_categories(config).items()} == {0: "sky", 1: "circle"}


def test_categories_keep_their_colours():
    cat = Category(7, "star", True, (1, 2, 3))
    assert as_categories([cat])[7].color == (1, 2, 3)


def test_list_of_names_gets_ids_from_zero():
    assert {i: c.name for i, c in as_categories(["a", "b"]).items()} == {0: "a", 1: "b"}


@pytest.mark.parametrize(("bad", "error"), [(None, ValueError), ({"sky": 0}, ValueError), (3.5, TypeError),
                                            ([1.5, 2.5], TypeError)])
def test_bad_categories_are_explained(bad, error):
    with pytest.raises(error, match="categories"):
        as_categories(bad)


@pytest.mark.parametrize(
    "convert",
    [
        lambda a: a[..., 0],
        lambda a: a[..., :1],
        lambda a: np.stack([a[..., 0], np.full(a.shape[:2], 7, np.uint8)], axis=-1),  # grey + alpha (LA)
        lambda a: PIL.Image.fromarray(a[..., 0], mode="L"),
        lambda a: PIL.Image.fromarray(a[..., 0], mode="L").convert("LA"),
        lambda a: PIL.Image.fromarray(a[..., 0], mode="L").convert("P"),
        lambda a: torch.from_numpy(a[..., 0])[None],  # (1, H, W)
        lambda a: a[..., 0].astype(np.int64),
        lambda a: a[..., 0].astype(np.uint16) * 256,  # a 16-bit grey image
        lambda a: PIL.Image.fromarray(a[..., 0].astype(np.uint16) * 256),  # mode I;16
    ],
    ids=["hw", "hw1", "hw2_la", "pil_L", "pil_LA", "pil_P", "torch_1hw", "int64", "uint16", "pil_I16"],
)
def test_grey_forms_become_the_same_grey_rgb(rgb, convert):
    out = as_rgb_image(convert(rgb))
    assert out.dtype == np.uint8 and out.shape == (6, 8, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[..., c], rgb[..., 0])


@pytest.mark.parametrize("mode", ["RGBA", "P", "CMYK"])
def test_pil_modes_become_rgb(rgb, mode):
    image = PIL.Image.fromarray(rgb).convert(mode)
    out = as_rgb_image(image)
    assert out.dtype == np.uint8 and out.shape == (6, 8, 3)
    np.testing.assert_array_equal(out, np.array(image.convert("RGB")))


def test_rgba_chw_tensor_drops_alpha(rgb):
    rgba = np.concatenate([rgb, np.zeros((*rgb.shape[:2], 1), np.uint8)], axis=-1)
    np.testing.assert_array_equal(as_rgb_image(torch.from_numpy(rgba).permute(2, 0, 1)), rgb)


def test_grey_input_is_left_untouched(rgb):
    grey = rgb[..., 0].copy()
    before = grey.copy()
    out = as_rgb_image(grey)
    out[:] = 0
    np.testing.assert_array_equal(grey, before)


def test_integers_beyond_8_bit_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"not 8-bit.*Scale them to 0\.\.255"):
        as_rgb_image(np.full((4, 5), 1000, dtype=np.int32))


def test_unsupported_channel_count_says_what_to_pass():
    with pytest.raises(ValueError, match=r"shape \(5, 6, 7\).*convert\('RGB'\)"):
        as_rgb_image(np.zeros((5, 6, 7), np.uint8))
