"""The tiny EoMT: it trains, its masked attention is annealed to off, and it reloads identically."""

from __future__ import annotations

import itertools

import pytest
import torch
from transformers import AutoImageProcessor, AutoModelForUniversalSegmentation

from segtutor.data import collate_fn
from segtutor.models import build_tiny_model
from segtutor.training import TrainConfig, train
from segtutor.training.mask_annealing import anneal_attention_masks, annealing_windows, mask_probability

STEPS = 30


@pytest.fixture(scope="module")
def trained(tmp_path_factory, scenes):
    """A tiny EoMT trained for 30 steps on eight 64 px scenes, saved to a folder."""
    from segtutor.data import TrainingDataset
    from segtutor.models.tiny import make_image_processor

    torch.set_num_threads(1)
    processor = make_image_processor("eomt", image_size=64)
    dataset = TrainingDataset(scenes, processor, augment=False)
    model = build_tiny_model("eomt", dataset.id2label, image_size=64, seed=0)
    folder = tmp_path_factory.mktemp("eomt")
    config = TrainConfig(steps=STEPS, batch_size=4, learning_rate=1e-3, warmup_steps=3, log_every=3,
                         device="cpu", seed=0)
    result = train(model, dataset, collate_fn, config, processor=processor, output_dir=folder, progress=False)
    return model, processor, folder, result


def test_the_loss_falls(trained):
    losses = [record["loss"] for record in trained[3].history]
    assert sum(losses[-3:]) / 3 < 0.8 * sum(losses[:3]) / 3


def test_every_block_starts_masked_and_ends_unmasked(trained):
    probs = [record["attn_mask_probs"] for record in trained[3].history]
    assert probs[0] == [1.0, 1.0, 1.0]  # the first part of the training: every mask on
    assert probs[-1] == [0.0, 0.0, 0.0]
    for earlier, later in itertools.pairwise(probs):  # never switched back on
        assert all(b <= a for a, b in zip(earlier, later, strict=True))
    assert torch.equal(trained[0].attn_mask_probs, torch.zeros(3))


def test_inference_after_annealing_predicts_once_without_masks(trained):
    model = trained[0].eval()
    calls = []
    hook = model.mask_head.register_forward_hook(lambda *args: calls.append(1))
    with torch.no_grad():
        model(pixel_values=torch.zeros(1, 3, 64, 64))
        unmasked = len(calls)
        model.attn_mask_probs.fill_(1.0)  # as before training: every masked block predicts a mask first
        model(pixel_values=torch.zeros(1, 3, 64, 64))
        model.attn_mask_probs.zero_()
    hook.remove()
    assert unmasked == 1 and len(calls) - unmasked == 1 + 3


def test_save_and_reload_with_auto_classes_gives_identical_outputs(trained):
    model, _, folder, _ = trained
    reloaded = AutoModelForUniversalSegmentation.from_pretrained(folder, use_safetensors=True).eval()
    processor = AutoImageProcessor.from_pretrained(folder)
    assert type(reloaded).__name__ == "EomtForUniversalSegmentation"
    assert torch.equal(reloaded.attn_mask_probs, torch.zeros(3))  # the annealed state is saved
    pixels = processor(images=[torch.zeros(64, 64, 3, dtype=torch.uint8).numpy()], return_tensors="pt")
    with torch.no_grad():
        a = model.eval()(pixel_values=pixels["pixel_values"])
        b = reloaded(pixel_values=pixels["pixel_values"])
    assert torch.equal(a.masks_queries_logits, b.masks_queries_logits)
    assert torch.equal(a.class_queries_logits, b.class_queries_logits)


def test_windows_follow_the_authors_coco_schedule():
    # configs/dinov2/coco/panoptic/eomt_large_640.yaml: 4 blocks, 12 epochs of COCO at batch 16
    assert annealing_windows(6 * 14782, 4) == [(14782, 29564), (29564, 44346), (44346, 59128), (59128, 73910)]


@pytest.mark.parametrize(("step", "expected"), [(0, 1.0), (10, 1.0), (15, 0.5**0.9), (20, 0.0), (99, 0.0)])
def test_mask_probability_decays_polynomially_inside_its_window(step, expected):
    assert mask_probability(step, 10, 20) == pytest.approx(expected)


def test_annealing_leaves_other_families_alone():
    model = build_tiny_model("mask2former", {0: "a", 1: "b"}, image_size=64)
    assert anneal_attention_masks(model, 5, 10) is None


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_windows_need_a_positive_number_of_steps(bad):
    with pytest.raises(ValueError, match="positive int"):
        annealing_windows(bad, 3)
