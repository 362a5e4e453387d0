"""What the papers report: COCO panoptic ``val2017`` PQ and training length, with the source table.

For DETR, MaskFormer and Mask2Former only comparable backbones are listed (ResNet-50 and Swin-T); DETR was
published with ResNet backbones only. EoMT is published with plain ViTs only (DINOv2-pretrained ViT-S, B,
L, g; no ResNet or Swin-T), so its rows are not backbone-matched to the others: they are the sizes of its
released checkpoints. All numbers are single-scale, in %, on the 133 COCO panoptic categories (80 things,
53 stuff). Speed (``FPS``) is listed only where the source gives it with its hardware; FPS measured on
different GPUs and software are not comparable with each other.
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
    "EoMT": (
        "Kerssies et al., Your ViT is Secretly an Image Segmentation Model, CVPR 2025, arXiv:2503.19108; "
        "numbers from the authors' model zoo, github.com/tue-mps/eomt, model_zoo/dinov2.md"
    ),
}

#: One row per (architecture, backbone). ``epochs`` is a string because DETR's is "500+25": 500 epochs of box
#: training, then 25 epochs for the mask head with everything else frozen (DETR paper, Sec. 4.4). EoMT's
#: epochs: 12 for ViT-L (the authors' configs, ``max_epochs: 12``), twice as long for the "2x" ViT-S and ViT-B
#: checkpoints; its PQ_th / PQ_st are not in the model zoo (``None``). ``input``: the images the PQ is
#: measured on (the older papers resize the short side to 800 px; EoMT pads to a fixed square).
PAPER_RESULTS: list[dict[str, Any]] = [
    {
        "architecture": "DETR",
        "backbone": "R50",
        "epochs": "500+25",
        "PQ": 43.4,
        "PQ_th": 48.2,
        "PQ_st": 36.3,
        "params_M": None,
        "input": "800 short side",
        "FPS": None,
        "hardware": None,
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
        "input": "800 short side",
        "FPS": None,
        "hardware": None,
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
        "input": "800 short side",
        "FPS": None,
        "hardware": None,
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
        "input": "800 short side",
        "FPS": None,
        "hardware": None,
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
        "input": "800 short side",
        "FPS": None,
        "hardware": None,
        "source": "Mask2Former paper, Table I (appendix A.1)",
    },
    *(
        {
            "architecture": "EoMT",
            "backbone": backbone,
            "epochs": epochs,
            "PQ": pq,
            "PQ_th": None,
            "PQ_st": None,
            "params_M": None,
            "input": side,
            "FPS": fps,
            "hardware": "H100, torch.compile",
            "source": "EoMT model zoo (tue-mps/eomt, model_zoo/dinov2.md), COCO panoptic table",
        }
        for backbone, epochs, pq, side, fps in (
            ("ViT-S (DINOv2)", "24 (2x)", 46.7, "640×640", 330),
            ("ViT-B (DINOv2)", "24 (2x)", 51.6, "640×640", 261),
            ("ViT-L (DINOv2)", "12", 56.0, "640×640", 128),
            ("ViT-L (DINOv2)", "12", 58.3, "1280×1280", 30),
        )
    ),
]


def paper_results() -> Table:
    """Return :data:`PAPER_RESULTS` as a :class:`Table` (PQ in %; the papers are listed in :data:`PAPERS`)."""
    return Table(
        PAPER_RESULTS,
        title="COCO panoptic val2017, as published (PQ in %)",
        formats={"PQ": ".1f", "PQ_th": ".1f", "PQ_st": ".1f"},
    )
