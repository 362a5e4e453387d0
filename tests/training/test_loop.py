"""The training loop: it learns, saves a loadable checkpoint, logs, and resumes exactly."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForUniversalSegmentation

from segtutor.data import collate_fn
from segtutor.models import build_tiny_model, load_pretrained
from segtutor.training import TrainConfig, train

LABELS = {0: "sky", 1: "grass", 2: "circle", 3: "square", 4: "triangle"}


def _fixed_loss(model, batch, seed=0):
    torch.manual_seed(seed)  # Mask2Former samples points at random in its loss
    with torch.no_grad():
        return float(model(**batch).loss)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("architecture", "ratio"),
    # DETR's loss is dominated by its box and class terms, which fall slowly from scratch: a smaller cut.
    [("mask2former", 0.8), ("maskformer", 0.8), ("detr", 0.98)],
)
def test_twenty_steps_lower_the_loss(make_dataset, architecture, ratio):
    dataset = make_dataset(architecture, n=4)
    batch = collate_fn([dataset[i] for i in range(4)])
    model = build_tiny_model(architecture, LABELS, image_size=64)
    before = _fixed_loss(model, batch)
    config = TrainConfig(steps=20, batch_size=4, learning_rate=1e-3, warmup_steps=2, device="cpu")
    train(model, dataset, collate_fn, config, progress=False)
    after = _fixed_loss(model, batch)
    assert after < ratio * before, f"{architecture}: loss {before:.3f} -> {after:.3f}"


def test_checkpoint_round_trip_gives_identical_outputs(make_dataset, tmp_path):
    dataset = make_dataset("mask2former", n=4)
    model = build_tiny_model("mask2former", LABELS, image_size=64)
    config = TrainConfig(steps=2, batch_size=2, device="cpu")
    train(model, dataset, collate_fn, config, processor=dataset.processor, output_dir=tmp_path,
          progress=False)

    loaded = AutoModelForUniversalSegmentation.from_pretrained(tmp_path, use_safetensors=True).eval()
    pixels = collate_fn([dataset[0]])["pixel_values"]
    with torch.no_grad():
        expected = model.eval()(pixel_values=pixels)
        got = loaded(pixel_values=pixels)
    torch.testing.assert_close(got.class_queries_logits, expected.class_queries_logits, rtol=0, atol=0)
    torch.testing.assert_close(got.masks_queries_logits, expected.masks_queries_logits, rtol=0, atol=0)
    assert loaded.config.id2label == LABELS
    assert loaded.config.label2id == {v: k for k, v in LABELS.items()}
    _, processor = load_pretrained(tmp_path, local_files_only=True)
    assert processor.size["height"] == 64


def test_log_callback_and_training_log_json(make_dataset, tmp_path):
    dataset = make_dataset("maskformer", n=4)
    model = build_tiny_model("maskformer", LABELS, image_size=64)
    records = []
    calls = []

    def evaluate_fn(m):
        calls.append(m.training)
        return {"PQ": 0.25 * len(calls)}

    config = TrainConfig(steps=4, batch_size=2, log_every=2, eval_every=2, device="cpu")
    result = train(model, dataset, collate_fn, config, output_dir=tmp_path, evaluate_fn=evaluate_fn,
                   on_log=records.append, progress=False)
    assert calls == [False, False]  # evaluated in eval mode, at steps 2 and 4
    assert model.training  # ... and training mode restored
    assert [r["step"] for r in result.history] == [2, 4]
    assert [(r["step"], r["PQ"]) for r in result.evaluations] == [(2, 0.25), (4, 0.5)]
    assert len(records) == 4 and {"loss", "lr"} <= set(records[0])
    log = json.loads((tmp_path / "training_log.json").read_text())
    assert log["history"] == result.history and log["evaluations"] == result.evaluations
    assert log["config"]["steps"] == 4


def test_resume_continues_exactly(make_dataset, tmp_path):
    dataset = make_dataset("maskformer", n=4)
    config = TrainConfig(steps=4, batch_size=2, save_every=2, warmup_steps=1, seed=5, device="cpu")

    straight = build_tiny_model("maskformer", LABELS, image_size=64)
    train(straight, dataset, collate_fn, config, output_dir=tmp_path / "a", progress=False)

    interrupted = build_tiny_model("maskformer", LABELS, image_size=64)
    train(interrupted, dataset, collate_fn, config, output_dir=tmp_path / "b", progress=False)
    # Throw away the final state and resume from the step-2 checkpoint.
    for name in ("training_state.json", "training_state.safetensors"):
        (tmp_path / "b" / name).unlink()
    resumed = build_tiny_model("maskformer", LABELS, image_size=64, seed=99)  # weights come from the folder
    result = train(resumed, dataset, collate_fn, config, output_dir=tmp_path / "b", resume=True,
                   progress=False)
    assert result.history[-1]["step"] == 4
    pairs = zip(straight.state_dict().items(), resumed.state_dict().values(), strict=True)
    for (name, a), b in pairs:
        torch.testing.assert_close(a, b, msg=f"{name} differs after resuming")


def test_resume_state_is_safetensors_and_json_only(make_dataset, tmp_path):
    dataset = make_dataset("detr", n=2)
    model = build_tiny_model("detr", LABELS, image_size=64)
    train(model, dataset, collate_fn, TrainConfig(steps=1, batch_size=2, device="cpu"), output_dir=tmp_path,
          progress=False)
    tensors = load_file(tmp_path / "training_state.safetensors")
    assert "rng.torch" in tensors and any(k.startswith("optimizer.") for k in tensors)
    meta = json.loads((tmp_path / "training_state.json").read_text())
    assert meta["step"] == 1
    assert not list(tmp_path.glob("*.bin")) and not list(tmp_path.glob("*.pt"))


def test_resume_without_state_explains(make_dataset, tmp_path):
    dataset = make_dataset("maskformer", n=2)
    model = build_tiny_model("maskformer", LABELS, image_size=64)
    with pytest.raises(FileNotFoundError, match="training_state"):
        train(model, dataset, collate_fn, TrainConfig(steps=1, batch_size=2, device="cpu"),
              output_dir=tmp_path, resume=True, progress=False)
