"""Write the model card (README.md) of a checkpoint trained by ``segtutor-train``.

``python -m segtutor.training.model_card <checkpoint folder> [--data data/toy-shapes]`` evaluates the
checkpoint on the validation split with :func:`segtutor.metrics.evaluate`, saves ``eval_results.json`` and
writes ``README.md`` from it, ``training_log.json`` and ``training_command.json``.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["evaluate_checkpoint", "main", "render_model_card"]

_FAMILY = {
    "mask2former": ("Mask2Former", "Cheng et al., *Masked-attention Mask Transformer for Universal Image "
                    "Segmentation*, CVPR 2022"),
    "maskformer": ("MaskFormer", "Cheng et al., *Per-Pixel Classification is Not All You Need for Semantic "
                   "Segmentation*, NeurIPS 2021"),
    "detr": ("DETR", "Carion et al., *End-to-End Object Detection with Transformers*, ECCV 2020"),
    "eomt": ("EoMT", "Kerssies et al., *Your ViT is Secretly an Image Segmentation Model*, CVPR 2025"),
}


_DEFAULT_DATA = "ToyShapes train (`data/toy-shapes`, 400 images), random horizontal flips"


def evaluate_checkpoint(
    folder: str | Path, data: str | Path | None = None, split: str = "val"
) -> dict[str, Any]:
    """Evaluate the checkpoint in ``folder`` on ``split`` (all tasks) and save ``eval_results.json``.

    Returns
    -------
    dict
        ``{"split", "num_images", "seconds", "metrics": {PQ, SQ, RQ, PQ_th, ..., mAP, mIoU}}``.
    """
    from segtutor.data import open_dataset
    from segtutor.metrics import evaluate
    from segtutor.models.loading import load_pretrained

    folder = Path(folder)
    model, processor = load_pretrained(folder, device="cpu", local_files_only=True)
    result = evaluate(model, processor, open_dataset(data, split, "panoptic"), task="all", batch_size=16)
    out = {"split": split, "num_images": result.num_images, "seconds": round(result.seconds, 1),
           "metrics": {k: v for k, v in result.metrics.items() if v is not None}}
    (folder / "eval_results.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return out


def _pct(metrics: Mapping[str, float], key: str) -> str:
    value = metrics.get(key)
    return "–" if value is None else f"{100 * value:.1f}"


def render_model_card(
    config: Mapping[str, Any],
    log: Mapping[str, Any],
    command: Sequence[str],
    evaluation: Mapping[str, Any],
    num_parameters: int,
    name: str,
    notes: str = "",
    train_data: str = _DEFAULT_DATA,
) -> str:
    """Return the Markdown model card of a toy checkpoint.

    Parameters
    ----------
    config : mapping
        The checkpoint's ``config.json`` (``model_type``, ``id2label``, backbone).
    log : mapping
        ``training_log.json`` (settings, history, evaluations, seconds).
    command : sequence of str
        The ``segtutor-train`` arguments that re-create the checkpoint.
    evaluation : mapping
        ``eval_results.json`` from :func:`evaluate_checkpoint`.
    num_parameters : int
        Parameter count.
    name : str
        Folder name, e.g. ``toy-mask2former-panoptic``.
    notes : str
        Extra Markdown (e.g. the backbone measurement).
    train_data : str
        One line on the training data (Markdown).
    """
    arch = config["model_type"]
    family, paper = _FAMILY[arch]
    backbone = _backbone_words(config)
    m = evaluation["metrics"]
    train_cfg = log["config"]
    labels = ", ".join(f"{k} `{v}`" for k, v in sorted(config["id2label"].items(), key=lambda kv: int(kv[0])))
    evals = log.get("evaluations", [])
    data_command = f"{data_setup}\n" if (data_setup := _data_setup(command)) else ""
    out = _option(command, "--output-dir", "OUT")
    curve = " · ".join(f"{e['step']}: {100 * e['PQ']:.1f}" for e in evals if "PQ" in e)
    pretraining = log.get("backbone_pretraining")
    if pretraining:
        origin = (f"backbone pretrained by segtutor on the same training images (each pixel's class, "
                  f"{pretraining['steps']} steps), no downloaded weights")
        pre_lr = pretraining["learning_rate"]
        budget_pre = f"{pretraining['steps']} backbone-pretraining steps (lr {pre_lr:g}), then "
    else:
        origin, budget_pre = "backbone from scratch", ""
    minutes = log.get("total_seconds", log.get("seconds", 0)) / 60
    return f"""---
library_name: transformers
license: apache-2.0
tags: [image-segmentation, panoptic-segmentation, {arch}, toy, segtutor]
datasets: [toy-shapes]
---

# {name}: a TOY {family} for panoptic segmentation (not an official checkpoint)

A tiny {family} ({paper}) trained by segtutor, without any downloaded weights, on **ToyShapes**
(synthetic 128×128 px scenes). It exists so that the notebooks run offline; it knows nothing about real
photographs. The official checkpoints are listed in `segtutor.models.registry`.

| | |
|---|---|
| architecture | `{config.get('architectures', ['?'])[0]}` ({family}), {backbone} {origin} |
| weights | {num_parameters:,} values incl. {_buffers_words(arch)} ({4e-6 * num_parameters:.1f} MB, fp32) |
| classes | {labels} |
| training data | {train_data} |
| budget | {budget_pre}{train_cfg['steps']} steps × batch {train_cfg['batch_size']}, AdamW lr \
{train_cfg['learning_rate']:g}, {train_cfg['warmup_steps']} warm-up steps then cosine decay, gradient \
clipping {train_cfg['max_grad_norm']}, seed {train_cfg['seed']} |
| training time | {minutes:.1f} min on a 2-core CPU (wall time, all of it) |

Re-create it (deterministic for a given seed, machine and library versions):

```bash
{data_command}segtutor-train {' '.join(command)}
mkdir -p data/checkpoints/{name}
cp {out}/{{config,preprocessor_config,training_command,training_log}}.json {out}/model.safetensors \\
   data/checkpoints/{name}/
python -m segtutor.training.model_card data/checkpoints/{name}
```

## ToyShapes val ({evaluation['num_images']} images), from `segtutor.metrics.evaluate`

| | PQ | SQ | RQ |
|---|---|---|---|
| all | {_pct(m, 'PQ')} | {_pct(m, 'SQ')} | {_pct(m, 'RQ')} |
| things | {_pct(m, 'PQ_th')} | {_pct(m, 'SQ_th')} | {_pct(m, 'RQ_th')} |
| stuff | {_pct(m, 'PQ_st')} | {_pct(m, 'SQ_st')} | {_pct(m, 'RQ_st')} |

Mask mAP {_pct(m, 'mAP')} (mAP@50 {_pct(m, 'mAP_50')}, mAP@75 {_pct(m, 'mAP_75')}); mIoU {_pct(m, 'mIoU')}.

All in %. Instance (mAP) and semantic (mIoU) scores come from the same panoptic model, post-processed for
each task. PQ on the first {_option(command, '--eval-images', '100')} val images during training (step: PQ %):
{curve or '–'}.

{notes}
"""


def _backbone_words(config: Mapping[str, Any]) -> str:
    """How the card names the backbone: its model type, or for EoMT the plain ViT it is."""
    if config.get("model_type") == "eomt":
        return (f"plain ViT (width {config['hidden_size']}, {config['num_hidden_layers']} blocks, patch "
                f"{config['patch_size']}, the {config['num_queries']} queries in the last "
                f"{config['num_blocks']} blocks; masked attention annealed to off during training, so "
                "inference uses none),")
    return str(config.get("backbone_config", {}).get("model_type", "?"))


def _buffers_words(arch: str) -> str:
    if arch == "eomt":
        return "the annealed mask probabilities (`attn_mask_probs`, all 0)"
    return "batch-norm statistics"


def _option(command: Sequence[str], flag: str, default: str) -> str:
    """The value that follows ``flag`` in ``command``, or ``default``."""
    return command[command.index(flag) + 1] if flag in command[:-1] else default


def _data_setup(command: Sequence[str]) -> str:
    """The ``segtutor-toyshapes`` line that recreates a generated ``--data`` folder, if one is recorded."""
    if "--data" not in command:
        return ""
    root = Path(command[command.index("--data") + 1])
    readme = root / "README.md"
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("segtutor-toyshapes"):
                return re.sub(r"--out \S+", f"--out {root}", line.strip().strip("`"))
    return ""


def _train_data_line(command: Sequence[str]) -> str:
    """Describe the training data of ``command``: the shipped ToyShapes, or a generated ToyShapes folder."""
    root = _option(command, "--data", "")
    if not root or Path(root) == Path("data/toy-shapes"):
        return _DEFAULT_DATA
    images = Path(root) / "images" / "train"
    count = f"{len(list(images.glob('*.png'))):,} images" if images.is_dir() else "images"
    return (f"ToyShapes train generated at `{root}` ({count}, re-created by the first command below; the "
            "first 400 are `data/toy-shapes/train` and its val split is `data/toy-shapes/val`), random "
            "horizontal flips")


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate a checkpoint folder and write its README.md model card."""
    parser = argparse.ArgumentParser(prog="python -m segtutor.training.model_card", description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--data", default=None, help="dataset root (default: data/toy-shapes)")
    parser.add_argument("--notes", type=Path, default=None, help="Markdown file appended to the card")
    parser.add_argument("--skip-eval", action="store_true", help="reuse eval_results.json")
    parser.add_argument("--train-data", default=None,
                        help="one Markdown line on the training data (default: from the training command)")
    args = parser.parse_args(argv)
    folder: Path = args.folder
    evaluation = (
        json.loads((folder / "eval_results.json").read_text(encoding="utf-8"))
        if args.skip_eval else evaluate_checkpoint(folder, args.data)
    )
    from safetensors import safe_open

    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        num_parameters = sum(_prod(f.get_slice(key).get_shape()) for key in f.keys())
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    log = json.loads((folder / "training_log.json").read_text(encoding="utf-8"))
    command = json.loads((folder / "training_command.json").read_text(encoding="utf-8"))["argv"]
    notes = args.notes.read_text(encoding="utf-8") if args.notes else ""
    card = render_model_card(config, log, command, evaluation, num_parameters, folder.name, notes,
                             args.train_data or _train_data_line(command))
    (folder / "README.md").write_text(card, encoding="utf-8")
    return 0


def _prod(shape: Sequence[int]) -> int:
    out = 1
    for n in shape:
        out *= int(n)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
