"""The ToyShapes generator: deterministic, exact labels, the promised variety."""

from __future__ import annotations

import numpy as np
import pytest

from segtutor.data import TOYSHAPES_CATEGORIES, ToyShapesConfig, generate_scene, generate_split, open_dataset
from segtutor.data.cli import main as cli_main
from segtutor.data.shapes import shape_mask


def _scenes(n: int, **config) -> list:
    return list(generate_split("train", n, seed=0, config=ToyShapesConfig(**config)))


def test_categories_have_fixed_ids_and_kinds():
    names = {c.id: (c.name, c.isthing) for c in TOYSHAPES_CATEGORIES}
    assert names == {
        0: ("sky", False),
        1: ("grass", False),
        2: ("circle", True),
        3: ("square", True),
        4: ("triangle", True),
        5: ("star", True),
    }


def test_same_seed_same_pixels_and_different_seed_different_pixels():
    a = generate_scene(np.random.default_rng(7))
    b = generate_scene(np.random.default_rng(7))
    c = generate_scene(np.random.default_rng(8))
    assert np.array_equal(a.image, b.image) and np.array_equal(a.masks, b.masks)
    assert not np.array_equal(a.image, c.image)


def test_masks_partition_the_image_exactly():
    for sample in _scenes(20, size=64):
        coverage = sample.masks.sum(axis=0)
        assert coverage.min() == 1 and coverage.max() == 1  # every pixel exactly one segment
        assert not sample.ignore.any()
        assert sample.masks.dtype == bool and sample.image.dtype == np.uint8


def test_things_come_in_every_class_with_varied_sizes_and_some_empty_images():
    scenes = _scenes(60)
    thing_ids = np.concatenate([s.category_ids[s.category_ids >= 2] for s in scenes])
    assert set(thing_ids.tolist()) == {2, 3, 4}
    per_image = [int((s.category_ids >= 2).sum()) for s in scenes]
    assert 0 in per_image and max(per_image) >= 4
    areas = np.concatenate([s.masks[s.category_ids >= 2].sum(axis=(1, 2)) for s in scenes])
    assert areas.min() < 150 and areas.max() > 900  # small and large things at 128 x 128
    assert all({0, 1} <= set(s.category_ids.tolist()) for s in scenes)  # sky and grass in every scene


def test_things_touch_or_occlude_each_other_in_some_scenes():
    touching = 0
    for sample in _scenes(30):
        things = sample.masks[sample.category_ids >= 2]
        for i in range(len(things)):
            grown = things[i].copy()
            grown[1:] |= things[i][:-1]
            grown[:-1] |= things[i][1:]
            grown[:, 1:] |= things[i][:, :-1]
            grown[:, :-1] |= things[i][:, 1:]
            touching += int(any((grown & things[j]).any() for j in range(len(things)) if j != i))
    assert touching >= 10


def test_thing_colours_vary_within_a_class():
    colours = [s.image[m].mean(axis=0) for s in _scenes(30) for m in s.masks[s.category_ids == 2]]
    assert np.ptp(np.array(colours), axis=0).max() > 100


def test_star_variant_adds_stars_and_category_5():
    scenes = _scenes(30, with_star=True)
    assert [c.name for c in scenes[0].categories][-1] == "star"
    assert any((s.category_ids == 5).any() for s in scenes)
    assert not any((s.category_ids == 5).any() for s in _scenes(30))


def test_thing_weights_change_how_often_each_class_is_drawn():
    counts = [np.bincount(np.concatenate([s.category_ids for s in _scenes(40, **config)]), minlength=6)
              for config in ({"with_star": True}, {"with_star": True, "thing_weights": (1, 1, 1, 3)})]
    assert counts[1][5] > 2 * counts[0][5]  # three times the weight of each other shape: many more stars
    only_circles = _scenes(20, thing_weights=(1, 0, 0))
    assert set(np.concatenate([s.category_ids for s in only_circles]).tolist()) <= {0, 1, 2}


@pytest.mark.parametrize("size", [32, 200])
def test_any_size_is_allowed(size):
    sample = _scenes(1, size=size)[0]
    assert sample.image.shape == (size, size, 3) and sample.masks.shape[1:] == (size, size)


@pytest.mark.parametrize("name", ["circle", "square", "triangle", "star"])
def test_shape_mask_has_the_expected_area(name):
    mask = shape_mask(name, 200, 200, 100.0, 100.0, 80.0)
    r = 40.0
    expected = {"circle": np.pi * r * r, "square": 80.0 * 80.0, "triangle": 3 * np.sqrt(3) / 4 * r * r}
    if name in expected:
        assert abs(mask.sum() - expected[name]) / expected[name] < 0.03
    else:  # a star is much smaller than its circumscribed circle but bigger than its inner pentagon
        assert 0.2 * np.pi * r * r < mask.sum() < 0.6 * np.pi * r * r


def test_two_generations_are_byte_identical(tmp_path):
    args = ["--seed", "5", "--train", "3", "--val", "2", "--size", "48"]
    for name in ("a", "b"):
        assert cli_main(["--out", str(tmp_path / name / "toy"), *args]) == 0
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) == 1 + 5 * 3 + 4  # card, 5 images x 3 PNGs, 4 JSONs
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_data_card_names_classes_counts_command_and_licence(toy_root):
    card = (toy_root / "README.md").read_text()
    for needle in ("| 2 | circle | thing |", "train 6 images", "segtutor-toyshapes --out", "--seed 3", "CC0"):
        assert needle in card


def test_cli_star_variant_writes_category_5_everywhere(tmp_path):
    assert (
        cli_main(
            ["--out", str(tmp_path / "star"), "--train", "8", "--val", "1", "--size", "64", "--with-star"]
        )
        == 0
    )
    panoptic = open_dataset(tmp_path / "star", "train", "panoptic")
    assert [c.name for c in panoptic.categories][-1] == "star" and panoptic.categories[-1].id == 5
    assert any((s.category_ids == 5).any() for s in panoptic)
    assert "ToyShapes + star" in (tmp_path / "star" / "README.md").read_text()
