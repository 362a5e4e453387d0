"""The child side of the malformed-dataset catalogue: run cases in this process, one JSON line each.

Usage::

    python catalogue_runner.py VALID_ROOT WORK_DIR NAME [NAME ...]

For each case it prints ``{"start": name}`` before running it and ``{"name": name, "outcome": ...}`` after,
so the parent knows which case was running if a native crash kills this process.
"""

from __future__ import annotations

import ctypes
import json
import shutil
import sys
import traceback
from pathlib import Path

import catalogue_instances
import catalogue_panoptic
import catalogue_semantic
from catalogue_tools import Case, samples_equal

from segtutor.data import (
    DatasetFormatError,
    ToyShapesConfig,
    open_dataset,
    read_semantic_pngs,
    write_toyshapes,
)
from segtutor.data.layout import DatasetLayout

CASES: dict[str, Case] = {
    c.name: c for c in (*catalogue_panoptic.CASES, *catalogue_instances.CASES, *catalogue_semantic.CASES)
}
SELF_TEST_CRASH = "selftest-native-crash"  # not a dataset case: proves the parent catches a dead child


def build_valid(root: Path) -> None:
    """The valid dataset every case starts from: ToyShapes, 32 x 32, 3 train images with things."""
    write_toyshapes(root, seed=1, n_train=3, n_val=1, config=ToyShapesConfig(size=32, empty_fraction=0.0))


def read(root: Path, fmt: str, reader: str) -> list:
    """Open the train split through a public entry point, validate it and read every sample."""
    if reader == "semantic-reduce":
        layout = DatasetLayout(root, "train")
        categories = open_dataset(root, "train", "semantic").categories
        dataset = read_semantic_pngs(layout.image_dir, layout.semantic_dir, categories, reduce_labels=True)
    else:
        dataset = open_dataset(root, "train", fmt)
    dataset.validate()
    return list(dataset)


def run(case: Case, valid_root: Path, work: Path, valid: dict[str, list]) -> dict:
    root = work / case.name
    shutil.copytree(valid_root, root)
    layout = DatasetLayout(root, "train")
    try:
        case.edit(layout)
    except Exception:  # a broken case, not a reader failure; reported as such
        return {"outcome": "edit-failed", "message": traceback.format_exc()[-1500:]}
    try:
        samples = read(root, case.fmt, case.reader)
    except DatasetFormatError as exc:
        return {"outcome": "error", "file": exc.file, "field": exc.field, "fix": exc.fix, "message": str(exc)}
    except Exception as exc:  # the catalogue reports any other exception as a failure of its case
        return {"outcome": "exception", "type": type(exc).__name__, "message": traceback.format_exc()[-1500:]}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if case.fmt not in valid:
        valid[case.fmt] = read(valid_root, case.fmt, "open")
    want = case.expect(valid[case.fmt], layout) if case.expect else valid[case.fmt]
    return {"outcome": "read", "difference": samples_equal(samples, want, compare_image=case.compare_image)}


def main(argv: list[str]) -> int:
    valid_root, work, names = Path(argv[0]), Path(argv[1]), argv[2:]
    valid: dict[str, list] = {}
    for name in names:
        print(json.dumps({"start": name}), flush=True)
        if name == SELF_TEST_CRASH:
            ctypes.string_at(0)  # reads address 0: SIGSEGV, as pycocotools did on huge polygons
        result = run(CASES[name], valid_root, work, valid)
        print(json.dumps({"name": name, **result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
