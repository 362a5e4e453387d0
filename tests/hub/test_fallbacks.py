"""Online mode against the Hub double: the official checkpoints load, and every failure is decided fast.

Whatever goes wrong (HTTP 500, a download that breaks off or stalls, a probe that does not answer), ``auto``
falls back to the bundled toy within 15 s and says in one sentence what happened, which checkpoint it uses
instead and how to fix it; ``hub`` raises with the same facts.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from segtutor.models import HubUnavailableError, load_model, model_categories
from segtutor.models.registry import CHECKPOINTS
from segtutor.viz import draw_panoptic

DECISION_SECONDS = 15.0
REPO = "facebook/mask2former-swin-tiny-coco-panoptic"

# fault -> words the sentence must contain (what happened)
FAULTS = {
    "http-500": "HTTP 500",
    "truncated": "keeps breaking off",
    "stalled": "stalled",
    "slow-probe": "did not answer within",
}


@pytest.mark.parametrize(("architecture", "task", "hub_id"),
                         [(e.architecture, e.task, e.hub_id) for e in CHECKPOINTS])
def test_every_official_checkpoint_loads_from_the_hub(online_hub, architecture, task, hub_id):
    loaded = load_model(architecture, task, source="hub", device="cpu")
    assert loaded.source == "hub" and not loaded.is_toy
    assert loaded.message.startswith(f"Using the official checkpoint {hub_id} ")
    assert "the Hub is reachable" in loaded.message


def test_a_second_load_comes_from_the_cache_when_the_hub_goes_away(online_hub, monkeypatch):
    load_model("mask2former", "panoptic", source="hub", device="cpu")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    loaded = load_model("mask2former", "panoptic", source="hub", device="cpu")
    assert loaded.source == "hub" and "local cache" in loaded.message


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_auto_falls_back_within_15_seconds_with_one_plain_sentence(online_hub, fault):
    online_hub.set_fault(fault)
    start = time.perf_counter()
    loaded = load_model("mask2former", "panoptic", source="auto", device="cpu")
    seconds = time.perf_counter() - start
    assert seconds < DECISION_SECONDS, f"{fault}: decided after {seconds:.1f} s"
    assert loaded.source == "bundled" and loaded.is_toy
    message = loaded.message
    assert "\n" not in message and message.count(". ") == 0 and message.endswith(".")  # one sentence
    assert FAULTS[fault] in message  # what happened
    assert "bundled TOY checkpoint toy-mask2former-panoptic" in message and REPO in message  # which instead
    assert "to use the official one," in message and "run this cell again" in message  # how to fix it


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_forced_hub_raises_within_15_seconds_naming_the_failure_and_the_fix(online_hub, fault):
    online_hub.set_fault(fault)
    start = time.perf_counter()
    with pytest.raises(HubUnavailableError) as info:
        load_model("mask2former", "panoptic", source="hub", device="cpu")
    assert time.perf_counter() - start < DECISION_SECONDS
    text = str(info.value)
    assert FAULTS[fault] in text and REPO in text and "Fix:" in text and "source='bundled'" in text


def test_detr_na_ids_are_left_out_of_the_categories_and_drawn_as_unknown(online_hub):
    loaded = load_model("detr", "panoptic", source="hub", device="cpu")
    categories = model_categories(loaded)
    assert len(categories) == 133 and 183 not in {c.id for c in categories}  # 183 is one of DETR's "N/A"
    image = np.full((48, 64, 3), 128, dtype=np.uint8)
    segmentation = torch.zeros(48, 64, dtype=torch.int32)
    segmentation[:, 32:] = 1
    result = {"segmentation": segmentation,  # what DETR's post-processing returns for an N/A query
              "segments_info": [{"id": 1, "label_id": 183, "was_fused": False, "score": 0.9}]}
    ax = draw_panoptic(image, result, categories, title="a segment of DETR's N/A class 183")
    texts = [t.get_text() for t in ax.texts]
    if ax.get_legend() is not None:
        texts += [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("unknown id 183" in t for t in texts)
