"""Data-layer benchmark: ToyShapes generation time and the cost of one collated training batch.

Run: ``.venv/bin/python benchmarks/bench_data.py`` (add ``--skip-generation`` for the batch timings only).

Targets (issue 3): generating the committed dataset <= 30 s on 2 cores; one batch of 8 images at 128 x 128
read from disk and collated <= 50 ms. The baseline for the batch is the transformers image processor path
(``fast=False``); segtutor's torch fast path gives the same tensors. Results are printed, with ratios.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from transformers import DetrImageProcessor, Mask2FormerImageProcessor, MaskFormerImageProcessor

from segtutor.data import DEFAULT_TOYSHAPES_ROOT, TrainingDataset, collate_fn, open_dataset, write_toyshapes

PROCESSORS = {
    "mask2former": Mask2FormerImageProcessor,
    "maskformer": MaskFormerImageProcessor,
    "detr": DetrImageProcessor,
}


def time_generation() -> tuple[float, float]:
    """Wall and CPU seconds to write the committed dataset (400 + 100 images) into a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu = time.perf_counter(), time.process_time()
        write_toyshapes(Path(tmp) / "toy-shapes", seed=0, n_train=400, n_val=100)
        return time.perf_counter() - wall, time.process_time() - cpu


def time_batches(
    root: Path, fmt: str, arch: str, fast: bool, repeats: int, batch_size: int = 8
) -> tuple[float, float]:
    """Median wall and CPU seconds to read ``batch_size`` items from disk, encode them and collate them.

    CPU time is the better guide on a shared machine: wall time grows with other people's load.
    """
    processor = PROCESSORS[arch](size={"height": 128, "width": 128})
    dataset = TrainingDataset(open_dataset(root, "train", fmt), processor, augment=True, fast=fast)
    collate_fn([dataset[i] for i in range(batch_size)])  # warm-up (output size probe, imports)
    walls, cpus = [], []
    for r in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        first = (r * batch_size) % (len(dataset) - batch_size)
        collate_fn([dataset[i] for i in range(first, first + batch_size)])
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_TOYSHAPES_ROOT)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (DataLoader workers use 1)")
    parser.add_argument("--skip-generation", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    if not args.skip_generation:
        wall, cpu = time_generation()
        print(
            f"generate ToyShapes 400 + 100 images, 3 formats: {wall:.1f} s wall, {cpu:.1f} s CPU "
            "(target <= 30 s)"
        )

    print(
        f"one batch of 8 at 128x128 from disk, collated (median of {args.repeats}, "
        f"{args.threads} thread), ms:"
    )
    print(
        f"{'format':<10} {'arch':<12} {'processor wall/CPU':>19} {'fast wall/CPU':>14} {'CPU speed-up':>13}"
    )
    for fmt in ("panoptic", "instance", "semantic"):
        for arch in PROCESSORS:
            slow = time_batches(args.root, fmt, arch, fast=False, repeats=args.repeats)
            fast = time_batches(args.root, fmt, arch, fast=True, repeats=args.repeats)
            print(
                f"{fmt:<10} {arch:<12} {slow[0] * 1e3:9.1f} /{slow[1] * 1e3:6.1f}   "
                f"{fast[0] * 1e3:6.1f} /{fast[1] * 1e3:5.1f} {slow[1] / fast[1]:12.1f}x"
            )


if __name__ == "__main__":
    main()
