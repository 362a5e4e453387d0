"""Convergence data: assembled from training logs, written with its command, loaded back for plotting."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from segtutor.comparison import (
    build_convergence,
    checkpoint_dirs,
    load_convergence,
    toy_quality,
    write_convergence,
)
from segtutor.paths import data_dir


def _write_log(folder: Path, pq: list[float], *, steps: int = 300, eval_every: int = 100) -> Path:
    folder.mkdir(parents=True)
    log = {
        "config": {
            "steps": steps,
            "batch_size": 8,
            "eval_every": eval_every,
            "learning_rate": 3e-4,
            "seed": 0,
        },
        "history": [{"step": s, "loss": 10.0 / s, "lr": 1e-4, "elapsed_s": s / 10} for s in (50, 100, 150)],
        "evaluations": [
            {"step": eval_every * (i + 1), "elapsed_s": 1.0 + i, "PQ": v, "PQ_th": v / 2, "PQ_st": math.nan}
            for i, v in enumerate(pq)
        ],
        "seconds": 42.0,
    }
    (folder / "training_log.json").write_text(json.dumps(log), encoding="utf-8")  # NaN as Python writes it
    return folder


@pytest.fixture
def checkpoints(tmp_path: Path) -> Path:
    root = tmp_path / "checkpoints"
    _write_log(root / "toy-detr-panoptic", [0.1, 0.2, 0.3])
    _write_log(root / "toy-maskformer-panoptic", [0.2, 0.4, 0.5])
    _write_log(root / "toy-mask2former-panoptic", [0.3, 0.6, 0.7])
    return root


def test_curves_are_assembled_in_step_order(checkpoints: Path) -> None:
    folders = checkpoint_dirs(checkpoints)
    assert list(folders) == ["detr", "maskformer", "mask2former"]
    document = build_convergence(folders)
    assert document["same_budget"] is True
    assert document["budget"] == {"steps": 300, "batch_size": 8, "eval_every": 100}
    m2f = next(r for r in document["runs"] if r["architecture"] == "mask2former")
    assert m2f["name"] == "Mask2Former"
    assert m2f["steps"] == [100, 200, 300]
    assert m2f["PQ"] == [0.3, 0.6, 0.7]
    assert m2f["PQ_st"] == [None, None, None]  # nan in the log → None in JSON
    assert m2f["loss_steps"] == [50, 100, 150]


def test_written_file_loads_back_with_its_command(checkpoints: Path, tmp_path: Path) -> None:
    path = write_convergence(
        build_convergence(checkpoint_dirs(checkpoints)), tmp_path / "c.json", command="cmd x"
    )
    data = load_convergence(path)
    assert data["command"] == "cmd x"
    assert [len(r["steps"]) for r in data["runs"]] == [3, 3, 3]


def test_different_budgets_are_flagged(tmp_path: Path) -> None:
    a = _write_log(tmp_path / "a", [0.1], steps=300)
    b = _write_log(tmp_path / "b", [0.1], steps=600)
    assert build_convergence({"detr": a, "mask2former": b})["same_budget"] is False


def test_log_without_evaluations_is_explained(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "training_log.json").write_text(
        json.dumps({"history": [], "evaluations": []}), encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"training_log.json: field 'evaluations'.*eval_every"):
        build_convergence({"detr": folder})


def test_toy_quality_reports_the_last_evaluation_in_percent(checkpoints: Path) -> None:
    table = toy_quality(build_convergence(checkpoint_dirs(checkpoints)), keys=("PQ", "PQ_st"))
    assert [row["model"] for row in table] == ["toy DETR", "toy MaskFormer", "toy Mask2Former"]
    assert table[2]["PQ"] == pytest.approx(70.0)
    assert table[2]["steps"] == 300
    assert table[2]["PQ_st"] is None


def test_missing_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"segtutor\.comparison\.build_data"):
        load_convergence(tmp_path / "nope.json")


def test_bundled_convergence_data_loads() -> None:
    path = data_dir() / "comparison" / "convergence.json"
    if not path.is_file():
        pytest.skip("data/comparison/convergence.json not built yet (needs the trained toy checkpoints)")
    data = load_convergence(path)
    assert {r["architecture"] for r in data["runs"]} == {"detr", "maskformer", "mask2former", "eomt"}
    assert data["same_budget"] is True
    for run in data["runs"]:
        assert run["steps"] == sorted(run["steps"])
        assert all(v is None or 0.0 <= v <= 1.0 for v in run["PQ"])


def _write_card(folder: Path, num_images: int, pq: float) -> None:
    _write_log(folder, [pq])
    card = {"split": "val", "num_images": num_images, "metrics": {"PQ": pq, "PQ_th": pq / 2, "mAP": 0.1}}
    (folder / "eval_results.json").write_text(json.dumps(card), encoding="utf-8")


def test_card_quality_reports_the_model_cards_final_scores(tmp_path: Path) -> None:
    from segtutor.comparison import card_quality

    _write_card(tmp_path / "toy-detr-panoptic", 100, 0.02)
    _write_card(tmp_path / "toy-mask2former-panoptic", 100, 0.75)
    table = card_quality(tmp_path, keys=("PQ", "PQ_th", "mIoU"))
    assert [row["model"] for row in table] == ["toy DETR", "toy Mask2Former"]
    assert table[1]["PQ"] == pytest.approx(75.0) and table[1]["PQ_th"] == pytest.approx(37.5)
    assert table[1]["mIoU"] is None
    assert "all 100 images" in table.title and "model cards" in table.title


def test_card_quality_refuses_cards_scored_on_different_images(tmp_path: Path) -> None:
    from segtutor.comparison import card_quality

    _write_card(tmp_path / "toy-detr-panoptic", 100, 0.02)
    _write_card(tmp_path / "toy-maskformer-panoptic", 50, 0.5)
    with pytest.raises(ValueError, match="different numbers of images"):
        card_quality(tmp_path)


def test_card_quality_says_how_to_make_a_missing_card(tmp_path: Path) -> None:
    from segtutor.comparison import card_quality

    _write_log(tmp_path / "toy-detr-panoptic", [0.1])
    with pytest.raises(FileNotFoundError, match=r"segtutor\.training\.model_card"):
        card_quality(tmp_path)
