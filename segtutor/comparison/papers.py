"""What the papers report: COCO panoptic ``val2017`` PQ and training length, with the source table.

Only comparable backbones are listed (ResNet-50 and Swin-T); DETR was published with ResNet backbones only.
All numbers are single-scale, in %, on the 133 COCO panoptic categories (80 things, 53 stuff).
"""

from __future__ import annotations

from typing import Any

from segtutor.metrics.table import Table

__all__ = ["PAPERS", "PAPER_RESULTS", "paper_results"]

#: The three papers, as cited in the course.
PAPERS: dict[str, str] = {
    "DETR": "Carion et al., End-to-End Object Detection with Transformers, ECCV 2020, arXiv:2005.12872",
    "MaskFormer": (
        "Cheng, Schwing, Kirillov, Per-Pixel Classification is Not All You Need for Semantic Segmentation, "
        "NeurIPS 2021, arXiv:2107.06278"
    ),
    "Mask2Former": (
        "Cheng et al., Masked-attention Mask Transformer for Universal Image Segmentation, CVPR 2022, "
        "arXiv:2112.01527"
    ),
}

#: One row per (architecture, backbone). ``epochs`` is a string because DETR's is "500+25": 500 epochs of box
#: training, then 25 epochs for the mask head with everything else frozen (DETR paper, Sec. 4.4).
PAPER_RESULTS: list[dict[str, Any]] = [
    {
        "architecture": "DETR",
        "backbone": "R50",
        "epochs": "500+25",
        "PQ": 43.4,
        "PQ_th": 48.2,
        "PQ_st": 36.3,
        "params_M": None,
        "source": "DETR paper, Table 5 (epochs: Mask2Former paper, Table 1)",
    },
    {
        "architecture": "MaskFormer",
        "backbone": "R50 + 6 Enc",
        "epochs": "300",
        "PQ": 46.5,
        "PQ_th": 51.0,
        "PQ_st": 39.8,
        "params_M": 45,
        "source": "MaskFormer paper, Table 3 (epochs: Mask2Former paper, Table 1)",
    },
    {
        "architecture": "MaskFormer",
        "backbone": "Swin-T",
        "epochs": "300",
        "PQ": 47.7,
        "PQ_th": 51.7,
        "PQ_st": 41.7,
        "params_M": 42,
        "source": "MaskFormer paper, Table 3 (epochs: Mask2Former paper, Table I)",
    },
    {
        "architecture": "Mask2Former",
        "backbone": "R50",
        "epochs": "50",
        "PQ": 51.9,
        "PQ_th": 57.7,
        "PQ_st": 43.0,
        "params_M": 44,
        "source": "Mask2Former paper, Table 1",
    },
    {
        "architecture": "Mask2Former",
        "backbone": "Swin-T",
        "epochs": "50",
        "PQ": 53.2,
        "PQ_th": 59.3,
        "PQ_st": 44.0,
        "params_M": 47,
        "source": "Mask2Former paper, Table I (appendix A.1)",
    },
]


def paper_results() -> Table:
    """Return :data:`PAPER_RESULTS` as a :class:`Table` (PQ in %; the papers are listed in :data:`PAPERS`)."""
    return Table(
        PAPER_RESULTS,
        title="COCO panoptic val2017, as published (PQ in %)",
        formats={"PQ": ".1f", "PQ_th": ".1f", "PQ_st": ".1f"},
    )
