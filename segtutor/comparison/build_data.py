"""Compute the comparison tables once and store them for the notebook (real-size models are slow to build).

Writes ``data/comparison/architectures.json`` (parameters per component and CPU latency of the real-size and
the bundled toy models, plus the papers' numbers) and ``data/comparison/convergence.json`` (validation PQ
against training steps of the bundled toy checkpoints). Each file records the command that made it::

    python -m segtutor.comparison.build_data --threads 1 --repeats 3

Options: ``--size`` (latency resolution of the real-size models, default 384), ``--toy-size`` (default 128),
``--skip-latency``, ``--checkpoints`` (folder of the toy checkpoints), ``--out`` (output folder).
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import platform
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import transformers

from segtutor.comparison.convergence import (
    ARCHITECTURE_NAMES,
    build_convergence,
    checkpoint_dirs,
    write_convergence,
)
from segtutor.comparison.latency import measure_latency
from segtutor.comparison.papers import PAPERS, paper_results
from segtutor.comparison.parameters import build_model, parameter_table, real_size_config
from segtutor.metrics.table import Table

__all__ = ["EOMT_SMALLER_NAMES", "REAL_SIZE_NAMES", "build_architectures", "load_architectures", "main"]

logger = logging.getLogger(__name__)

#: Display names of the real-size models (what the official checkpoints contain).
REAL_SIZE_NAMES: dict[str, str] = {
    "detr": "DETR R50 (panoptic)",
    "maskformer": "MaskFormer Swin-T",
    "mask2former": "Mask2Former Swin-T",
    "eomt": "EoMT-L (ViT-L/16)",
}

#: EoMT's smaller released sizes, counted and timed beside EoMT-L (same layout, narrower or shallower ViT).
EOMT_SMALLER_NAMES: dict[str, str] = {"small": "EoMT-S (ViT-S/16)", "base": "EoMT-B (ViT-B/16)"}

DETR_WITHOUT_MASK_HEAD = "DETR R50 without its mask head (boxes only)"

NOTES = [
    "Real-size models are built offline from transformers configs with random weights; the parameter counts "
    "are those of facebook/detr-resnet-50-panoptic, facebook/maskformer-swin-tiny-coco and "
    "facebook/mask2former-swin-tiny-coco-panoptic; EoMT-S/B/L those of "
    "tue-mps/coco_panoptic_eomt_small_640_2x, ..._base_640_2x and ..._large_640 (640×640 input; at another "
    "input size only the position embeddings change).",
    "DETR uses transformers' ResNet-50 (use_timm_backbone=False). The official checkpoint uses timm's "
    "resnet50: same layers and the same 23,454,912 backbone parameters; only parameter names differ. "
    "BatchNorm is frozen "
    "in DETR, so its statistics are buffers and not counted.",
    "Latency: one forward pass without post-processing, random 3-channel input, CPU, interleaved repeats, "
    "median.",
    "DETR's panoptic mask head upsamples attention maps with an FPN-style convolution stack once per query "
    "(100 queries), so it dominates DETR's latency at high resolution; MaskFormer's per-pixel decoder runs "
    "once per image (MaskFormer paper, Sec. 5). The row without the mask head isolates that cost.",
    "EoMT's ViT takes one fixed input size (its position embeddings); for the latency table it is built for "
    "the same square input as the others. EoMT runs every image through all ViT blocks plus 200 query "
    "tokens in the last 4; it has no pixel decoder and no separate transformer decoder, and after mask "
    "annealing no masked attention at inference.",
]


def _toy_models(folders: dict[str, Path]) -> dict[str, torch.nn.Module]:
    from transformers import AutoConfig

    models = {}
    for architecture, folder in folders.items():
        config = AutoConfig.from_pretrained(folder, local_files_only=True)
        models[f"toy {ARCHITECTURE_NAMES[architecture]}"] = build_model(config, device="cpu")
    return models


def build_architectures(
    *,
    size: int = 384,
    toy_size: int = 128,
    repeats: int = 3,
    threads: int | None = 1,
    latency: bool = True,
    checkpoints: str | Path | None = None,
) -> dict[str, Any]:
    """Compute every architecture table; return a JSON-ready document of :meth:`Table.as_dict` tables."""
    real_configs = {a: real_size_config(a) for a in ("detr", "maskformer", "mask2former", "eomt")}
    eomt_configs = {name: real_size_config("eomt", variant=v) for v, name in EOMT_SMALLER_NAMES.items()}
    meta_models = {REAL_SIZE_NAMES[a]: build_model(c, device="meta") for a, c in real_configs.items()}
    meta_models.update({name: build_model(c, device="meta") for name, c in eomt_configs.items()})
    tables: dict[str, Table] = {
        "parameters_real": parameter_table(meta_models, title="Real-size models: parameters per component"),
        "papers": paper_results(),
    }
    folders = checkpoint_dirs(checkpoints)
    toy = _toy_models(folders) if folders else {}
    if toy:
        tables["parameters_toy"] = parameter_table(toy, title="Bundled toy models: parameters per component")
    if latency:
        logger.info("Timing the real-size models at %d×%d (a few minutes on 2 cores)...", size, size)
        # EoMT built for the same input as the others
        at_size = {**real_configs, "eomt": real_size_config("eomt", image_size=size)}
        real = {name: build_model(at_size[a], device="cpu") for a, name in REAL_SIZE_NAMES.items()}
        for variant, name in EOMT_SMALLER_NAMES.items():
            real[name] = build_model(real_size_config("eomt", variant=variant, image_size=size), device="cpu")
        # DETR's mask head runs once per query; timing DETR without it shows what that costs.
        real[DETR_WITHOUT_MASK_HEAD] = real[REAL_SIZE_NAMES["detr"]].detr
        tables["latency_real"] = measure_latency(
            real,
            height=size,
            width=size,
            repeats=repeats,
            warmup=1,
            num_threads=threads,
            title=f"Real-size models: CPU forward latency at {size}×{size}, {threads} thread(s)",
        )
        del real
        if toy:
            tables["latency_toy"] = measure_latency(
                toy,
                height=toy_size,
                width=toy_size,
                repeats=max(10, repeats),
                warmup=2,
                num_threads=threads,
                title=f"Toy models: CPU forward latency at {toy_size}×{toy_size}, {threads} thread(s)",
            )
    return {
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "threads": threads},
        "papers": PAPERS,
        "notes": NOTES,
        "tables": {name: table.as_dict() for name, table in tables.items()},
    }


def load_architectures(path: str | Path | None = None) -> dict[str, Table]:
    """Read ``architectures.json`` (default ``<data dir>/comparison/architectures.json``) into tables.

    Returns
    -------
    dict of str to Table
        ``parameters_real``, ``papers`` and, when they were computed, ``parameters_toy``, ``latency_real``,
        ``latency_toy``.
    """
    if path is None:
        from segtutor.paths import data_dir

        path = data_dir() / "comparison" / "architectures.json"
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist. Create it with `python -m segtutor.comparison.build_data`."
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    if "tables" not in data:
        raise ValueError(
            f"{path}: missing field 'tables'. Re-create it with `python -m segtutor.comparison.build_data`."
        )
    return {name: Table(**table) for name, table in data["tables"].items()}


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m segtutor.comparison.build_data", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--size", type=int, default=384, help="latency input side of the real-size models (px)"
    )
    parser.add_argument("--toy-size", type=int, default=128, help="latency input side of the toy models (px)")
    parser.add_argument("--repeats", type=int, default=3, help="timed forward passes per model")
    parser.add_argument("--threads", type=int, default=1, help="torch threads during timing")
    parser.add_argument("--skip-latency", action="store_true", help="only count parameters")
    parser.add_argument(
        "--checkpoints", type=Path, default=None, help="folder with toy-*-panoptic checkpoints"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default <data dir>/comparison)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    command = "python -m segtutor.comparison.build_data " + shlex.join(
        list(argv if argv is not None else sys.argv[1:])
    )
    if args.out is None:
        from segtutor.paths import data_dir

        args.out = data_dir() / "comparison"
    args.out.mkdir(parents=True, exist_ok=True)

    document = build_architectures(
        size=args.size,
        toy_size=args.toy_size,
        repeats=args.repeats,
        threads=args.threads,
        latency=not args.skip_latency,
        checkpoints=args.checkpoints,
    )
    target = args.out / "architectures.json"
    target.write_text(
        json.dumps({"command": command.strip(), **document}, indent=1, allow_nan=False) + "\n", "utf-8"
    )
    logger.info("Wrote %s", target)
    folders = checkpoint_dirs(args.checkpoints)
    if folders:
        written = write_convergence(
            build_convergence(folders), args.out / "convergence.json", command=command.strip()
        )
        logger.info("Wrote %s", written)
    else:
        logger.info("No trained toy checkpoints found: convergence.json not written.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
