"""Segment labels: inside their segment, never overlapping, placed at drawing time."""

from __future__ import annotations

import numpy as np
import pytest

from segtutor.categories import Category
from segtutor.viz import draw_panoptic
from segtutor.viz.labels import LabelPlacer

CATS = [Category(1, "grass", False, (70, 150, 60)), Category(3, "square", True, (240, 200, 40))]


def _scene(h: int, w: int, boxes: list[tuple[slice, slice]], scores: list[float]):
    seg = np.ones((h, w), dtype=np.int32)  # id 1: grass everywhere else
    info = [{"id": 1, "label_id": 1, "score": 0.99}]
    for i, (box, score) in enumerate(zip(boxes, scores, strict=True), start=2):
        seg[box] = i
        info.append({"id": i, "label_id": 3, "score": score})
    image = np.full((h, w, 3), 128, dtype=np.uint8)
    return image, {"segmentation": seg, "segments_info": info}


def _drawn(image, result, **kwargs):
    ax = draw_panoptic(image, result, CATS, **kwargs)
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_visible()]
    boxes = {t.get_text(): t.get_bbox_patch().get_window_extent(renderer) for t in labels}
    placer = next(a for a in ax.get_children() if isinstance(a, LabelPlacer))
    return ax, labels, boxes, placer


def _overlapping(boxes) -> list[tuple[str, str]]:
    names = sorted(boxes)
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1 :] if boxes[a].overlaps(boxes[b])]


def _segment_at(result, x: float, y: float) -> int:
    return int(result["segmentation"][round(y), round(x)])


# Two tall, thin squares side by side: their poles are 6 pixels apart, far less than a label's width.
TALL = [(slice(0, 100), slice(14, 20)), (slice(0, 100), slice(20, 26))]


def test_naive_positions_of_adjacent_segments_collide():
    image, result = _scene(100, 40, TALL, [0.95, 0.60])
    ax = draw_panoptic(image, result, CATS)
    next(a for a in ax.get_children() if isinstance(a, LabelPlacer)).set_visible(False)
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    boxes = {t.get_text(): t.get_bbox_patch().get_window_extent(renderer) for t in ax.texts}
    assert ("square 0.60", "square 0.95") in _overlapping(boxes)


def test_adjacent_labels_are_moved_apart_inside_their_segments():
    image, result = _scene(100, 40, TALL, [0.95, 0.60])
    _, labels, boxes, placer = _drawn(image, result)
    assert sorted(boxes) == ["grass 0.99", "square 0.60", "square 0.95"]
    assert _overlapping(boxes) == []
    names = {1: "grass 0.99", 2: "square 0.95", 3: "square 0.60"}
    for text in labels:
        assert not text.arrow_patch.get_visible()
        assert names[_segment_at(result, *text.xyann)] == text.get_text()
    assert placer.outside == [] and placer.hidden == []


def test_a_label_with_no_room_inside_goes_outside_with_a_leader_line():
    small = [(slice(40, 46), slice(14, 20)), (slice(40, 46), slice(20, 26))]
    image, result = _scene(100, 40, small, [0.95, 0.60])
    _, labels, boxes, placer = _drawn(image, result)
    assert _overlapping(boxes) == []
    assert placer.outside and placer.hidden == []
    for text in labels:
        if text.get_text() in placer.outside:
            assert text.arrow_patch.get_visible()
            assert _segment_at(result, *text.xy) in (2, 3)  # the line points at its segment
            assert _segment_at(result, *text.xyann) == 1  # the label sits elsewhere


@pytest.mark.parametrize("figsize", [(2.0, 2.0), (5.0, 3.6)])
def test_labels_stay_on_the_image(figsize):
    import matplotlib.pyplot as plt

    image, result = _scene(100, 40, TALL, [0.95, 0.60])
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    draw_panoptic(image, result, CATS, ax=ax)
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    image_box = ax.images[0].get_window_extent(renderer)
    visible = [t for t in ax.texts if t.get_visible()]
    boxes = {t.get_text(): t.get_bbox_patch().get_window_extent(renderer) for t in visible}
    assert _overlapping(boxes) == []
    for box in boxes.values():
        assert image_box.x0 - 1 <= box.x0 and box.x1 <= image_box.x1 + 1
        assert image_box.y0 - 1 <= box.y0 and box.y1 <= image_box.y1 + 1


def test_things_get_the_best_places_before_stuff():
    image, result = _scene(100, 40, TALL, [0.95, 0.60])
    ax, _, _, _ = _drawn(image, result)
    order = [t.get_text() for t in ax.texts]
    assert order.index("square 0.95") < order.index("grass 0.99")
