"""Benchmark: blending a large panoptic map over an image, vectorised vs. a per-segment loop.

Workload: a 1024 x 2048 image and a panoptic map of 100 Voronoi-cell segments over 20 categories (5 stuff,
15 things), drawn with fills and thing outlines. The baseline is the straightforward implementation: for
every segment, compare the whole map with its id, blend its pixels, and outline it. segtutor's
``overlay`` looks colours up in small tables indexed by segment number instead. Both run here, in one
process, on the same inputs; their outputs are checked to be identical before timing.

A second measurement times the post-processing explorer widget: one slider change (post-processing plus
redraw) for a 512 x 512 image and 100 queries, which should feel live (<= 300 ms).

Run: ``.venv/bin/python benchmarks/bench_overlay.py`` (``--skip-widget`` for the overlay only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("OMP_NUM_THREADS", "2")  # the target machine: 2 cores
os.environ.setdefault("MKL_NUM_THREADS", "2")

import numpy as np

from segtutor.categories import Category, fallback_color
from segtutor.viz import instance_color, overlay

H, W, SEGMENTS, CLASSES = 1024, 2048, 100, 20
ALPHA, STUFF_ALPHA = 0.6, 0.48
CONTOUR = 8  # the default outline width for a 2048-pixel-wide image: max(2, round(2048 / 256))


def make_workload(seed: int = 0) -> tuple[np.ndarray, dict, list[Category]]:
    """Image, transformers-style panoptic result and categories (deterministic)."""
    rng = np.random.default_rng(seed)
    categories = [Category(i, f"class{i}", i >= 5, fallback_color(i)) for i in range(CLASSES)]
    step = 8  # Voronoi cells computed on a 1/8 grid, then enlarged: blocky but realistic segment sizes
    ys, xs = np.mgrid[0 : H // step, 0 : W // step]
    seeds = rng.uniform((0, 0), (H // step, W // step), size=(SEGMENTS, 2))
    nearest = np.argmin((ys[..., None] - seeds[:, 0]) ** 2 + (xs[..., None] - seeds[:, 1]) ** 2, axis=-1)
    segmentation = np.repeat(np.repeat(nearest + 1, step, axis=0), step, axis=1).astype(np.int32)
    segmentation[:, :16] = 0  # a void strip: left unpainted
    labels = rng.integers(0, CLASSES, size=SEGMENTS)
    info = [{"id": i + 1, "label_id": int(c), "was_fused": False, "score": 0.9} for i, c in enumerate(labels)]
    gradient = np.linspace(0, 255, W, dtype=np.float32)[None, :, None]
    image = np.clip(gradient + rng.normal(0, 20, size=(H, W, 3)), 0, 255).astype(np.uint8)
    return image, {"segmentation": segmentation, "segments_info": info}, categories


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    out = mask.copy()
    for _ in range(radius):
        grown = out.copy()
        grown[:, 1:] |= out[:, :-1]
        grown[:, :-1] |= out[:, 1:]
        out = grown.copy()
        out[1:] |= grown[:-1]
        out[:-1] |= grown[1:]
    return out


def baseline_overlay(image: np.ndarray, result: dict, categories: list[Category]) -> np.ndarray:
    """The straightforward way: one full-image pass (or several) per segment."""
    seg = result["segmentation"]
    rgb = image.astype(np.int32)
    grey = (77 * rgb[..., 0] + 150 * rgb[..., 1] + 29 * rgb[..., 2] + 128) >> 8
    out = image.copy()
    shade: dict[int, int] = {}
    for info in result["segments_info"]:
        category = categories[info["label_id"]]
        mask = seg == info["id"]
        if category.isthing:
            k = shade.get(category.id, 0)
            shade[category.id] = k + 1
            color = np.array(instance_color(category.color, k))
        else:
            color = np.array(category.color)
        a = round(256 * (ALPHA if category.isthing else STUFF_ALPHA))
        out[mask] = (grey[mask, None] * (256 - a) + color * a + 128) >> 8
        if category.isthing:  # outline: pixels within CONTOUR - 1 of the mask's border, inside the mask
            ring = np.zeros_like(mask)
            d = mask[:, 1:] != mask[:, :-1]
            ring[:, 1:] |= d
            ring[:, :-1] |= d
            d = mask[1:] != mask[:-1]
            ring[1:] |= d
            ring[:-1] |= d
            out[_dilate(ring, CONTOUR - 1) & mask] = color
    return out


def timed(function: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process, in milliseconds, after one warm-up call.

    On a shared machine the wall time includes waiting for other processes; the CPU time does not (for
    single-threaded NumPy code it is what the wall time would be on an idle machine).
    """
    function()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def bench_overlay(repeats: int) -> None:
    image, result, categories = make_workload()
    fast = overlay(image, result, categories, alpha=ALPHA, stuff_alpha=STUFF_ALPHA, contour_width=CONTOUR)
    slow = baseline_overlay(image, result, categories)
    if not np.array_equal(fast, slow):
        raise SystemExit(f"outputs differ at {(fast != slow).any(-1).sum()} pixels: the comparison is unfair")
    options = {"alpha": ALPHA, "stuff_alpha": STUFF_ALPHA, "contour_width": CONTOUR}
    fast_wall, fast_cpu = timed(lambda: overlay(image, result, categories, **options), repeats)
    slow_wall, slow_cpu = timed(lambda: baseline_overlay(image, result, categories), max(1, repeats // 3))
    print(f"overlay {H}x{W}, {SEGMENTS} segments (identical outputs)       wall ms    CPU ms")
    print(f"  per-segment loop (baseline):                         {slow_wall:8.1f}  {slow_cpu:8.1f}")
    print(f"  segtutor.viz.overlay (target <= 100 ms on 2 cores):  {fast_wall:8.1f}  {fast_cpu:8.1f}")
    print(f"  speed-up: {slow_wall / fast_wall:.1f}x (wall), {slow_cpu / fast_cpu:.1f}x (CPU)")


def bench_widget(repeats: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import torch
    from transformers.models.mask2former.modeling_mask2former import Mask2FormerForUniversalSegmentationOutput

    from segtutor.data.toyshapes import ToyShapesConfig, generate_scene, toyshapes_categories
    from segtutor.widgets import PostprocessExplorer

    torch.set_num_threads(2)
    sample = generate_scene(np.random.default_rng(0), ToyShapesConfig(size=512))
    g = torch.Generator().manual_seed(0)
    num_queries, grid, no_object = 100, 128, len(toyshapes_categories())
    logits = torch.randn(num_queries, no_object + 1, generator=g)
    logits[:, no_object] += 4.0  # most queries: "no object", as in a trained model
    masks = torch.randn(num_queries, grid, grid, generator=g) - 4.0
    targets = torch.nn.functional.interpolate(torch.from_numpy(sample.masks[None].astype(np.float32)),
                                              size=(grid, grid), mode="bilinear")[0]
    for q, cid in enumerate(sample.category_ids):  # one confident query per true segment
        logits[q, no_object] -= 4.0
        logits[q, int(cid)] += 3.0 + q % 3
        masks[q] = (targets[q] - 0.5) * 16 + torch.randn(grid, grid, generator=g)
    outputs = Mask2FormerForUniversalSegmentationOutput(class_queries_logits=logits[None],
                                                        masks_queries_logits=masks[None])
    explorer = PostprocessExplorer(sample, outputs, toyshapes_categories())
    values = iter(np.round(np.linspace(0.30, 0.95, 14), 2).tolist() * 3)  # new values: no cache hits

    def change() -> None:
        explorer.threshold.value = next(values)

    wall, cpu = timed(change, min(repeats, 12))
    print(f"post-processing explorer, 512x512 image, {num_queries} queries, per slider change "
          f"(target <= 300 ms): {wall:.0f} ms wall, {cpu:.0f} ms CPU (torch uses 2 threads)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed runs per measurement (median)")
    parser.add_argument("--skip-widget", action="store_true", help="only the overlay benchmark")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"CPU cores available: {cores}")
    bench_overlay(args.repeats)
    if not args.skip_widget:
        bench_widget(args.repeats)


if __name__ == "__main__":
    main()
