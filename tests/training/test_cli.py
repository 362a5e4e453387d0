"""``segtutor-train`` end to end on a few tiny images: train, evaluate, save, fine-tune with a new class."""

from __future__ import annotations

import json

import pytest

from segtutor.data import ToyShapesConfig, write_toyshapes
from segtutor.models import load_pretrained
from segtutor.training.cli import main

FAST = ["--steps", "3", "--batch-size", "2", "--image-size", "64", "--eval-images", "2", "--eval-every", "2",
        "--log-every", "1", "--warmup-steps", "1", "--device", "cpu", "--no-progress"]


@pytest.fixture(scope="module")
def toy_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    write_toyshapes(root / "plain", n_train=4, n_val=2, config=ToyShapesConfig(size=64))
    write_toyshapes(root / "star", n_train=4, n_val=2, config=ToyShapesConfig(size=64, with_star=True))
    return root


@pytest.fixture(scope="module")
def trained(toy_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "m2f"
    assert main(["--architecture", "mask2former", "--data", str(toy_data / "plain"), "--output-dir", str(out),
                 *FAST]) == 0
    return out


def test_cli_trains_evaluates_and_saves(trained):
    for name in ("config.json", "model.safetensors", "preprocessor_config.json", "training_log.json",
                 "training_command.json"):
        assert (trained / name).is_file(), name
    log = json.loads((trained / "training_log.json").read_text())
    assert [e["step"] for e in log["evaluations"]] == [2, 3]
    assert {"PQ", "PQ_th", "PQ_st", "mAP", "mIoU"} <= set(log["evaluations"][-1])
    assert [h["step"] for h in log["history"]] == [1, 2, 3]
    model, processor = load_pretrained(trained, local_files_only=True)
    assert model.config.id2label[4] == "triangle"
    assert processor.size["height"] == 64


def test_cli_fine_tunes_a_checkpoint_on_a_new_class(trained, toy_data, tmp_path):
    out = tmp_path / "star"
    assert main(["--architecture", "mask2former", "--init", str(trained), "--data", str(toy_data / "star"),
                 "--output-dir", str(out), *FAST]) == 0
    model, _ = load_pretrained(out, local_files_only=True)
    assert model.config.id2label[5] == "star"
    assert model.class_predictor.out_features == 7  # 6 classes + "no object"


@pytest.mark.parametrize("architecture", ["maskformer", "detr"])
def test_cli_trains_the_other_architectures(toy_data, tmp_path, architecture):
    out = tmp_path / architecture
    args = ["--architecture", architecture, "--data", str(toy_data / "plain"), "--output-dir", str(out),
            "--val-split", "", *FAST]
    assert main(args) == 0
    assert load_pretrained(out, local_files_only=True)[0].config.model_type == architecture


def test_cli_rejects_an_unknown_architecture(capsys):
    with pytest.raises(SystemExit):
        main(["--architecture", "segformer", "--output-dir", "x"])
    assert "invalid choice" in capsys.readouterr().err
