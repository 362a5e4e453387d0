"""The script that writes data/comparison/*.json, on fake toy checkpoints (parameters only: no timing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from segtutor.comparison import COMPONENTS, load_architectures
from segtutor.comparison.build_data import main
from segtutor.models.tiny import tiny_config
from segtutor.paths import data_dir

ID2LABEL = {0: "sky", 1: "grass", 2: "circle", 3: "square", 4: "triangle"}


def _fake_checkpoints(root: Path) -> Path:
    for architecture in ("detr", "maskformer", "mask2former"):
        folder = root / f"toy-{architecture}-panoptic"
        tiny_config(architecture, ID2LABEL).save_pretrained(folder)
        log = {"config": {"steps": 10, "batch_size": 2, "eval_every": 5}, "history": [],
               "evaluations": [{"step": 5, "PQ": 0.1}, {"step": 10, "PQ": 0.2}]}  # fmt: skip
        (folder / "training_log.json").write_text(json.dumps(log), encoding="utf-8")
    return root


def test_script_writes_both_files_with_the_command(tmp_path: Path) -> None:
    checkpoints = _fake_checkpoints(tmp_path / "checkpoints")
    out = tmp_path / "comparison"
    assert main(["--skip-latency", "--checkpoints", str(checkpoints), "--out", str(out)]) == 0
    data = json.loads((out / "architectures.json").read_text(encoding="utf-8"))
    assert data["command"].startswith("python -m segtutor.comparison.build_data --skip-latency")
    assert set(data["tables"]) == {"parameters_real", "parameters_toy", "papers"}
    tables = load_architectures(out / "architectures.json")
    toy = tables["parameters_toy"]
    assert [row["model"] for row in toy] == ["toy DETR", "toy MaskFormer", "toy Mask2Former"]
    for row in toy:
        assert sum(row[c] for c in COMPONENTS) == pytest.approx(row["total"])
    convergence = json.loads((out / "convergence.json").read_text(encoding="utf-8"))
    assert [r["PQ"] for r in convergence["runs"]] == [[0.1, 0.2]] * 3


def test_bundled_architectures_file_loads() -> None:
    path = data_dir() / "comparison" / "architectures.json"
    if not path.is_file():
        pytest.skip("data/comparison/architectures.json not built yet")
    tables = load_architectures(path)
    real = tables["parameters_real"]
    assert len(real) == 6  # DETR, MaskFormer, Mask2Former, EoMT-L, EoMT-S, EoMT-B
    for row in real:
        assert sum(row[c] for c in COMPONENTS) == pytest.approx(row["total"], abs=0.02)
