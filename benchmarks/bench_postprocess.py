"""Benchmark segtutor.postprocess, both modes, against transformers' post-processing.

Run from the repository root (heavy: run it alone, e.g. under ``flock /tmp/segtutor-cpu.lock``)::

    .venv/bin/python benchmarks/bench_postprocess.py          # best of 3 timed runs per case
    .venv/bin/python benchmarks/bench_postprocess.py --quick  # 1 timed run, synthetic families only
    ATEN_CPU_CAPABILITY=default .venv/bin/python benchmarks/bench_postprocess.py --quick

For semantic, instance and panoptic (200 queries, 133 classes, COCO's 53 stuff classes fused in
panoptic), targets 480x640 and 1024x2048, it prints per input family the time per image of
transformers 5.24's ``Mask2FormerImageProcessor.post_process_*_segmentation``, of segtutor's
``compatible=True`` and of its default (padding-correct) mode, the speed-ups, peak memory, whether
compatible mode is identical to transformers, and how well the default mode agrees with the plain
reference of its own formula (every map upsampled, then decided: `PlainUpsampling`): the share of
equal pixels and whether the segments are the same. It exits with status 1 if compatible mode differs.

Input families (mask logits on a 96x128 grid for 480x640 targets, 208x408 for 1024x2048):

* ``voronoi``: 30 confident queries own Voronoi cells (logits grow with the distance to the border,
  plus per-pixel noise); the others predict "no object" with negative masks;
* ``blobs``: smooth masks, every query's a 12x16 random field upsampled to the grid; each of the 30
  confident queries owns the pixels where its field is the highest (its logit: 8 x the lead over the
  next field), the others' logits are 2 x their field - 5;
* ``*-confident``: the same with mask logits ten times larger, as trained models produce;
* ``toy``: the bundled toy Mask2Former on ToyShapes validation images (real outputs; full runs only);
* ``real-size``: the real-size Mask2Former architecture (Swin backbone, 200 queries, 133 classes) with
  random weights on a 384x512 input, made confident: 30 queries name a class and own the region where
  their standardised mask logits lead the other owners' (40 x the lead), the others' logits are scaled
  ten times (full runs only).

Timing: the implementations run alternately in this process after a warm-up call; the best of the
timed runs is reported. Runs vary by 20-30% between processes (page faults on fresh memory).
Peak memory: the growth of the resident set during one call (VmHWM, reset through
/proc/self/clear_refs), in a child process started with ``MALLOC_MMAP_THRESHOLD_=65536`` so that
freed buffers cannot hide later allocations. Linux only.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping

import torch
import torch.nn.functional as F
import transformers
from transformers import Mask2FormerImageProcessor
from transformers.models.mask2former.modeling_mask2former import Mask2FormerForUniversalSegmentationOutput

from segtutor.postprocess import (
    _instance,
    _near_boundaries,
    _panoptic,
    _semantic,
    instance,
    panoptic,
    semantic,
)

CLASSES, QUERIES, CONFIDENT = 133, 200, 30
STUFF = set(range(80, CLASSES))
TARGETS = {(480, 640): (96, 128), (1024, 2048): (208, 408)}
TASKS = ("semantic", "instance", "panoptic")
OURS: dict[str, Callable] = {"semantic": semantic, "instance": instance, "panoptic": panoptic}
OPTIONS: dict[str, dict] = {"semantic": {}, "instance": {}, "panoptic": {"label_ids_to_fuse": STUFF}}
SYNTHETIC = ("voronoi", "voronoi-confident", "blobs", "blobs-confident")
REAL = ("toy", "real-size")


def _class_logits(g: torch.Generator, owners: torch.Tensor) -> torch.Tensor:
    class_logits = torch.randn(1, QUERIES, CLASSES + 1, generator=g)
    class_logits[..., CLASSES] += 5.0
    labels = torch.randint(0, CLASSES, (len(owners),), generator=g)
    class_logits[0, owners, labels] += 10.0
    class_logits[0, owners, CLASSES] -= 5.0
    return class_logits


def synthetic_outputs(family: str, mask_size: tuple[int, int], seed: int = 0):
    """Model-like outputs for one image (see the module docstring)."""
    g = torch.Generator().manual_seed(seed)
    height, width = mask_size
    owners = torch.randperm(QUERIES, generator=g)[:CONFIDENT]
    class_logits = _class_logits(g, owners)
    if family.startswith("blobs"):  # each confident query owns where its field is the highest
        field = F.interpolate(torch.randn(1, QUERIES, 12, 16, generator=g), size=mask_size, mode="bilinear")
        mask_logits = field * 2.0 - 5.0
        mine = field[0, owners]
        two = mine.topk(2, dim=0).values
        mask_logits[0, owners] = 8.0 * (mine - torch.where(mine == two[0], two[1], two[0]))
    else:
        mask_logits = torch.randn(1, QUERIES, height, width, generator=g) - 5.0
        ys = torch.arange(height, dtype=torch.float32).view(1, -1, 1)
        xs = torch.arange(width, dtype=torch.float32).view(1, 1, -1)
        distance = (
            (ys - torch.rand(CONFIDENT, 1, 1, generator=g) * height) ** 2
            + (xs - torch.rand(CONFIDENT, 1, 1, generator=g) * width) ** 2
        ).sqrt()
        two = distance.topk(2, dim=0, largest=False).values
        nearest_other = torch.where(distance == two[0], two[1], two[0])
        noise = torch.randn(CONFIDENT, height, width, generator=g)
        mask_logits[0, owners] = 96 / height * (nearest_other - distance) + noise
    if family.endswith("confident"):
        mask_logits = mask_logits * 10.0
    return Mask2FormerForUniversalSegmentationOutput(
        class_queries_logits=class_logits, masks_queries_logits=mask_logits
    )


def real_outputs(family: str) -> tuple[object, tuple[int, int]]:
    """Outputs of a real model for one image, and the image size (``toy``) or ``None`` (``real-size``)."""
    if family == "toy":
        from segtutor.examples import example_images
        from segtutor.models import load_model

        model, processor = load_model("mask2former", "panoptic", source="bundled")
        image = example_images(online=False, count=1).images[0]
        with torch.no_grad():
            outputs = model(**processor(images=[image], return_tensors="pt"))
        return outputs, image.shape[:2]
    config = transformers.Mask2FormerConfig(num_queries=QUERIES, num_labels=CLASSES)
    torch.manual_seed(0)
    model = transformers.Mask2FormerForUniversalSegmentation(config).eval()
    with torch.no_grad():
        outputs = model(pixel_values=torch.randn(1, 3, 384, 512))
    # made confident as a trained model is: 30 queries name a class and own the region where their
    # (standardised) mask logits lead the other owners'; the rest predict "no object"
    g = torch.Generator().manual_seed(0)
    owners = torch.randperm(QUERIES, generator=g)[:CONFIDENT]
    mask_logits = outputs.masks_queries_logits * 10.0
    mine = outputs.masks_queries_logits[0, owners]
    mine = (mine - mine.mean(dim=(1, 2), keepdim=True)) / mine.std(dim=(1, 2), keepdim=True)
    two = mine.topk(2, dim=0).values
    mask_logits[0, owners] = 40.0 * (mine - torch.where(mine == two[0], two[1], two[0]))
    class_logits = _class_logits(g, owners) + outputs.class_queries_logits
    return Mask2FormerForUniversalSegmentationOutput(
        class_queries_logits=class_logits, masks_queries_logits=mask_logits
    ), None


@contextlib.contextmanager
def plain_upsampling() -> Iterator[None]:
    """Run the default mode with `PlainUpsampling`: its reference, every map upsampled."""
    modules = (_semantic, _instance, _panoptic)
    for module in modules:
        module.Upsampling = _near_boundaries.PlainUpsampling
    try:
        yield
    finally:
        for module in modules:
            module.Upsampling = _near_boundaries.Upsampling


def implementations(task: str) -> dict[str, Callable]:
    theirs = getattr(Mask2FormerImageProcessor(), f"post_process_{task}_segmentation")
    ours = OURS[task]
    return {
        "transformers": lambda outputs, size: theirs(outputs, target_sizes=[size], **OPTIONS[task]),
        "compatible": lambda outputs, size: ours(
            outputs, target_sizes=[size], compatible=True, **OPTIONS[task]
        ),
        "default": lambda outputs, size: ours(outputs, target_sizes=[size], **OPTIONS[task]),
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


def agreement(result: object, reference: object) -> tuple[float, bool]:
    """Share of equal pixels of the maps, and whether the segments are the same."""
    if isinstance(result, dict):
        same = result["segments_info"] == reference["segments_info"]  # type: ignore[index]
        result, reference = result["segmentation"], reference["segmentation"]  # type: ignore[index]
    else:
        same = True
    return float((result == reference).float().mean()), same  # type: ignore[union-attr]


def cases(families: tuple[str, ...]) -> Iterator[tuple[str, object, tuple[int, int]]]:
    for family in families:
        if family in REAL:
            outputs, size = real_outputs(family)
            for target in [size] if size else list(TARGETS):
                yield family, outputs, target
        else:
            for target, grid in TARGETS.items():
                yield family, synthetic_outputs(family, grid), target


def time_case(task: str, outputs: object, size: tuple[int, int], repeats: int) -> dict:
    impls = implementations(task)
    results = {name: fn(outputs, size) for name, fn in impls.items()}  # warm-up, and the outputs to compare
    with plain_upsampling():
        reference = impls["default"](outputs, size)
    times: dict[str, list[float]] = {name: [] for name in impls}
    for _ in range(repeats):
        for name, fn in impls.items():
            start = time.perf_counter()
            fn(outputs, size)
            times[name].append(time.perf_counter() - start)
    pixels, same_segments = agreement(results["default"][0], reference[0])
    return {
        "ms": {name: 1000 * min(t) for name, t in times.items()},
        "identical": identical(results["compatible"], results["transformers"]),
        "pixels": pixels,
        "same_segments": same_segments,
        "segments": len(reference[0]["segments_info"]) if task != "semantic" else None,
    }


def _rss(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(f"{field} not in /proc/self/status")


def peak_memory_child(families: tuple[str, ...]) -> None:
    """Child process: print {case: peak MiB} as JSON."""
    peaks = {}
    for family, outputs, size in cases(families):
        for task in TASKS:
            for name, fn in implementations(task).items():
                fn(outputs, size)  # warm-up: lazy initialisations are not part of the peak
                gc.collect()
                with open("/proc/self/clear_refs", "w") as clear:
                    clear.write("5")  # reset the high-water mark to the current resident size
                before = _rss("VmRSS")
                result = fn(outputs, size)
                peaks[f"{family}/{task}/{size[0]}x{size[1]}/{name}"] = (_rss("VmHWM") - before) / 2**20
                del result
    print(json.dumps(peaks))


def peak_memory(families: tuple[str, ...], threads: int | None) -> dict[str, float]:
    if not sys.platform.startswith("linux"):
        return {}
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "65536"}
    command = [sys.executable, __file__, "--memory-child", "--families", *families]
    command += ["--threads", str(threads)] if threads else []
    child = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(child.stdout.strip().splitlines()[-1])


def format_row(family: str, task: str, size: tuple[int, int], row: dict, peaks: dict[str, float]) -> str:
    ms = row["ms"]
    key = f"{family}/{task}/{size[0]}x{size[1]}"
    memory = " ".join(
        f"{peaks[f'{key}/{name}']:6.0f}" if f"{key}/{name}" in peaks else f"{'n/a':>6}"
        for name in ("transformers", "compatible", "default")
    )
    segments = "-" if row["segments"] is None else str(row["segments"])
    return (
        f"{family:17} {task:9} {size[0]:>4}x{size[1]:<5} {ms['transformers']:8.1f} {ms['compatible']:8.1f} "
        f"{ms['transformers'] / ms['compatible']:5.1f}x {ms['default']:7.1f} "
        f"{ms['transformers'] / ms['default']:6.1f}x "
        f"{memory} {segments:>4} {'yes' if row['identical'] else 'NO':>5} "
        f"{100 * row['pixels']:8.4f}% {'yes' if row['same_segments'] else 'NO':>4}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one timed run, synthetic families only")
    parser.add_argument("--families", nargs="+", choices=SYNTHETIC + REAL, help="input families to run")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory child process")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()
    if args.threads:
        torch.set_num_threads(args.threads)
    families = tuple(args.families or (SYNTHETIC if args.quick else SYNTHETIC + REAL))
    if args.memory_child:
        peak_memory_child(families)
        return 0
    repeats = 1 if args.quick else 3
    capability = os.environ.get("ATEN_CPU_CAPABILITY", "(auto)")
    print(
        f"torch {torch.__version__}, transformers {transformers.__version__}, "
        f"{torch.get_num_threads()} threads, "
        f"ATEN_CPU_CAPABILITY={capability}; best of {repeats} run(s) after a warm-up; ms per image; MiB\n"
    )
    peaks = {} if args.no_memory else peak_memory(families, args.threads)
    header = (
        f"{'family':17} {'task':9} {'target':>10} {'tf ms':>8} {'compat':>8} {'x':>6} "
        f"{'default':>7} {'x':>7} "
        f"{'mem tf':>6} {'compat':>6} {'defaul':>6} {'segs':>4} {'ident':>5} {'agree px':>9} {'segs':>4}"
    )
    print(header)
    print("-" * len(header))
    all_identical = True
    for family, outputs, size in cases(families):
        for task in TASKS:
            row = time_case(task, outputs, size, repeats)
            all_identical &= row["identical"]
            print(format_row(family, task, size, row, peaks), flush=True)
    print(f"\ncompatible mode identical to transformers everywhere: {'yes' if all_identical else 'NO'}")
    return 0 if all_identical else 1


if __name__ == "__main__":
    sys.exit(main())
