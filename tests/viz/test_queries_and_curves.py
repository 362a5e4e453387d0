"""Per-query mask grids and live training curves."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from segtutor.viz import LiveCurves, draw_query_grid, query_table

NAMES = {0: "sky", 1: "grass", 2: "circle", 3: "square", 4: "triangle"}


@pytest.fixture
def query_logits():
    """6 queries over 5 classes + no-object; query q's best class is q % 5 with a known probability."""
    logits = torch.full((6, 6), -4.0)
    strengths = [1.0, 5.0, 3.0, 0.5, 4.0, 2.0]
    for q, s in enumerate(strengths):
        logits[q, q % 5] = s
    masks = torch.randn(6, 8, 8, generator=torch.Generator().manual_seed(0))
    return logits, masks


def test_query_table_is_sorted_by_best_real_class_probability(query_logits):
    logits, _ = query_logits
    table = query_table(logits)
    assert [row["query"] for row in table] == [1, 4, 2, 5, 0, 3]
    probs = torch.softmax(logits, -1)
    for row in table:
        assert row["score"] == pytest.approx(float(probs[row["query"], row["label_id"]]), abs=1e-6)
        assert row["label_id"] == row["query"] % 5


def test_grid_shows_top_k_titled_panels_best_first(query_logits):
    logits, masks = query_logits
    fig = draw_query_grid(logits[None], masks[None], NAMES, top_k=4, ncols=2)
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert [t.split()[0] for t in titles] == ["q1", "q4", "q2", "q5"]
    assert titles[0].startswith("q1 grass ")
    assert "Top 4 of 6 queries" in fig.get_suptitle()


def test_grid_resizes_masks_to_the_image(query_logits):
    logits, masks = query_logits
    image = np.zeros((16, 20, 3), np.uint8)
    fig = draw_query_grid(logits, masks, NAMES, image=image, top_k=2)
    assert fig.axes[0].images[0].get_array().shape[:2] == (16, 20)


def test_grid_paints_where_the_mask_is_confident():
    logits = torch.tensor([[5.0, -5.0, -5.0]])
    masks = torch.full((1, 4, 4), -20.0)
    masks[0, :2] = 20.0
    fig = draw_query_grid(logits, masks, {0: "a", 1: "b"}, top_k=1)
    panel = fig.axes[0].images[0].get_array()
    assert np.abs(panel[0, 0] - panel[3, 3]).max() > 0.3  # coloured vs plain


def test_mismatched_query_counts_are_explained(query_logits):
    logits, masks = query_logits
    with pytest.raises(ValueError, match="6 queries but masks_queries_logits has 5"):
        draw_query_grid(logits, masks[:5], NAMES)


def test_batched_outputs_need_one_image(query_logits):
    logits, masks = query_logits
    with pytest.raises(ValueError, match=r"outputs.class_queries_logits\[i\]"):
        draw_query_grid(torch.stack([logits, logits]), masks, NAMES)


def test_curves_record_outside_a_notebook_without_drawing():
    curves = LiveCurves()
    assert not curves.live
    curves.update(0, loss=1.0, val_pq=None)
    curves.update(1, loss=torch.tensor(0.5), val_pq=float("nan"))
    curves.update(2, val_pq=0.4)
    assert curves.history == {"loss": ([0, 1], [1.0, 0.5]), "val_pq": ([2], [0.4])}
    assert curves.redraws == 0


@pytest.fixture
def shown(monkeypatch):
    """Replace IPython's display with a recorder: the list of images displayed or updated."""
    images = []

    class Handle:
        def update(self, image):
            images.append(image)

    def fake_display(image, display_id=False):
        images.append(image)
        return Handle()

    monkeypatch.setattr("IPython.display.display", fake_display)
    return images


def test_live_curves_redraw_through_a_display_handle(shown):
    curves = LiveCurves(live=True, min_interval_s=0.0)
    curves.update(0, loss=1.0)
    curves.update(1, loss=0.5)
    assert curves.redraws == 2 and len(shown) == 2
    assert shown[-1].data[:8] == b"\x89PNG\r\n\x1a\n"
    assert shown[0].data != shown[1].data


def test_live_curves_throttle_redraws(shown):
    curves = LiveCurves(live=True, min_interval_s=3600)
    for step in range(5):
        curves.update(step, loss=1.0 / (step + 1))
    assert curves.redraws == 1
    curves.finish()
    assert curves.redraws == 2


def test_final_figure_groups_losses_and_metrics():
    curves = LiveCurves("Fine-tuning")
    for step in range(3):
        curves.update(step, loss=1.0 / (step + 1), mask_loss=0.5, val_pq=0.1 * step)
    fig = curves.figure()
    assert [ax.get_title() for ax in fig.axes] == ["Loss", "Metrics"]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["loss", "mask_loss"]
    assert fig.get_suptitle() == "Fine-tuning"
    assert curves.png() == curves.png()
