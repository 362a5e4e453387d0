"""Say in words how one prediction compares with the ground truth: found, confused, missed, invented.

A lesson that says "here the model calls the small circle a triangle" is true for one image only. The
sentences of :func:`describe_panoptic_prediction` are computed from the prediction and the annotation, so
they stay true for whichever image a learner picks. Segments are paired greedily by IoU, highest first,
down to an IoU of 0.25. A pair counts as *found* when the classes agree and the IoU is above 0.5 (a true
positive of PQ); with the right class but a lower IoU it is found *roughly* (PQ counts it as a miss and a
false detection); with another class it is *confused*.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from segtutor.categories import Category
from segtutor.data.targets import Sample

__all__ = [
    "PredictionReview",
    "describe_class_review",
    "describe_panoptic_prediction",
    "describe_task_agreement",
    "review_panoptic_prediction",
]


@dataclass(frozen=True)
class PredictionReview:
    """The things of one image, sorted into what the model got right and wrong.

    Attributes
    ----------
    found : Counter
        Class name -> annotated things matched by a prediction of the right class (IoU > 0.5).
    rough : Counter
        Class name -> annotated things overlapped by a prediction of the right class, 0.25 < IoU <= 0.5.
    confused : Counter
        (annotated class, predicted class) -> things overlapped by a prediction of another class.
    missed : Counter
        Class name -> annotated things no prediction matches.
    invented : Counter
        Class name -> predicted things that match no annotated thing.
    stuff_found, stuff_missed : list of str
        Stuff classes of the annotation that a prediction of the same class matches, and those it misses.
    """

    found: Counter = field(default_factory=Counter)
    rough: Counter = field(default_factory=Counter)
    confused: Counter = field(default_factory=Counter)
    missed: Counter = field(default_factory=Counter)
    invented: Counter = field(default_factory=Counter)
    stuff_found: list[str] = field(default_factory=list)
    stuff_missed: list[str] = field(default_factory=list)

    @property
    def things(self) -> int:
        """How many things the annotation has."""
        return sum(map(sum, (self.found.values(), self.rough.values(), self.confused.values(),
                             self.missed.values())))

    def __add__(self, other: PredictionReview) -> PredictionReview:
        """The review of two images (or two sets of images) together: every count added."""
        return PredictionReview(
            found=self.found + other.found, rough=self.rough + other.rough,
            confused=self.confused + other.confused, missed=self.missed + other.missed,
            invented=self.invented + other.invented, stuff_found=self.stuff_found + other.stuff_found,
            stuff_missed=self.stuff_missed + other.stuff_missed,
        )


def review_panoptic_prediction(
    truth: Sample, prediction: dict, categories: Sequence[Category]
) -> PredictionReview:
    """Pair a panoptic prediction's segments with the annotation's, greedily by IoU (see the module).

    Parameters
    ----------
    truth : Sample
        The annotation of the image (panoptic: one mask per segment).
    prediction : dict
        ``{"segmentation": (H, W) int tensor or array, "segments_info": [{"id", "label_id", ...}]}`` as
        returned by ``segtutor.postprocess.panoptic``, at the image's size.
    categories : sequence of Category
        The model's categories; predicted label ids are looked up here, annotated ids in ``truth``.

    Returns
    -------
    PredictionReview

    Raises
    ------
    ValueError
        If the prediction's size differs from the image's.
    """
    segmentation = np.asarray(
        prediction["segmentation"].cpu() if isinstance(prediction["segmentation"], torch.Tensor)
        else prediction["segmentation"]
    )
    if segmentation.shape != (truth.height, truth.width):
        raise ValueError(
            f"the prediction is {segmentation.shape[1]} x {segmentation.shape[0]} pixels but the image is "
            f"{truth.width} x {truth.height}: post-process with target_sizes=[(height, width)] of the image"
        )
    model_names = {c.id: c.name for c in categories}
    truth_names = {c.id: c.name for c in truth.categories}
    thing_names = {c.name for c in truth.categories if c.isthing} | {c.name for c in categories if c.isthing}
    valid = ~truth.ignore
    predicted = [
        (model_names.get(info["label_id"], f"unknown id {info['label_id']}"),
         (segmentation == info["id"]) & valid)
        for info in prediction["segments_info"]
    ]
    truth_labels = [truth_names.get(int(c), f"id {int(c)}") for c in truth.category_ids]
    pairs = _pairs_by_iou([m & valid for m in truth.masks], [m for _, m in predicted])
    review = PredictionReview()
    paired_truth = {t for t, _, _ in pairs}
    for t, p, iou in pairs:
        name, guess = truth_labels[t], predicted[p][0]
        if name not in thing_names:
            (review.stuff_found if guess == name else review.stuff_missed).append(name)
        elif guess != name:
            review.confused[(name, guess)] += 1
        else:
            (review.found if iou > 0.5 else review.rough)[name] += 1
    for t, name in enumerate(truth_labels):
        if t in paired_truth:
            continue
        if name in thing_names:
            review.missed[name] += 1
        else:
            review.stuff_missed.append(name)
    paired_predictions = {p for _, p, _ in pairs}
    for p, (name, _) in enumerate(predicted):
        if p not in paired_predictions and name in thing_names:
            review.invented[name] += 1
    return review


def describe_panoptic_prediction(
    truth: Sample, prediction: dict, categories: Sequence[Category], *, model: str = "the model"
) -> str:
    """Write what a panoptic prediction got right and wrong, in sentences computed from it (Markdown).

    Parameters
    ----------
    truth : Sample
        The annotation of the image.
    prediction : dict
        A panoptic prediction at the image's size (see :func:`review_panoptic_prediction`).
    categories : sequence of Category
        The model's categories.
    model : str
        How the sentences name the model.

    Returns
    -------
    str
        E.g. "Of the 6 things in the annotation of val_00005.png, the model finds 3 with the right class
        and a good mask (...). Where the annotation has 1 circle, it predicts a triangle. It misses 1
        square. It also sees 1 circle where the annotation has none. Stuff: it finds sky and grass."
    """
    review = review_panoptic_prediction(truth, prediction, categories)
    if review.things == 0:
        text = f"The annotation of {truth.file_name} has no things."
    else:
        right = sum(review.found.values())
        text = (
            f"Of the {_count(review.things, 'thing')} in the annotation of {truth.file_name}, {model} finds "
            f"{right} with the right class and a good mask{_listing(review.found)}."
        )
    if review.rough:
        rough = _join(_count(n, name) for name, n in sorted(review.rough.items()))
        text += (f" It finds {rough} only roughly "
                 "(the right class, but a mask that overlaps the annotation by half or less).")
    if review.confused:
        text += " Where the annotation has " + _join(
            f"{_count(n, truth_name)}, it predicts {'a ' + guess if n == 1 else guess + 's'}"
            for (truth_name, guess), n in sorted(review.confused.items())
        ) + "."
    if review.missed:
        text += " It misses " + _join(_count(n, name) for name, n in sorted(review.missed.items())) + "."
    if review.invented:
        text += " It also sees " + _join(
            _count(n, name) for name, n in sorted(review.invented.items())
        ) + " where the annotation has none."
    if review.stuff_found or review.stuff_missed:
        text += f" Stuff: it finds {_join(sorted(review.stuff_found)) or 'none of it'}"
        text += f" and misses {_join(sorted(review.stuff_missed))}." if review.stuff_missed else "."
    return text


def describe_class_review(
    review: PredictionReview, name: str, *, images: int, model: str = "the model"
) -> str:
    """Say what became of every annotated thing of one class over many images (Markdown).

    Parameters
    ----------
    review : PredictionReview
        The reviews of all the images, added up (``EvaluationResult.review``).
    name : str
        The thing class to follow, e.g. a new class after fine-tuning.
    images : int
        How many images ``review`` covers (for the sentence).
    model : str
        How the sentence names the model.

    Returns
    -------
    str
        E.g. "In the 48 validation images there are 23 stars. The model finds 2 of them (the right class
        and a mask overlapping by more than half), finds 3 only roughly, calls 12 another class (11
        triangles and 1 square) and misses 6. It also predicts 9 stars where there is none."
    """
    confused = Counter({guess: n for (truth, guess), n in review.confused.items() if truth == name})
    found, rough, missed = review.found[name], review.rough[name], review.missed[name]
    total = found + rough + sum(confused.values()) + missed
    text = f"In the {_count(images, 'validation image')} there {'is' if total == 1 else 'are'} "
    text += f"{_count(total, name)}."
    if total:
        parts = [f"finds {found} of them (the right class and a mask overlapping by more than half)"]
        if rough:
            parts.append(f"finds {rough} only roughly")
        if confused:
            listing = _join(_count(n, guess) for guess, n in sorted(confused.items(), key=lambda kv: -kv[1]))
            parts.append(f"calls {sum(confused.values())} another class ({listing})")
        if missed:
            parts.append(f"misses {missed}")
        text += f" {model[0].upper() + model[1:]} " + _join(parts) + "."
    invented = review.invented[name] + sum(
        n for (truth, guess), n in review.confused.items() if guess == name and truth != name
    )
    if invented:
        return text + f" It also predicts {_count(invented, name)} where there is none."
    return text + f" It predicts no {name} where there is none."


def describe_task_agreement(semantic: torch.Tensor, panoptic: dict, categories: Sequence[Category]) -> str:
    """Say where the semantic and the panoptic post-processing of the same outputs disagree (Markdown).

    Parameters
    ----------
    semantic : tensor, shape (H, W), int
        Class id per pixel, from ``segtutor.postprocess.semantic``.
    panoptic : dict
        ``{"segmentation", "segments_info"}`` from ``segtutor.postprocess.panoptic`` at the same size.
    categories : sequence of Category
        The model's categories.

    Returns
    -------
    str
        How many pixels panoptic leaves without a segment, and how many get another class than in the
        semantic map, with the classes involved.
    """
    semantic = torch.as_tensor(semantic).cpu()
    segmentation = torch.as_tensor(panoptic["segmentation"]).cpu()
    if semantic.shape != segmentation.shape:
        raise ValueError(
            f"semantic map {tuple(semantic.shape)} and panoptic map {tuple(segmentation.shape)} differ in "
            "size: post-process both with the same target_sizes"
        )
    panoptic_classes = torch.full_like(segmentation, -1)
    for info in panoptic["segments_info"]:
        panoptic_classes[segmentation == info["id"]] = info["label_id"]
    names = {c.id: c.name for c in categories}
    total = semantic.numel()
    empty = int((panoptic_classes == -1).sum())
    differ = (panoptic_classes != -1) & (panoptic_classes != semantic)
    text = (
        f"Semantic and panoptic post-processing of the same outputs: panoptic leaves {empty} of {total} "
        f"pixels ({100 * empty / total:.1f} %) without a segment"
    )
    if not differ.any():
        return text + ", and every other pixel gets the same class in both maps."
    pairs = Counter(zip(semantic[differ].tolist(), panoptic_classes[differ].tolist(), strict=True))
    listed = _join(
        f"{n} px {names.get(a, f'id {a}')} in the semantic map but {names.get(b, f'id {b}')} "
        "in the panoptic one"
        for (a, b), n in pairs.most_common(3)
    )
    return text + f"; {int(differ.sum())} pixels get another class: {listed}."


def _pairs_by_iou(truths: list[np.ndarray], predictions: list[np.ndarray]) -> list[tuple[int, int, float]]:
    """Pair each segment at most once, highest IoU first, down to IoU 0.25: ``(truth, prediction, iou)``."""
    candidates = []
    for t, truth in enumerate(truths):
        for p, prediction in enumerate(predictions):
            intersection = int((truth & prediction).sum())
            union = int(truth.sum()) + int(prediction.sum()) - intersection
            if union and intersection / union > 0.25:
                candidates.append((intersection / union, t, p))
    pairs, used_truths, used_predictions = [], set(), set()
    for iou, t, p in sorted(candidates, reverse=True):
        if t not in used_truths and p not in used_predictions:
            pairs.append((t, p, iou))
            used_truths.add(t)
            used_predictions.add(p)
    return pairs


def _count(n: int, name: str) -> str:
    if n == 1:
        return f"{n} {name}"
    return f"{n} {name}es" if name.endswith(("s", "sh", "ch", "x")) else f"{n} {name}s"


def _join(parts) -> str:
    """"a", "a and b", "a, b and c" (empty for no parts)."""
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _listing(counter: Counter) -> str:
    if not counter:
        return ""
    return " (" + _join(_count(n, name) for name, n in sorted(counter.items())) + ")"
