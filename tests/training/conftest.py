"""Fixtures for the training tests: a handful of small ToyShapes scenes as a training dataset."""

from __future__ import annotations

import pytest

from segtutor.data import ToyShapesConfig, TrainingDataset, generate_split, toyshapes_categories
from segtutor.models.tiny import make_image_processor


class SceneList(list):
    """A list of samples with the ``categories`` attribute that segtutor readers have."""

    def __init__(self, samples, categories):
        super().__init__(samples)
        self.categories = categories


@pytest.fixture(scope="session")
def scenes():
    """Eight 64×64 ToyShapes scenes (seeded)."""
    config = ToyShapesConfig(size=64, empty_fraction=0.0)
    return SceneList(list(generate_split("train", 8, seed=3, config=config)), toyshapes_categories())


@pytest.fixture
def make_dataset(scenes):
    def make(architecture: str, n: int = 8) -> TrainingDataset:
        processor = make_image_processor(architecture, image_size=64)
        return TrainingDataset(SceneList(scenes[:n], scenes.categories), processor, augment=False)

    return make


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Use one CPU thread: on a shared machine the tiny models train several times faster than with two."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
