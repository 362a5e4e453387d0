"""Why lesson 03's short run finds so few stars: the measurements quoted in the lesson (section 8).

Three studies, each printing one JSON line per run (see star_finetuning.md for the results):

    python docs/studies/star_finetuning.py recipe [key=value ...]   # lesson 03's training, one change
    python docs/studies/star_finetuning.py outline                  # how well the start outlines each shape
    python docs/studies/star_finetuning.py probe                    # can frozen features name the shapes?

``recipe`` runs the code of lesson 03 (panoptic ToyShapes + star, seed 0, 300 steps, 48 validation
images) with the lesson's parameters changed as given, e.g. ``train_parts=all`` or ``n_train=400``;
``star_weight=3`` draws stars three times as often as each other shape in the training images only.
Run one study at a time on a quiet machine: each takes about a minute on 2 CPU cores.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from transformers.utils import logging as transformers_logging

from segtutor import postprocess
from segtutor.data import ToyShapesConfig, TrainingDataset, collate_fn, open_dataset, write_toyshapes
from segtutor.metrics import evaluate
from segtutor.models import (
    choose_trainable_parts,
    load_for_finetuning,
    load_model,
    reuse_class_rows,
    set_class_loss_weight,
)
from segtutor.training import TrainConfig, seed_everything, train

LESSON = {"n_train": 96, "n_val": 48, "image_size": 128, "steps": 300, "batch_size": 4, "learning_rate": 3e-3,
          "train_parts": "decoder", "class_loss_weight": 10.0, "seed": 0, "star_weight": 1.0}
THINGS = {2: "circle", 3: "square", 4: "triangle", 5: "star"}


def _dataset(folder: Path, *, n_train: int, n_val: int, size: int = 128, seed: int = 0,
             star_weight: float = 1.0) -> tuple:
    """ToyShapes + star: training images with the star drawn ``star_weight`` times as often, lesson val."""
    weights = None if star_weight == 1 else (1, 1, 1, star_weight)  # None: the lesson's own images
    write_toyshapes(folder / "train", seed=seed, n_train=n_train, n_val=0,
                    config=ToyShapesConfig(size=size, with_star=True, thing_weights=weights))
    write_toyshapes(folder / "val", seed=seed, n_train=0, n_val=n_val,
                    config=ToyShapesConfig(size=size, with_star=True))
    return (open_dataset(folder / "train", "train", "panoptic"),
            open_dataset(folder / "val", "val", "panoptic"))


def recipe(changes: dict[str, str]) -> dict:
    """Lesson 03's fine-tuning with some parameters changed; star and triangle scores after training."""
    p = {k: type(LESSON[k])(changes.get(k, v)) for k, v in LESSON.items()}
    train_source, val_source = _dataset(Path(tempfile.mkdtemp()), n_train=p["n_train"], n_val=p["n_val"],
                                        size=p["image_size"], seed=p["seed"], star_weight=p["star_weight"])
    start = load_model("mask2former", "panoptic", source="bundled", device="cpu")
    processor = start.processor
    processor.size = {"height": p["image_size"], "width": p["image_size"]}
    train_data = TrainingDataset(train_source, processor, augment=True, seed=p["seed"])
    seed_everything(p["seed"])
    model, _ = load_for_finetuning(start.checkpoint, train_data.id2label)
    known = [c.name for c in train_source.categories if c.isthing and c.name in start.model.config.label2id]
    reuse_class_rows(start.model, model, start_new_from=known)
    choose_trainable_parts(model, train=p["train_parts"])
    set_class_loss_weight(model, p["class_loss_weight"])
    config = TrainConfig(steps=p["steps"], batch_size=p["batch_size"], learning_rate=p["learning_rate"],
                         backbone_lr_factor=0.1, warmup_steps=max(1, p["steps"] // 10), log_every=5,
                         seed=p["seed"], device="cpu")
    began = time.perf_counter()
    train(model, train_data, collate_fn, config)
    seconds = time.perf_counter() - began
    after = evaluate(model, processor, val_source, task="panoptic")
    rows = {row["name"]: row for row in after.per_class}
    return {"changes": changes, "train_s": round(seconds, 1), "PQ": round(100 * after["PQ"], 1),
            **{f"{name} PQ": round(100 * rows[name]["PQ"], 1) for name in ("star", "triangle")}}


def outline() -> dict:
    """With the starting model: the share of each shape that some predicted segment (any class) overlaps
    by IoU > 0.5, their mean IoU, and the star PQ if each of them were named right and nothing else were."""
    _, val_source = _dataset(Path(tempfile.mkdtemp()), n_train=0, n_val=100)
    start = load_model("mask2former", "panoptic", source="bundled", device="cpu")
    model = start.model.eval()
    best: dict[str, list[float]] = {name: [] for name in THINGS.values()}
    for sample in val_source:
        with torch.no_grad():
            outputs = model(**start.processor(images=sample.image, return_tensors="pt"))
        predicted = postprocess.panoptic(outputs, target_sizes=[(sample.height, sample.width)])[0]
        segments = [(predicted["segmentation"] == info["id"]).numpy() for info in predicted["segments_info"]]
        for mask, category_id in zip(sample.masks, sample.category_ids, strict=True):
            if int(category_id) in THINGS:
                ious = [(mask & s).sum() / (mask | s).sum() for s in segments]
                best[THINGS[int(category_id)]].append(max(ious, default=0.0))
    result = {}
    for name, values in best.items():
        ious = np.array(values)
        outlined = ious > 0.5
        # PQ = sum of matched IoUs / (TP + FN / 2 + FP / 2), with every outlined object a TP and no FP
        ceiling = ious[outlined].sum() / (outlined.sum() + (~outlined).sum() / 2)
        result[name] = {"objects": len(ious), "outlined %": round(100 * outlined.mean(), 1),
                        "mean IoU %": round(100 * ious[outlined].mean(), 1),
                        "PQ ceiling %": round(100 * ceiling, 1)}
    return result


def probe() -> dict:
    """A linear classifier on the starting model's frozen features, averaged over each annotated thing:
    trained on 300 images, the share of each shape it names right on 100 others, per feature map."""
    train_source, val_source = _dataset(Path(tempfile.mkdtemp()), n_train=300, n_val=100)
    start = load_model("mask2former", "panoptic", source="bundled", device="cpu")
    model = start.model.eval()

    def pooled(source) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        features: dict[str, list[torch.Tensor]] = {}
        labels = []
        for sample in source:
            with torch.no_grad():
                out = model.model.pixel_level_module(
                    start.processor(images=sample.image, return_tensors="pt")["pixel_values"],
                    output_hidden_states=True)
            maps = {f"backbone stage {i}": f for i, f in enumerate(out.encoder_hidden_states)}
            maps |= {f"pixel decoder scale {i}": f for i, f in enumerate(out.decoder_hidden_states)}
            for mask, category_id in zip(sample.masks, sample.category_ids, strict=True):
                if int(category_id) not in THINGS:
                    continue
                labels.append(int(category_id))
                for name, f in maps.items():
                    weight = F.interpolate(torch.from_numpy(mask)[None, None].float(), size=f.shape[-2:],
                                           mode="area")[0, 0]
                    mean = (f[0] * weight).sum((1, 2)) / weight.sum().clamp_min(1e-6)
                    features.setdefault(name, []).append(mean)
        return {k: torch.stack(v) for k, v in features.items()}, torch.tensor(labels)

    (x_train, y_train), (x_val, y_val) = pooled(train_source), pooled(val_source)
    torch.manual_seed(0)
    result = {}
    for name in x_train:
        mean, std = x_train[name].mean(0), x_train[name].std(0) + 1e-5
        a, b = (x_train[name] - mean) / std, (x_val[name] - mean) / std
        classifier = torch.nn.Linear(a.shape[1], 6)
        optimizer = torch.optim.Adam(classifier.parameters(), lr=1e-2, weight_decay=1e-3)
        for _ in range(500):
            optimizer.zero_grad()
            F.cross_entropy(classifier(a), y_train).backward()
            optimizer.step()
        guess = classifier(b).argmax(1)
        right = {THINGS[c]: round(100 * float((guess[y_val == c] == c).float().mean()), 1) for c in THINGS}
        right["stars called triangles"] = round(100 * float((guess[y_val == 5] == 4).float().mean()), 1)
        result[name] = right
    return result


if __name__ == "__main__":
    transformers_logging.set_verbosity_error()
    study = sys.argv[1] if len(sys.argv) > 1 else ""
    if study == "recipe":
        print(json.dumps(recipe(dict(arg.split("=", 1) for arg in sys.argv[2:]))))
    elif study in ("outline", "probe"):
        print(json.dumps({"outline": outline, "probe": probe}[study]()))
    else:
        sys.exit("usage: star_finetuning.py recipe [key=value ...] | outline | probe")
