"""``segtutor-train``: train DETR, MaskFormer, Mask2Former or EoMT on any dataset segtutor can read.

Examples
--------
Train the bundled toy Mask2Former from scratch on ToyShapes::

    segtutor-train --architecture mask2former --data data/toy-shapes --output-dir runs/m2f

Fine-tune it on another dataset with different classes (the classifier is re-initialised)::

    segtutor-train --architecture mask2former --init data/checkpoints/toy-mask2former-panoptic \\
        --data my-star-shapes --output-dir runs/m2f-star --steps 300

The same command on several GPUs or machines, through Accelerate (``docs/scaling.md``)::

    accelerate launch --num_processes 4 -m segtutor.training.cli --architecture mask2former ...
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from accelerate import PartialState

from segtutor.training.loop import TrainConfig, TrainResult, train

__all__ = ["build_parser", "main", "run"]

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (every :class:`TrainConfig` field, plus data, model and output)."""
    defaults = TrainConfig()
    p = argparse.ArgumentParser(prog="segtutor-train", description=__doc__.split("\n\n")[0])
    p.add_argument("--architecture", required=True, choices=["mask2former", "maskformer", "detr", "eomt"])
    p.add_argument("--data", default=None,
                   help="dataset folder in the ToyShapes layout (default: data/toy-shapes)")
    p.add_argument("--format", default="panoptic", choices=["panoptic", "instance", "semantic"],
                   help="annotation files to train on")
    p.add_argument("--output-dir", required=True, type=Path,
                   help="where checkpoints and training_log.json go")
    p.add_argument("--init", default="tiny",
                   help="'tiny' (random tiny model) or a checkpoint folder / Hub id to fine-tune from")
    p.add_argument("--backbone", default=None, choices=["resnet", "resnet-deep", "swin", "vit"],
                   help="backbone of a tiny model (default: 'resnet'; EoMT: 'vit', its only one)")
    p.add_argument("--image-size", type=int, default=128, help="square training size in pixels (tiny models)")
    p.add_argument("--pretrain-backbone-steps", type=int, default=0,
                   help="first train the backbone alone to predict each pixel's class, for this many steps "
                        "(EoMT: its whole ViT, on the patch tokens, without the queries)")
    p.add_argument("--pretrain-backbone-lr", type=float, default=2e-3,
                   help="peak learning rate of the backbone pretraining")
    p.add_argument("--max-train-images", type=int, default=None, help="use only the first N training images")
    p.add_argument("--val-split", default="val", help="split for periodic evaluation ('' to skip)")
    p.add_argument("--eval-images", type=int, default=100, help="validation images per evaluation")
    p.add_argument("--steps", type=int, default=defaults.steps)
    p.add_argument("--batch-size", type=int, default=defaults.batch_size,
                   help="images per forward pass in each process")
    p.add_argument("--grad-accum", type=int, default=defaults.grad_accum,
                   help="forward passes per optimisation step (global batch: batch size × processes × this)")
    p.add_argument("--lr", type=float, default=defaults.learning_rate, help="peak learning rate")
    p.add_argument("--backbone-lr-factor", type=float, default=defaults.backbone_lr_factor)
    p.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    p.add_argument("--warmup-steps", type=int, default=defaults.warmup_steps)
    p.add_argument("--final-lr-ratio", type=float, default=defaults.final_lr_ratio)
    p.add_argument("--max-grad-norm", type=float, default=defaults.max_grad_norm)
    p.add_argument("--eval-every", type=int, default=defaults.eval_every)
    p.add_argument("--save-every", type=int, default=defaults.save_every)
    p.add_argument("--log-every", type=int, default=defaults.log_every)
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--device", default=None, help="cpu, cuda or mps (default: best available)")
    p.add_argument("--mixed-precision", "--precision", dest="precision", default=defaults.precision,
                   choices=["auto", "bf16", "fp16", "fp32", "no"],
                   help="autocast dtype ('auto': bf16 on CUDA, fp32 elsewhere; 'no' = 'fp32')")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--no-augment", action="store_true", help="turn off random horizontal flips")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --output-dir")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def _train_config(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        steps=args.steps, batch_size=args.batch_size, grad_accum=args.grad_accum, learning_rate=args.lr,
        backbone_lr_factor=args.backbone_lr_factor, weight_decay=args.weight_decay,
        warmup_steps=args.warmup_steps, final_lr_ratio=args.final_lr_ratio, max_grad_norm=args.max_grad_norm,
        eval_every=args.eval_every, save_every=args.save_every, log_every=args.log_every, seed=args.seed,
        device=args.device, precision=args.precision,
    )


def _model_and_processor(args: argparse.Namespace, id2label: dict[int, str]) -> tuple[Any, Any]:
    from segtutor.models.finetune import load_for_finetuning
    from segtutor.models.tiny import build_tiny_model, make_image_processor

    if args.init == "tiny":
        model = build_tiny_model(
            args.architecture, id2label, backbone=args.backbone, image_size=args.image_size, seed=args.seed
        )
        return model, make_image_processor(args.architecture, image_size=args.image_size)
    return load_for_finetuning(args.init, id2label)


def _evaluate_fn(processor: Any, val: Any, max_images: int) -> Callable[[torch.nn.Module], dict[str, float]]:
    from segtutor.metrics import evaluate

    def evaluate_fn(model: torch.nn.Module) -> dict[str, float]:
        # every process runs its share of the images; the predictions are gathered and scored as one set
        result = evaluate(model, processor, val, task="all", max_images=max_images, across_processes=True)
        return {k: v for k, v in result.metrics.items() if v is not None}

    return evaluate_fn


def run(args: argparse.Namespace) -> TrainResult:
    """Read the data, build or load the model, train, evaluate; return the result (used by :func:`main`).

    Under ``accelerate launch`` every process runs this function; only the main one writes files.
    """
    from segtutor.data import TrainingDataset, collate_fn, open_dataset
    from segtutor.models.tiny import default_backbone

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.backbone is None:  # recorded in training_command.json as the backbone actually used
        args.backbone = default_backbone(args.architecture)
    state = PartialState(cpu=args.device == "cpu")
    source = _InMemory(open_dataset(args.data, "train", args.format), args.max_train_images)
    id2label = {c.id: c.name for c in source.categories}
    started = time.perf_counter()
    with state.main_process_first():  # a Hub checkpoint is downloaded once, then read from the cache
        model, processor = _model_and_processor(args, id2label)
    dataset = TrainingDataset(source, processor, augment=not args.no_augment, seed=args.seed)
    pretraining = _pretrain_backbone(args, model, dataset, len(id2label), state.device)
    evaluate_fn = None
    if args.val_split:
        val = _InMemory(open_dataset(args.data, args.val_split, "panoptic"), args.eval_images)
        evaluate_fn = _evaluate_fn(processor, val, args.eval_images)
    result = train(
        model, dataset, collate_fn, _train_config(args), processor=processor, output_dir=args.output_dir,
        evaluate_fn=evaluate_fn, on_log=_log_record, resume=args.resume, progress=not args.no_progress,
    )
    logger.info("trained %d steps in %.0f s", args.steps, time.perf_counter() - started)
    if PartialState().is_main_process:
        if pretraining is not None:
            _add_to_log(args.output_dir, pretraining, total_seconds=time.perf_counter() - started)
        _write_command(args)
    return result


def _pretrain_backbone(
    args: argparse.Namespace, model: Any, dataset: Any, num_labels: int, device: torch.device
) -> dict | None:
    """Run the optional backbone pretraining; return what the training log keeps of it.

    It is not split between processes: each runs the same seeded pretraining on its own device (it is short),
    and the distributed training that follows starts from the main process's weights.
    """
    if args.pretrain_backbone_steps <= 0 or args.resume:
        return None
    from segtutor.data import collate_fn
    from segtutor.training.backbone_pretraining import pretrain_backbone

    started = time.perf_counter()
    history = pretrain_backbone(
        model.to(device), dataset, collate_fn, num_labels=num_labels, steps=args.pretrain_backbone_steps,
        batch_size=args.batch_size, learning_rate=args.pretrain_backbone_lr, seed=args.seed, device=device,
        progress=not args.no_progress and PartialState().is_main_process,
    )
    seconds = time.perf_counter() - started
    logger.info("pretrained the backbone for %d steps in %.0f s (pixel accuracy %.3f)",
                args.pretrain_backbone_steps, seconds, history[-1]["pixel_accuracy"])
    return {"steps": args.pretrain_backbone_steps, "learning_rate": args.pretrain_backbone_lr,
            "seconds": round(seconds, 1), "history": history}


def _add_to_log(output_dir: Path, pretraining: dict, total_seconds: float) -> None:
    """Record the backbone pretraining and the total wall time in ``training_log.json``."""
    from segtutor.training.state import LOG_FILE, write_json

    path = Path(output_dir) / LOG_FILE
    log = json.loads(path.read_text(encoding="utf-8"))
    log["backbone_pretraining"] = pretraining
    log["total_seconds"] = round(total_seconds, 1)
    write_json(path, log)


def _log_record(record: dict[str, Any]) -> None:
    """Log evaluations, and the training loss every 100 steps (for runs without a progress bar)."""
    if "loss" not in record:
        logger.info("step %d: %s", record["step"], ", ".join(
            f"{k}={v:.3f}" for k, v in record.items() if k in ("PQ", "PQ_th", "PQ_st", "mAP", "mIoU")))
    elif record["step"] % 100 == 0:
        logger.info("step %d: loss %.3f, lr %.2e, %.0f s", record["step"], record["loss"], record["lr"],
                    record["elapsed_s"])


class _InMemory:
    """The first ``n`` samples of a reader, read once and kept in memory (ToyShapes: a few MB)."""

    def __init__(self, source: Any, n: int | None = None) -> None:
        count = len(source) if n is None else min(n, len(source))
        self.samples = [source[i] for i in range(count)]
        self.categories = source.categories

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Any:
        return self.samples[index]

    def __iter__(self) -> Any:
        return iter(self.samples)


def _write_command(args: argparse.Namespace) -> None:
    """Record the exact command line next to the weights (used by the model card)."""
    options = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}

    path = Path(args.output_dir) / "training_command.json"
    path.write_text(json.dumps({"argv": sys.argv[1:], "options": options}, indent=1) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``segtutor-train``; returns the process exit status."""
    args = build_parser().parse_args(argv)
    # under accelerate launch, only the main process reports (the others would repeat every line)
    level = logging.INFO if PartialState(cpu=args.device == "cpu").is_main_process else logging.WARNING
    logging.basicConfig(level=level, format="%(message)s")
    result = run(args)
    last = result.evaluations[-1] if result.evaluations else {}
    shown = ("PQ", "PQ_th", "PQ_st", "mAP", "mIoU")
    summary = ", ".join(f"{k}={v:.3f}" for k, v in last.items() if k in shown)
    logger.info("saved to %s in %.0f s%s", args.output_dir, result.seconds, f"; {summary}" if summary else "")
    return 0



if __name__ == "__main__":  # python -m segtutor.training.cli, e.g. under accelerate launch
    sys.exit(main())
