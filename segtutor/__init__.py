"""segtutor: learn universal image segmentation (semantic, instance, panoptic) with Hugging Face transformers.

The notebooks in ``notebooks/`` import this package. The most used names are available at the top level
(``segtutor.load_model``, ``segtutor.open_dataset``, ``segtutor.draw_panoptic`` ...); each lives in the
submodule named after its concept (``segtutor.data``, ``segtutor.models``, ``segtutor.postprocess``,
``segtutor.metrics``, ``segtutor.training``, ``segtutor.comparison``, ``segtutor.viz``, ``segtutor.widgets``,
``segtutor.runtime``). Submodules are imported on first use, so ``import segtutor`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    # runtime and lessons
    "choose_device": "segtutor.runtime",
    "hub_status": "segtutor.runtime",
    "in_colab": "segtutor.runtime",
    "share_cpus": "segtutor.runtime",
    "versions": "segtutor.runtime",
    "data_dir": "segtutor.paths",
    "example_images": "segtutor.examples",
    "check": "segtutor.exercises",
    "as_int_list": "segtutor.notebook_parameters",
    # categories and data
    "Category": "segtutor.categories",
    "DatasetFormatError": "segtutor.data",
    "Sample": "segtutor.data",
    "TOYSHAPES_CATEGORIES": "segtutor.data",
    "ToyShapesConfig": "segtutor.data",
    "TrainingDataset": "segtutor.data",
    "collate_fn": "segtutor.data",
    "open_dataset": "segtutor.data",
    "read_coco_instances": "segtutor.data",
    "read_coco_panoptic": "segtutor.data",
    "read_semantic_pngs": "segtutor.data",
    "toyshapes_categories": "segtutor.data",
    "write_toyshapes": "segtutor.data",
    # models, training, evaluation
    "load_model": "segtutor.models",
    "LoadedModel": "segtutor.models",
    "HubUnavailableError": "segtutor.models",
    "model_categories": "segtutor.models",
    "load_for_finetuning": "segtutor.models",
    "train": "segtutor.training",
    "TrainConfig": "segtutor.training",
    "evaluate": "segtutor.metrics",
    "EvaluationResult": "segtutor.metrics",
    # drawing and widgets
    "overlay": "segtutor.viz",
    "as_rgb_image": "segtutor.viz",
    "draw_semantic": "segtutor.viz",
    "draw_instances": "segtutor.viz",
    "draw_panoptic": "segtutor.viz",
    "draw_segmentation_types": "segtutor.viz",
    "draw_comparison": "segtutor.viz",
    "draw_query_grid": "segtutor.viz",
    "LiveCurves": "segtutor.viz",
    "SegmentationTypesExplorer": "segtutor.widgets",
    "PostprocessExplorer": "segtutor.widgets",
    "DatasetBrowser": "segtutor.widgets",
}

__all__ = [*sorted(_EXPORTS), "__version__"]


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first access (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'segtutor' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
