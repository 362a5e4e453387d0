"""model_categories: the thing / stuff split and colours of a model's classes, from its id2label."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from segtutor.data import toyshapes_categories
from segtutor.models import COCO_THING_NAMES, model_categories


def _model(id2label):
    return SimpleNamespace(config=SimpleNamespace(id2label=id2label))


def test_toyshapes_model_gets_the_dataset_categories_with_colours():
    toy = toyshapes_categories()
    labels = {str(c.id): c.name for c in toy}  # config.json stores the keys as strings
    assert model_categories(_model(labels)) == toy


def test_toyshapes_with_star_is_recognised():
    toy = toyshapes_categories(with_star=True)
    cats = model_categories(_model({c.id: c.name for c in toy}))
    assert [c.name for c in cats][-1] == "star" and cats[-1].isthing


def test_coco_panoptic_label_map_marks_the_80_objects_as_things():
    things = sorted(COCO_THING_NAMES)
    stuff = ["wall-other-merged", "sky-other-merged", "grass-merged"]
    labels = dict(enumerate(things + stuff))
    cats = model_categories(_model(labels))
    assert sum(c.isthing for c in cats) == 80
    assert [c.name for c in cats if not c.isthing] == stuff


def test_detr_placeholders_are_left_out():
    labels = {i: name for i, name in enumerate(sorted(COCO_THING_NAMES))}
    labels.update({80: "N/A", 81: "banner"})
    cats = model_categories(_model(labels))
    assert "N/A" not in [c.name for c in cats]
    assert {c.name: c.isthing for c in cats}["banner"] is False


def test_unknown_labels_are_all_things_unless_told():
    labels = {0: "road", 1: "car"}
    assert all(c.isthing for c in model_categories(_model(labels)))
    told = model_categories(_model(labels), thing_ids=[1])
    assert [(c.name, c.isthing) for c in told] == [("road", False), ("car", True)]


def test_a_loaded_model_is_read_through_its_model():
    loaded = SimpleNamespace(model=_model({0: "sky", 1: "grass", 2: "circle", 3: "square", 4: "triangle"}))
    assert model_categories(loaded) == toyshapes_categories()


def test_input_without_id2label_is_a_type_error_that_says_what_to_pass():
    with pytest.raises(TypeError, match="id2label"):
        model_categories(object())
