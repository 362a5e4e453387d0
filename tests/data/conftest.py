"""Shared fixtures: a tiny ToyShapes dataset written once per test session."""

from __future__ import annotations

import pytest

from segtutor.data import ToyShapesConfig, generate_split, write_toyshapes

TINY = ToyShapesConfig(size=64, empty_fraction=0.5)


@pytest.fixture(scope="session")
def toy_root(tmp_path_factory):
    """A 64 x 64 ToyShapes dataset, 6 train and 2 val images; train images 2 and 3 have no things."""
    root = tmp_path_factory.mktemp("toy") / "toy-shapes"
    write_toyshapes(root, seed=3, n_train=6, n_val=2, config=TINY)
    return root


@pytest.fixture(scope="session")
def toy_generated():
    """The samples written to ``toy_root``'s train split, straight from the generator."""
    return list(generate_split("train", 6, seed=3, config=TINY))
