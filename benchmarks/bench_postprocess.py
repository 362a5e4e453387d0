"""Benchmark segtutor.postprocess (compatible mode) against transformers' post-processing.

Run from the repository root::

    .venv/bin/python benchmarks/bench_postprocess.py          # 3 timed runs per case (a few minutes)
    .venv/bin/python benchmarks/bench_postprocess.py --quick  # 1 timed run per case
    .venv/bin/python benchmarks/bench_postprocess.py --threads 1  # e.g. on a machine busy with other jobs

For each task (semantic, instance, panoptic), 100 and 200 queries, 133 classes (COCO panoptic: 80
things, 53 stuff fused in panoptic) and target sizes 480x640 and 1024x2048, it prints the time per
image of transformers' ``Mask2FormerImageProcessor.post_process_*_segmentation`` and of
``segtutor.postprocess.*(..., compatible=True)``, their peak memory, the ratios, and whether the
outputs are identical (types, dtypes, shapes, values, segments_info). It exits with status 1 if
any output differs. ``--architecture maskformer`` benchmarks ``MaskFormerImageProcessor`` instead.

Inputs are seeded synthetic outputs shaped like a real model's: about 30 confident queries of 200
(15 of 100) own neighbouring regions of the image, the others predict "no object" with negative
masks; mask logits are 96x128 for 480x640 targets (masks at 1/4 of a 384x512 input) and 208x408
for 1024x2048 (the same 5x ratio).

Timing: both implementations run alternately in this process, after a warm-up call; the best
(shortest) of the timed runs is reported, the one least disturbed by other processes. Much of both
implementations' time goes to first touching freshly allocated memory (page faults), which glibc
sometimes avoids and sometimes not, differently in each process: on a small virtual machine the same
case can differ by 20-30% between two runs of this script, so read ratios near a goal over a few runs.

Peak memory: the growth of the process's resident set during one call (VmHWM, reset through
/proc/self/clear_refs just before it), measured in one child process started with
``MALLOC_MMAP_THRESHOLD_=65536`` so that every freed buffer goes back to the system at once and
cannot hide a later allocation. The same measure applies to both implementations and counts every
allocation, torch's or not (tracemalloc would not see torch's buffers). Linux only; elsewhere
memory is reported as n/a.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping

import torch
import transformers
from transformers import Mask2FormerImageProcessor, MaskFormerImageProcessor
from transformers.models.mask2former.modeling_mask2former import Mask2FormerForUniversalSegmentationOutput
from transformers.models.maskformer.modeling_maskformer import MaskFormerForInstanceSegmentationOutput

from segtutor.postprocess import instance, panoptic, semantic

CLASSES = 133
STUFF = set(range(80, CLASSES))  # fused in panoptic, as COCO's stuff classes
TARGETS = {(480, 640): (96, 128), (1024, 2048): (208, 408)}
QUERIES = (100, 200)
TASKS = ("semantic", "instance", "panoptic")
OURS: dict[str, Callable] = {"semantic": semantic, "instance": instance, "panoptic": panoptic}
OPTIONS: dict[str, dict] = {"semantic": {}, "instance": {}, "panoptic": {"label_ids_to_fuse": STUFF}}


def synthetic_outputs(architecture: str, queries: int, mask_size: tuple[int, int], seed: int = 0):
    """Model-like outputs for one image: confident queries own Voronoi cells, the rest say "no object"."""
    g = torch.Generator().manual_seed(seed)
    height, width = mask_size
    confident = round(0.15 * queries)
    class_logits = torch.randn(1, queries, CLASSES + 1, generator=g)
    class_logits[..., CLASSES] += 5.0
    mask_logits = torch.randn(1, queries, height, width, generator=g) - 5.0
    owners = torch.randperm(queries, generator=g)[:confident]
    labels = torch.randint(0, CLASSES, (confident,), generator=g)
    class_logits[0, owners, labels] += 10.0
    class_logits[0, owners, CLASSES] -= 5.0
    ys = torch.arange(height, dtype=torch.float32).view(1, -1, 1)
    xs = torch.arange(width, dtype=torch.float32).view(1, 1, -1)
    distance = (
        (ys - torch.rand(confident, 1, 1, generator=g) * height) ** 2
        + (xs - torch.rand(confident, 1, 1, generator=g) * width) ** 2
    ).sqrt()
    two = distance.topk(2, dim=0, largest=False).values
    nearest_other = torch.where(distance == two[0], two[1], two[0])
    scale = 96 / height  # logits change per mask pixel as at 96x128, whatever the grid
    mask_logits[0, owners] = scale * (nearest_other - distance) + torch.randn(
        confident, height, width, generator=g
    )
    output_class = (
        Mask2FormerForUniversalSegmentationOutput
        if architecture == "mask2former"
        else MaskFormerForInstanceSegmentationOutput
    )
    return output_class(class_queries_logits=class_logits, masks_queries_logits=mask_logits)


def implementations(architecture: str, task: str) -> dict[str, Callable]:
    processor = (Mask2FormerImageProcessor if architecture == "mask2former" else MaskFormerImageProcessor)()
    theirs = getattr(processor, f"post_process_{task}_segmentation")
    return {
        "transformers": lambda outputs, size: theirs(outputs, target_sizes=[size], **OPTIONS[task]),
        "segtutor": lambda outputs, size: OURS[task](
            outputs, target_sizes=[size], compatible=True, **OPTIONS[task]
        ),
    }


def identical(a: object, b: object) -> bool:
    """Same types, dtypes, shapes and values, recursively."""
    if type(a) is not type(b):
        return False
    if isinstance(a, torch.Tensor):
        return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)  # type: ignore[union-attr]
    if isinstance(a, Mapping):
        return list(a) == list(b) and all(identical(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    return a == b


def time_case(architecture: str, task: str, queries: int, size: tuple[int, int], repeats: int) -> dict:
    outputs = synthetic_outputs(architecture, queries, TARGETS[size])
    impls = implementations(architecture, task)
    results = {name: fn(outputs, size) for name, fn in impls.items()}  # warm-up, and the outputs to compare
    times: dict[str, list[float]] = {name: [] for name in impls}
    for _ in range(repeats):
        for name, fn in impls.items():
            start = time.perf_counter()
            fn(outputs, size)
            times[name].append(time.perf_counter() - start)
    return {
        "ms": {name: 1000 * min(t) for name, t in times.items()},
        "identical": identical(results["segtutor"], results["transformers"]),
        "segments": len(results["transformers"][0]["segments_info"]) if task != "semantic" else None,
    }


def _rss(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(f"{field} not in /proc/self/status")


def peak_memory_child(architecture: str) -> None:
    """Child process: print {case: {implementation: peak MiB}} as JSON."""
    peaks = {}
    for task in TASKS:
        for queries in QUERIES:
            for size in TARGETS:
                outputs = synthetic_outputs(architecture, queries, TARGETS[size])
                for name, fn in implementations(architecture, task).items():
                    fn(outputs, size)  # warm-up: lazy initialisations are not part of the peak
                    gc.collect()
                    with open("/proc/self/clear_refs", "w") as clear:
                        clear.write("5")  # reset the high-water mark to the current resident size
                    before = _rss("VmRSS")
                    result = fn(outputs, size)
                    peaks[f"{task}/{queries}/{size[0]}x{size[1]}/{name}"] = (_rss("VmHWM") - before) / 2**20
                    del result
    print(json.dumps(peaks))


def peak_memory(architecture: str) -> dict[str, float]:
    if not sys.platform.startswith("linux"):
        return {}
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "65536"}
    child = subprocess.run(
        [sys.executable, __file__, "--memory-child", "--architecture", architecture],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


def format_row(task: str, queries: int, size: tuple[int, int], row: dict, peaks: dict[str, float]) -> str:
    theirs_ms, ours_ms = row["ms"]["transformers"], row["ms"]["segtutor"]
    key = f"{task}/{queries}/{size[0]}x{size[1]}"
    theirs_mb, ours_mb = peaks.get(f"{key}/transformers"), peaks.get(f"{key}/segtutor")
    if theirs_mb is None or ours_mb is None:
        memory = f"{'n/a':>8} {'n/a':>8} {'n/a':>9}"
    else:
        memory = f"{theirs_mb:6.0f}MB {ours_mb:6.0f}MB {theirs_mb / max(ours_mb, 1e-3):8.1f}x"
    segments = "-" if row["segments"] is None else str(row["segments"])
    return (
        f"{task:9} {queries:7d} {size[0]:>4}x{size[1]:<5} {theirs_ms:10.1f} ms {ours_ms:6.1f} ms "
        f"{theirs_ms / ours_ms:7.1f}x {memory} {segments:>8}  {'yes' if row['identical'] else 'NO'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one timed run per case instead of three")
    parser.add_argument("--architecture", choices=["mask2former", "maskformer"], default="mask2former")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory child process")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_child:
        peak_memory_child(args.architecture)
        return 0
    repeats = 1 if args.quick else 3
    threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, {threads} threads")
    print(f"{args.architecture} processor, {CLASSES} classes, best of {repeats} run(s) after a warm-up\n")
    peaks = {} if args.no_memory else peak_memory(args.architecture)
    header = (
        f"{'task':9} {'queries':>7} {'target':>10} {'transformers':>13} {'segtutor':>9} {'speed-up':>8} "
        f"{'mem tf':>8} {'mem st':>8} {'mem ratio':>9} {'segments':>8}  identical"
    )
    print(header)
    print("-" * len(header))
    all_identical = True
    for task in TASKS:
        for queries in QUERIES:
            for size in TARGETS:
                row = time_case(args.architecture, task, queries, size, repeats)
                all_identical &= row["identical"]
                print(format_row(task, queries, size, row, peaks), flush=True)
    print(f"\nall outputs identical: {'yes' if all_identical else 'NO'}")
    return 0 if all_identical else 1


if __name__ == "__main__":
    sys.exit(main())
