"""Worked solutions of the lessons' exercises, for teachers; the learners' notebooks never contain them.

Each solution is the code of a lesson's answer cell (the cell that sets ``answer_1 = None`` ...), with a
comment per exercise that says where in the lesson the answer comes from. Where the answer depends on the
notebook's parameters (lesson 01 studies the image ``image_index``), the solution computes it from the
notebook's own variables instead of writing a constant, so it stays right for every parameter value.

The test suite runs every solution through its lesson's self-check (``tests/notebooks/test_parameters_0N.py``
run each lesson with non-default parameters and this answer cell) and expects "correct" for every exercise.
"""

from __future__ import annotations

import copy
import re

__all__ = ["SOLUTIONS", "answer_cell_index", "solve_notebook"]

SOLUTIONS: dict[str, str] = {
    "01_segmentation_types": """\
# Worked solution (teachers' copy).
# 1. `objects` (section 3b) holds the COCO instance annotations of the studied image: one per thing.
answer_1 = len(objects)
# 2. Stuff classes are the categories with isthing = False (the table of section 1): sky and grass.
answer_2 = {category.name for category in sample.categories if not category.isthing}
# 3. 255 is the ignore index of a semantic class map (section 3a).
answer_3 = 255
# 4. A panoptic PNG stores id = R + 256·G + 256²·B (section 3c): 3 + 256 = 259.
answer_4 = 3 + 256 * 1 + 256**2 * 0
""",
    "02_inference_mask2former": """\
# Worked solution (teachers' copy).
# 1. Per query, one score per class plus one for "no object": the last dimension (section 3).
answer_1 = outputs.class_queries_logits.shape[-1]
# 2. Mask logits come at a quarter of the input resolution (section 3): 128 / 4 = 32.
answer_2 = 128 // 4
# 3. The panoptic post-processing merges the segments of the classes listed here (section 7).
answer_3 = "label_ids_to_fuse"
# 4. 1 = real pixel, 0 = padding (sections 2 and 8).
answer_4 = "pixel_mask"
""",
    "03_finetuning": """\
# Worked solution (teachers' copy).
import math

# 1. A new head finds all C + 1 outputs equally likely: ln(20 + 1) = 3.04 nats (section 4).
answer_1 = round(math.log(20 + 1), 2)
# 2. The class head's shape depends on the number of classes (section 3).
answer_2 = "ignore_mismatched_sizes"
# 3. Semantic PNGs hold one class per pixel and no separate objects: only mIoU (section 6).
answer_3 = {"mIoU"}
# 4. sky, grass, circle, square, triangle, star + hexagon, heart = 8 classes, + 1 "no object".
answer_4 = 6 + 2 + 1
""",
    "04_detr_maskformer_mask2former": """\
# Worked solution (teachers' copy).
# 1. DETR was built for object detection: every query predicts a class and a box (section 1).
answer_1 = "DETR"
# 2. The "transformer decoder" column of the stored real-size table (section 2): 14.3 - 9.7 M.
decoder_millions = {row["model"]: row["transformer decoder"] for row in tables["parameters_real"]}
answer_2 = round(decoder_millions["Mask2Former Swin-T"] - decoder_millions["MaskFormer Swin-T"], 1)
# 3. The "epochs" column of section 4: MaskFormer 300, Mask2Former 50.
answer_3 = 300 // 50
# 4. At 1/8 of 384 pixels the map is 48 × 48 positions (section 3, "Memory").
answer_4 = (384 // 8) ** 2
# 5. EoMT has no pixel decoder (section 1): the ViT's own blocks do that work, so the EoMT-L row of the
#    stored real-size table shows 0 millions of parameters there.
answer_5 = 0.0
""",
}
"""Lesson stem → the code of its answer cell, solved."""

_ANSWER_CELL = re.compile(r"^answer_1\s*=", re.MULTILINE)


def answer_cell_index(notebook) -> int:
    """Return the index of the answer cell: the one code cell that assigns ``answer_1``.

    Parameters
    ----------
    notebook : nbformat.NotebookNode

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If no code cell, or more than one, starts a line with ``answer_1 =``.
    """
    found = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and _ANSWER_CELL.search(cell.source)
    ]
    if len(found) != 1:
        raise ValueError(
            f"expected exactly one code cell that sets `answer_1 = ...` (the exercises' answer cell), "
            f"found {len(found)}: restore the lesson's answer cell, or start from a fresh copy of the lesson."
        )
    return found[0]


def solve_notebook(notebook, lesson: str):
    """Return a copy of ``notebook`` whose answer cell holds the worked solution of ``lesson``.

    The outputs of the answer cell and of every cell after it are cleared (they belonged to the old
    answers), and the notebook's metadata says ``segtutor.solved = true``. ``notebook`` is not modified.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        The lesson notebook (or a learner's copy of it).
    lesson : str
        The lesson's stem, a key of :data:`SOLUTIONS`.

    Returns
    -------
    nbformat.NotebookNode

    Raises
    ------
    KeyError
        If ``lesson`` has no solutions (``00_setup_check`` has no exercises).
    ValueError
        If the notebook has no single answer cell.
    """
    if lesson not in SOLUTIONS:
        raise KeyError(
            f"no worked solutions for lesson {lesson!r}; lessons with solutions: {sorted(SOLUTIONS)}"
        )
    solved = copy.deepcopy(notebook)
    start = answer_cell_index(solved)
    solved.cells[start].source = SOLUTIONS[lesson]
    for cell in solved.cells[start:]:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    solved.metadata.setdefault("segtutor", {})["solved"] = True
    return solved
