"""CPU forward latency of DETR, MaskFormer and Mask2Former, side by side in one process.

Run: ``.venv/bin/python benchmarks/bench_latency.py`` (real-size models at 384×384, 1 thread, 3 repeats; about
a minute on 2 free cores). ``--quick`` times the tiny configurations at 128×128 instead (seconds).
``--size``, ``--threads`` and ``--repeats`` change the setting.

Method: random weights (latency does not depend on their values), random input, one warm-up pass each, then
interleaved repeats (each round runs every model once, the order rotating) and the median per model. The
``relative`` column is each median divided by the fastest one. Post-processing is not included.
"""

from __future__ import annotations

import argparse
import time

from segtutor.comparison import (
    REAL_SIZE_NAMES,
    build_model,
    measure_latency,
    parameter_table,
    real_size_config,
)
from segtutor.models.tiny import build_tiny_model

TOY_LABELS = {0: "sky", 1: "grass", 2: "circle", 3: "square", 4: "triangle"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny configurations at 128×128")
    parser.add_argument(
        "--size", type=int, default=None, help="input side in pixels (default 384, quick 128)"
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--repeats", type=int, default=None, help="timed passes per model (default 3, quick 10)"
    )
    args = parser.parse_args()
    size = args.size or (128 if args.quick else 384)
    repeats = args.repeats or (10 if args.quick else 3)

    start = time.perf_counter()
    if args.quick:
        models = {f"tiny {a}": build_tiny_model(a, TOY_LABELS) for a in ("detr", "maskformer", "mask2former")}
    else:
        models = {name: build_model(real_size_config(a), device="cpu") for a, name in REAL_SIZE_NAMES.items()}
    print(f"built in {time.perf_counter() - start:.1f} s\n")
    print(parameter_table(models).to_markdown(), "\n")
    table = measure_latency(
        models, height=size, width=size, repeats=repeats, warmup=1, num_threads=args.threads
    )
    print(table.to_markdown())


if __name__ == "__main__":
    main()
