"""Offline-first loading: ``auto`` falls back to the bundled toy and says so; ``hub`` fails clearly."""

from __future__ import annotations

import time

import pytest
import torch

import segtutor.models.loading as loading
from segtutor.models import HubUnavailableError, LoadedModel, bundled_checkpoint, find_checkpoint, load_model


def test_auto_offline_falls_back_to_bundled_and_says_why(offline):
    loaded = load_model("mask2former", "panoptic", source="auto", device="cpu")
    assert loaded.source == "bundled"
    assert loaded.is_toy
    assert loaded.checkpoint == str(offline / "checkpoints" / "toy-mask2former-panoptic")
    assert "TOY" in loaded.message and "not reachable" in loaded.message
    assert "facebook/mask2former-swin-tiny-coco-panoptic" in loaded.message  # names what it is NOT
    assert "\n" not in loaded.message
    assert not loaded.model.training
    assert loaded.model.device.type == "cpu"


def test_loaded_model_unpacks_as_model_and_processor(offline):
    loaded = load_model("mask2former", source="bundled", device="cpu")
    model, processor = loaded
    assert model is loaded.model and processor is loaded.processor
    assert type(processor).__name__.startswith("Mask2FormerImageProcessor")


@pytest.mark.parametrize("task", ["instance", "semantic"])
def test_other_tasks_offline_say_the_panoptic_toy_is_post_processed(offline, task):
    loaded = load_model("mask2former", task, device="cpu")
    assert loaded.source == "bundled" and loaded.task == task
    assert f"post-processed for the {task} task" in loaded.message


def test_auto_fallback_decides_within_two_seconds(offline, monkeypatch):
    monkeypatch.setattr(loading, "load_pretrained", lambda *a, **k: (torch.nn.Linear(1, 1), object()))
    start = time.perf_counter()
    loaded = load_model("mask2former", device="cpu")
    assert time.perf_counter() - start < 2.0
    assert loaded.source == "bundled"


def test_forced_hub_offline_raises_a_clear_error(offline):
    with pytest.raises(HubUnavailableError, match="source='bundled'") as info:
        load_model("mask2former", source="hub", device="cpu")
    assert "facebook/mask2former-swin-tiny-coco-panoptic" in str(info.value)
    assert "HF_HUB_OFFLINE" in str(info.value)


def test_forced_bundled_without_checkpoint_names_the_fix(offline):
    with pytest.raises(FileNotFoundError, match="segtutor-train --architecture detr"):
        load_model("detr", source="bundled", device="cpu")


def test_bundled_path_honours_segtutor_data_dir(offline):
    assert bundled_checkpoint("mask2former") == offline / "checkpoints" / "toy-mask2former-panoptic"


def test_explicit_folder_is_loaded_as_local(offline):
    folder = offline / "checkpoints" / "toy-mask2former-panoptic"
    loaded = load_model("mask2former", checkpoint=folder, device="cpu")
    assert loaded.source == "local" and not loaded.is_toy
    assert loaded.model.config.id2label[2] == "circle"


@pytest.mark.parametrize("bad", [{"architecture": "segformer"}, {"task": "depth"}, {"source": "internet"}])
def test_unknown_names_are_rejected_with_the_valid_ones(offline, bad):
    kwargs = {"architecture": "mask2former", "task": "panoptic", "source": "auto", **bad}
    with pytest.raises(ValueError, match="must be"):
        load_model(kwargs.pop("architecture"), kwargs.pop("task"), source=kwargs.pop("source"), device="cpu")


@pytest.mark.parametrize(
    ("architecture", "task", "hub_id"),
    [
        ("mask2former", "panoptic", "facebook/mask2former-swin-tiny-coco-panoptic"),
        ("mask2former", "instance", "facebook/mask2former-swin-tiny-coco-instance"),
        ("mask2former", "semantic", "facebook/mask2former-swin-tiny-ade-semantic"),
        ("maskformer", "panoptic", "facebook/maskformer-swin-tiny-coco"),
        ("detr", "panoptic", "facebook/detr-resnet-50-panoptic"),
    ],
)
def test_registry_names_the_official_checkpoints(architecture, task, hub_id):
    entry = find_checkpoint(architecture, task)
    assert entry.hub_id == hub_id
    assert entry.bundled == f"toy-{architecture}-panoptic"


def test_loaded_model_repr_is_its_message(offline):
    loaded = load_model("mask2former", device="cpu")
    assert isinstance(loaded, LoadedModel)
    assert repr(loaded) == f"LoadedModel({loaded.message})"


def test_auto_falls_back_when_the_hub_download_fails(offline, monkeypatch):
    import segtutor.runtime

    monkeypatch.setattr(segtutor.runtime, "hub_status",
                        lambda timeout=2.0: segtutor.runtime.HubStatus(True, "The Hub answered.", 0.1))
    real = loading.load_pretrained

    def flaky(path, **kwargs):
        if str(path).startswith("facebook/"):
            raise OSError("connection reset")
        return real(path, **kwargs)

    monkeypatch.setattr(loading, "load_pretrained", flaky)
    monkeypatch.setattr(loading, "download_checkpoint", lambda repo_id, **kwargs: {"model.safetensors": True})
    loaded = load_model("mask2former", device="cpu")
    assert loaded.source == "bundled"
    assert "connection reset" in loaded.message
    with pytest.raises(HubUnavailableError, match="connection reset"):
        load_model("mask2former", source="hub", device="cpu")
