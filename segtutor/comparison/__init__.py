"""DETR vs MaskFormer vs Mask2Former vs EoMT: parameters per component, CPU latency, paper numbers,
convergence, and why a DETR finds no segment (:func:`diagnose_detr`).

Everything returns small :class:`~segtutor.metrics.Table` objects (rows of dicts with ``to_markdown()``).
The slow real-size tables are computed once by ``python -m segtutor.comparison.build_data`` and read back
with :func:`load_architectures`; the convergence curves with :func:`load_convergence`.
"""

from segtutor.comparison.build_data import REAL_SIZE_NAMES, load_architectures
from segtutor.comparison.convergence import (
    ARCHITECTURE_NAMES,
    build_convergence,
    card_quality,
    checkpoint_dirs,
    load_convergence,
    toy_quality,
    write_convergence,
)
from segtutor.comparison.detr_diagnosis import DetrDiagnosis, diagnose_detr
from segtutor.comparison.latency import measure_latency
from segtutor.comparison.papers import PAPER_RESULTS, PAPERS, paper_results
from segtutor.comparison.parameters import (
    COMPONENTS,
    build_model,
    component_parameters,
    parameter_table,
    real_size_config,
)
from segtutor.comparison.provenance import measurement_context
from segtutor.comparison.timing import Timing, time_call

__all__ = [
    "ARCHITECTURE_NAMES",
    "COMPONENTS",
    "PAPERS",
    "PAPER_RESULTS",
    "REAL_SIZE_NAMES",
    "DetrDiagnosis",
    "Timing",
    "build_convergence",
    "build_model",
    "card_quality",
    "checkpoint_dirs",
    "component_parameters",
    "diagnose_detr",
    "load_architectures",
    "load_convergence",
    "measure_latency",
    "measurement_context",
    "paper_results",
    "parameter_table",
    "real_size_config",
    "time_call",
    "toy_quality",
    "write_convergence",
]
