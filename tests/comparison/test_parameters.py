"""Parameter counts per component: they partition the model, and the real-size configs match the papers."""

from __future__ import annotations

import importlib.util

import pytest
import torch
from transformers import DetrConfig

from segtutor.comparison import (
    COMPONENTS,
    PAPER_RESULTS,
    build_model,
    component_parameters,
    parameter_table,
    real_size_config,
)
from segtutor.models.tiny import tiny_config

ID2LABEL = {0: "sky", 1: "grass", 2: "circle", 3: "square", 4: "triangle"}
ARCHITECTURES = ("detr", "maskformer", "mask2former")


def _total(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("architecture", ARCHITECTURES)
@pytest.mark.parametrize("size", ["tiny", "real"])
def test_components_sum_to_the_model_total(architecture: str, size: str) -> None:
    config = tiny_config(architecture, ID2LABEL) if size == "tiny" else real_size_config(architecture)
    model = build_model(config)  # meta device: shapes only
    counts = component_parameters(model)
    assert list(counts) == list(COMPONENTS)  # no "other": every parameter has a component
    assert all(count > 0 for count in counts.values())
    assert sum(counts.values()) == _total(model)


@pytest.mark.parametrize("size", ["tiny", "real"])
def test_eomt_parameters_are_vit_queries_and_mask_module_without_pixel_decoder(size: str) -> None:
    config = tiny_config("eomt", ID2LABEL) if size == "tiny" else real_size_config("eomt")
    model = build_model(config)
    counts = component_parameters(model)
    assert list(counts) == list(COMPONENTS) and sum(counts.values()) == _total(model)
    assert counts["pixel decoder / encoder"] == 0  # EoMT has none
    assert counts["transformer decoder"] == config.num_queries * config.hidden_size  # only the queries
    assert counts["backbone"] > counts["heads"] > counts["transformer decoder"]


@pytest.mark.parametrize(("variant", "millions"), [("small", 24), ("base", 94), ("large", 317)])
def test_real_size_eomt_totals(variant: str, millions: int) -> None:
    # ViT-S/B/L with 4 registers and EoMT's mask module: the sizes of the tue-mps COCO panoptic checkpoints
    assert round(_total(build_model(real_size_config("eomt", variant=variant))) / 1e6) == millions


def test_meta_models_allocate_almost_nothing() -> None:
    model = build_model(real_size_config("mask2former"))
    # transformers creates Mask2Former's 768-value level embedding on the CPU explicitly; the rest is meta.
    on_cpu = sum(p.numel() for p in model.parameters() if p.device.type != "meta")
    assert on_cpu < 1e-4 * _total(model)


@pytest.mark.parametrize(("architecture", "backbone"), [("maskformer", "Swin-T"), ("mask2former", "Swin-T")])
def test_real_size_totals_match_the_papers(architecture: str, backbone: str) -> None:
    published = next(
        r["params_M"]
        for r in PAPER_RESULTS
        if r["architecture"].lower() == architecture and r["backbone"] == backbone
    )
    total = _total(build_model(real_size_config(architecture)))
    assert round(total / 1e6) == published


@pytest.mark.skipif(importlib.util.find_spec("timm") is None, reason="timm not installed")
def test_transformers_resnet50_matches_the_timm_backbone_of_the_official_detr() -> None:
    timm_detr = build_model(DetrConfig(num_labels=250, use_pretrained_backbone=False))  # timm resnet50
    ours = build_model(real_size_config("detr"))
    assert component_parameters(timm_detr) == component_parameters(ours)


def test_parameter_table_rows_are_in_millions() -> None:
    models = {a: build_model(tiny_config(a, ID2LABEL)) for a in ARCHITECTURES}
    table = parameter_table(models)
    assert table.columns == ["model", *COMPONENTS, "total"]
    for row, model in zip(table, models.values(), strict=True):
        assert row["total"] == pytest.approx(_total(model) / 1e6)
        assert sum(row[c] for c in COMPONENTS) == pytest.approx(row["total"])
    assert "(millions)" in table.to_markdown()


def test_unknown_architecture_is_explained() -> None:
    with pytest.raises(ValueError, match="architecture must be"):
        real_size_config("yolo")
    with pytest.raises(TypeError, match="DETR, MaskFormer, Mask2Former or EoMT"):
        component_parameters(torch.nn.Linear(2, 2))
