"""Why a DETR panoptic model finds no segments: per-query facts computed from its outputs.

DETR's panoptic head predicts, per query, a class distribution (``logits``, last class "no object") and a mask
(``pred_masks``, one logit per pixel of a 1/4-resolution grid). transformers'
``post_process_panoptic_segmentation`` keeps the queries whose best class (over all classes) is a real class
with probability above ``threshold``, multiplies each kept mask probability by that class probability, and
makes a segment only where this product reaches ``mask_threshold`` (0.5). A query whose masks never reach
0.5 after that product gives no segment, whatever ``threshold`` is: this module measures exactly that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from segtutor.metrics.table import Table

__all__ = ["DetrDiagnosis", "diagnose_detr"]

#: The mask probability a pixel needs to count (transformers' default ``mask_threshold``).
MASK_THRESHOLD = 0.5


@dataclass(frozen=True)
class DetrDiagnosis:
    """Facts about one image's DETR queries.

    Attributes
    ----------
    queries : Table
        One row per query, highest class probability first: ``query``, ``class`` (best real class name),
        ``label_id``, ``class_probability``, ``no_object_probability``, ``kept`` (its best class over all
        classes is real, so post-processing can keep it at a low enough ``threshold``),
        ``max_mask_probability``, ``pixels_above_0.5`` (mask-grid pixels with probability > 0.5) and
        ``peak_weighted`` (class probability x highest mask probability: what must reach 0.5 for one pixel
        to count in post-processing).
    mask_probabilities : ndarray, shape (Q, h, w), float32
        ``sigmoid(pred_masks)`` on the model's mask grid, one map per query.
    class_probabilities : ndarray, shape (Q, C + 1), float32
        Softmax of ``logits``; the last column is "no object".
    image_size : tuple of int
        ``(H, W)`` of the model input (``pixel_values``), in pixels.
    """

    queries: Table
    mask_probabilities: np.ndarray
    class_probabilities: np.ndarray
    image_size: tuple[int, int]

    @property
    def mask_size(self) -> tuple[int, int]:
        """``(h, w)`` of the mask grid, in mask pixels."""
        return (int(self.mask_probabilities.shape[1]), int(self.mask_probabilities.shape[2]))

    @property
    def mask_spread(self) -> float:
        """Largest difference between two queries' mask probabilities at one pixel (0: identical masks)."""
        m = self.mask_probabilities
        return float((m.max(axis=0) - m.min(axis=0)).max()) if len(m) else 0.0

    def confident(self, threshold: float = 0.5) -> list[dict[str, Any]]:
        """Rows of the queries post-processing keeps at ``threshold`` (real best class above it)."""
        return [r for r in self.queries if r["kept"] and r["class_probability"] > threshold]

    def summary(self, threshold: float = 0.5, mask_threshold: float = MASK_THRESHOLD) -> dict[str, Any]:
        """The facts a lesson states, as numbers: how many queries are confident, how their masks look.

        Returns
        -------
        dict
            ``queries`` (Q), ``confident`` (queries kept at ``threshold``), ``confident_classes`` (their
            class names, sorted), ``max_class_probability``, ``max_mask_probability`` (over all queries and
            pixels), ``pixels_above_0.5`` (of the query with the highest mask probability), ``mask_pixels``
            (pixels of one mask grid), ``mask_spread``, ``max_peak_weighted`` (over the queries kept at
            ``threshold``; 0 when none is) and ``segments_possible`` (kept queries whose weighted mask
            reaches ``mask_threshold`` somewhere: an upper bound on the segments post-processing can make).
        """
        kept = self.confident(threshold)
        best = max(self.queries, key=lambda r: r["max_mask_probability"], default=None)
        return {
            "queries": len(self.queries),
            "confident": len(kept),
            "confident_classes": sorted({r["class"] for r in kept}),
            "max_class_probability": max((r["class_probability"] for r in self.queries), default=0.0),
            "max_mask_probability": 0.0 if best is None else best["max_mask_probability"],
            "pixels_above_0.5": 0 if best is None else best["pixels_above_0.5"],
            "mask_pixels": self.mask_size[0] * self.mask_size[1],
            "mask_spread": self.mask_spread,
            "max_peak_weighted": max((r["peak_weighted"] for r in kept), default=0.0),
            "segments_possible": sum(r["peak_weighted"] >= mask_threshold for r in kept),
        }

    def explanation(self, threshold: float = 0.5, mask_threshold: float = MASK_THRESHOLD) -> str:
        """A Markdown paragraph stating the facts of :meth:`summary` (computed, true for any image)."""
        s = self.summary(threshold, mask_threshold)
        classes = ", ".join(s["confident_classes"]) or "none"
        text = (
            f"{s['confident']} of {s['queries']} queries have a real class above `threshold` = {threshold} "
            f"(highest class probability {s['max_class_probability']:.3f}; classes: {classes}). "
            f"The highest mask probability of any query is {s['max_mask_probability']:.3f}, with "
            f"{s['pixels_above_0.5']} of {s['mask_pixels']} mask pixels above 0.5; "
            + ("all queries predict the same mask (they differ by less than 0.001 at every pixel). "
               if s["mask_spread"] < 1e-3
               else f"two queries' masks differ by up to {s['mask_spread']:.3f} at a pixel. ")
        )
        if s["confident"] == 0:
            return text + "No query is kept at this threshold, so post-processing returns no segment."
        if s["segments_possible"] > 0:
            verdict = f"so at most {s['segments_possible']} of the kept queries can become segments."
        else:
            any_threshold = self.summary(0.0, mask_threshold)["segments_possible"] == 0
            verdict = (
                f"so no pixel reaches `mask_threshold` = {mask_threshold} and post-processing returns no "
                "segment" + (", whatever `threshold` is." if any_threshold else " at this `threshold`.")
            )
        return text + (
            "Post-processing multiplies each kept mask by its class probability; the largest product is "
            f"{s['max_peak_weighted']:.3f}, " + verdict
        )


def _names(model: Any, categories: Mapping[int, str] | None) -> Mapping[int, str]:
    if categories is not None:
        return {int(k): str(getattr(v, "name", v)) for k, v in dict(categories).items()}
    id2label = getattr(getattr(model, "config", None), "id2label", None) or {}
    return {int(k): str(v) for k, v in id2label.items()}


@torch.no_grad()
def diagnose_detr(
    model: Any, processor: Any = None, image: Any = None, *, categories: Mapping[int, Any] | None = None
) -> DetrDiagnosis:
    """Run a DETR panoptic model on one image and measure every query's class and mask.

    Parameters
    ----------
    model : DetrForSegmentation or LoadedModel
        E.g. ``segtutor.models.load_model("detr", "panoptic", source="bundled")`` (a LoadedModel also
        provides the processor).
    processor : DetrImageProcessor, optional
        Required unless ``model`` is a LoadedModel.
    image : ndarray (H, W, 3) uint8 or PIL image
        An RGB image (convert grey or RGBA images with ``segtutor.as_rgb_image`` first).
    categories : mapping of int to name or Category, optional
        Class names; default: ``model.config.id2label``.

    Returns
    -------
    DetrDiagnosis

    Raises
    ------
    ValueError
        If the model's outputs are not DETR's (``logits`` and ``pred_masks``), or the image is not RGB.
    """
    if processor is None and hasattr(model, "processor"):
        processor = model.processor
    model = getattr(model, "model", model)
    if processor is None or image is None:
        raise ValueError("diagnose_detr: pass the model, its processor and one image (or a LoadedModel).")
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise ValueError(
            f"image: expected an RGB image (H, W, 3), got shape {arr.shape}. Convert it first with "
            "segtutor.as_rgb_image(image)."
        )
    device = next(model.parameters()).device
    inputs = processor(images=image, return_tensors="pt").to(device)
    outputs = model(**inputs)
    if not (hasattr(outputs, "logits") and hasattr(outputs, "pred_masks")):
        raise ValueError(
            f"model: expected DETR panoptic outputs (logits and pred_masks), got {type(outputs).__name__}. "
            "Load it with segtutor.models.load_model('detr', 'panoptic')."
        )
    probs = outputs.logits[0].float().softmax(-1).cpu().numpy()
    masks = outputs.pred_masks[0].float().sigmoid().cpu().numpy()
    names = _names(model, categories)
    real = probs[:, :-1]
    labels = real.argmax(axis=1)
    rows = []
    for q in np.argsort(-real.max(axis=1), kind="stable"):
        label, p = int(labels[q]), float(real[q, labels[q]])
        peak = float(masks[q].max())
        rows.append({
            "query": int(q),
            "class": names.get(label, f"id {label}"),
            "label_id": label,
            "class_probability": p,
            "no_object_probability": float(probs[q, -1]),
            "kept": bool(p >= probs[q, -1]),
            "max_mask_probability": peak,
            "pixels_above_0.5": int((masks[q] > MASK_THRESHOLD).sum()),
            "peak_weighted": p * peak,
        })
    table = Table(
        rows, title="DETR queries, most confident first",
        formats={k: ".3f" for k in ("class_probability", "no_object_probability", "max_mask_probability",
                                     "peak_weighted")},
    )
    size = tuple(int(s) for s in inputs["pixel_values"].shape[-2:])
    return DetrDiagnosis(table, masks.astype(np.float32), probs.astype(np.float32), size)
