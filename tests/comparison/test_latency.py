"""``measure_latency`` on tiny models: sane positive numbers, state restored afterwards."""

from __future__ import annotations

import pytest
import torch

from segtutor.comparison import measure_latency
from segtutor.models.tiny import build_tiny_model

ID2LABEL = {0: "sky", 1: "grass", 2: "circle", 3: "square", 4: "triangle"}


@pytest.fixture(scope="module")
def tiny_models() -> dict[str, torch.nn.Module]:
    return {a: build_tiny_model(a, ID2LABEL, image_size=64) for a in ("detr", "maskformer", "mask2former")}


def test_latency_rows_are_positive_and_ordered(tiny_models) -> None:
    table = measure_latency(tiny_models, height=64, width=64, repeats=3, warmup=1, num_threads=1)
    assert [row["model"] for row in table] == list(tiny_models)
    for row in table:
        assert 0 < row["min_ms"] <= row["median_ms"] <= row["max_ms"] < 60_000
        assert row["relative"] >= 1.0
        assert (row["repeats"], row["threads"], row["input"]) == (3, 1, "1×3×64×64")
    assert min(row["relative"] for row in table) == pytest.approx(1.0)


def test_threads_and_modes_are_restored(tiny_models) -> None:
    before = torch.get_num_threads()
    for model in tiny_models.values():
        model.train()
    measure_latency(tiny_models, height=32, width=32, repeats=1, warmup=0, num_threads=1)
    assert torch.get_num_threads() == before
    assert all(model.training for model in tiny_models.values())


@pytest.mark.parametrize("kwargs", [{"repeats": 0}, {"warmup": -1}, {"batch_size": 0}])
def test_bad_settings_are_explained(tiny_models, kwargs) -> None:
    with pytest.raises(ValueError, match="Need repeats"):
        measure_latency(tiny_models, **kwargs)


def test_no_models_is_explained() -> None:
    with pytest.raises(ValueError, match="at least one model"):
        measure_latency({})
