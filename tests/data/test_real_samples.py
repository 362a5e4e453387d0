"""Real third-party files, read exactly (``tests/data/samples/*/SOURCE.md`` says where each comes from)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO

from segtutor.data import read_coco_instances

SAMPLES = Path(__file__).resolve().parent / "samples"

# pycocotools 2.0.x under NumPy 2 warns inside its own decode; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:.*__array__ implementation:DeprecationWarning")


def test_sahi_terrain2_instances_equal_pycocotools():
    folder = SAMPLES / "sahi-terrain2"
    annotation_file = folder / "terrain2_coco.json"
    dataset = read_coco_instances(annotation_file, folder)
    dataset.validate()
    assert [(c.id, c.name, c.isthing) for c in dataset.categories] == [(1, "car", True)]
    assert len(dataset) == 1
    sample = dataset[0]
    coco = COCO(str(annotation_file))
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[1]))
    expected = np.stack([coco.annToMask(a).astype(bool) for a in anns])
    assert sample.image.shape == (682, 1024, 3) and sample.file_name == "terrain2.png"
    assert np.array_equal(sample.image, np.asarray(Image.open(folder / "terrain2.png").convert("RGB")))
    assert np.array_equal(sample.masks, expected)
    assert sample.category_ids.tolist() == [1] * 5 and not sample.iscrowd.any()
    ys, xs = np.nonzero(sample.masks[0])  # first polygon: the rectangle x 218..440, y 448..609
    assert (xs.min(), xs.max() + 1, ys.min(), ys.max() + 1) == (218, 440, 448, 609)
    assert sample.masks[0].sum() == (440 - 218) * (609 - 448)
