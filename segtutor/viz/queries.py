"""Per-query masks: what "mask classification" means, one decoder query at a time.

MaskFormer and Mask2Former do not label pixels. Each of their Q decoder queries predicts one mask
(``masks_queries_logits``, a logit per pixel) and one class distribution over the C classes plus
"no object" (``class_queries_logits``). Post-processing keeps the confident queries and pastes their masks
together. This grid shows the raw material: each query's mask with its best class and score, best first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from segtutor.viz.figures import notebook_figure
from segtutor.viz.inputs import as_categories, as_rgb_image, to_numpy
from segtutor.viz.overlay import unknown_category

__all__ = ["draw_query_grid", "query_table"]


def _single(array: Any, name: str, ndim: int) -> np.ndarray:
    arr = to_numpy(array).astype(np.float32)
    if arr.ndim == ndim + 1 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != ndim:
        expected = "(Q, C + 1)" if ndim == 2 else "(Q, h, w)"
        raise ValueError(
            f"{name}: expected one image's {expected} (or a batch of one), got shape {arr.shape}. "
            f"Pass outputs.{name}[i] for image i."
        )
    return arr


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def query_table(class_queries_logits: Any) -> list[dict[str, float | int]]:
    """Rank one image's queries by their best class probability ("no object" excluded).

    Parameters
    ----------
    class_queries_logits : ndarray or tensor, shape (Q, C + 1) (or (1, Q, C + 1))
        The last class is "no object".

    Returns
    -------
    list of dict
        One per query, best first: ``query`` (its index), ``label_id`` (best real class), ``score`` (its
        softmax probability) and ``no_object`` (probability of "no object"). Ties keep query order.
    """
    probs = _softmax(_single(class_queries_logits, "class_queries_logits", 2))
    labels = probs[:, :-1].argmax(axis=1)
    scores = probs[np.arange(len(probs)), labels]
    order = np.argsort(-scores, kind="stable")
    return [
        {
            "query": int(q),
            "label_id": int(labels[q]),
            "score": float(scores[q]),
            "no_object": float(probs[q, -1]),
        }
        for q in order
    ]


def _resize(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if mask.shape == shape:
        return mask
    import torch

    t = torch.from_numpy(np.ascontiguousarray(mask))[None, None]
    return torch.nn.functional.interpolate(t, size=shape, mode="bilinear", align_corners=False)[0, 0].numpy()


def draw_query_grid(
    class_queries_logits: Any,
    masks_queries_logits: Any,
    categories: Any,
    *,
    image: Any = None,
    top_k: int = 8,
    ncols: int = 4,
    title: str | None = None,
    figure: Figure | None = None,
) -> Figure:
    """Show the masks of the ``top_k`` most confident queries, each titled with its class and score.

    Parameters
    ----------
    class_queries_logits : ndarray or tensor, shape (Q, C + 1)
        One image's class logits (the last class is "no object"); a batch of one is accepted.
    masks_queries_logits : ndarray or tensor, shape (Q, h, w)
        One image's mask logits (a batch of one is accepted).
    categories : list of Category, id2label mapping or model config
        Names and colours of the C classes.
    image : PIL.Image, ndarray, tensor or Sample, optional
        Drawn in grey under each mask (masks are resized to it, bilinearly); without it masks are shown at
        their own ``(h, w)`` resolution.
    top_k : int
        How many queries to show (at most Q).
    ncols : int
        Panels per row.
    title : str, optional
        Default: "Top-k of Q queries (mask x class score)".
    figure : matplotlib Figure, optional
        Draw into this (empty) figure; default: a new pyplot figure.

    Returns
    -------
    matplotlib.figure.Figure
        Panel titles read ``q<index> <class> <score>``; the mask is the sigmoid of the mask logits (0..1),
        painted in the class colour with that opacity.
    """
    masks = _single(masks_queries_logits, "masks_queries_logits", 3)
    table = query_table(class_queries_logits)
    if len(table) != masks.shape[0]:
        raise ValueError(
            f"class_queries_logits has {len(table)} queries but masks_queries_logits has {masks.shape[0]}; "
            "pass both from the same model output."
        )
    cats = as_categories(categories)
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}.")
    shown = table[: min(top_k, len(table))]
    # label ids the categories lack (e.g. DETR's "N/A" classes) are shown as "unknown id N"
    cats = {**cats, **{row["label_id"]: unknown_category(row["label_id"]) for row in shown
                       if row["label_id"] not in cats}}
    grey = None
    shape = masks.shape[1:]
    if image is not None:
        rgb = as_rgb_image(image, copy=False).astype(np.float32)
        grey = (rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)) / 255.0
        shape = grey.shape

    ncols = max(1, min(ncols, len(shown)))
    nrows = -(-len(shown) // ncols)
    if figure is None:
        figure = notebook_figure((2.3 * ncols, 2.3 * nrows + 0.5))
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, row in zip(axes, shown, strict=False):
        prob = 1.0 / (1.0 + np.exp(-_resize(masks[row["query"]], shape)))
        color = np.asarray(cats[row["label_id"]].color, dtype=np.float32) / 255.0
        base = np.repeat((grey if grey is not None else np.ones(shape, np.float32))[..., None], 3, axis=2)
        panel = base * (1.0 - prob[..., None] * 0.85) + color * (prob[..., None] * 0.85)
        ax.imshow(np.clip(panel, 0.0, 1.0))
        ax.set_title(f"q{row['query']} {cats[row['label_id']].name} {row['score']:.2f}", fontsize=9)
        ax.set_axis_off()
    for ax in axes[len(shown) :]:
        ax.set_axis_off()
    figure.suptitle(title or f"Top {len(shown)} of {len(table)} queries: mask and class score", fontsize=11)
    return figure
