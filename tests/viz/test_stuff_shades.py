"""A stuff class split into two segments (no label fusion) is drawn in two shades; one segment keeps the class
colour."""

from __future__ import annotations

import numpy as np

from segtutor.viz import instance_color, render


def _result(split: bool):
    seg = np.ones((8, 12), dtype=np.int32)
    seg[:4] = 2  # grass (id 2) below sky (id 1)
    info = [{"id": 1, "label_id": 0, "score": 0.9}, {"id": 2, "label_id": 1, "score": 0.9}]
    if split:
        seg[:4, 6:] = 3  # the right part of the grass is a second grass segment
        info.append({"id": 3, "label_id": 1, "score": 0.8})
    return {"segmentation": seg, "segments_info": info}


def test_split_stuff_gets_two_shades(categories):
    rendering = render(np.zeros((8, 12, 3), np.uint8), _result(split=True), categories)
    grass = categories[1].color
    assert rendering.colors[1] == grass
    assert rendering.colors[2] == instance_color(grass, 1) != grass
    assert rendering.colors[0] == categories[0].color  # the single sky segment keeps its colour
    left, right = rendering.rgb[0, 0], rendering.rgb[0, -1]
    assert not np.array_equal(left, right)


def test_single_stuff_segment_keeps_the_class_colour(categories):
    rendering = render(np.zeros((8, 12, 3), np.uint8), _result(split=False), categories)
    assert rendering.colors == (categories[0].color, categories[1].color)
