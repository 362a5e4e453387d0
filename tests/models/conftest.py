"""Fixtures for the model tests: a tiny bundled-checkpoint folder in a temporary data directory."""

from __future__ import annotations

import pytest

from segtutor.models.tiny import build_tiny_model, make_image_processor

TOY_LABELS = {0: "sky", 1: "grass", 2: "circle", 3: "square", 4: "triangle"}


@pytest.fixture(scope="session")
def fake_data_dir(tmp_path_factory):
    """A data folder whose ``checkpoints/toy-mask2former-panoptic`` holds a random tiny model."""
    root = tmp_path_factory.mktemp("data")
    folder = root / "checkpoints" / "toy-mask2former-panoptic"
    build_tiny_model("mask2former", TOY_LABELS, seed=0).save_pretrained(folder)
    make_image_processor("mask2former", image_size=64).save_pretrained(folder)
    return root


@pytest.fixture
def offline(monkeypatch, tmp_path, fake_data_dir):
    """No Hub, an empty Hub cache, and the fake data folder."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    monkeypatch.setenv("SEGTUTOR_DATA_DIR", str(fake_data_dir))
    import huggingface_hub.constants as hub_constants

    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    return fake_data_dir
