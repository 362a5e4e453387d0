"""``segtutor-toyshapes``: regenerate the ToyShapes dataset (or a bigger / smaller variant) from a seed."""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Sequence

from segtutor.data.toyshapes import ToyShapesConfig
from segtutor.data.toyshapes_export import write_toyshapes

__all__ = ["main"]

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="segtutor-toyshapes",
        description="Generate the synthetic ToyShapes segmentation dataset (COCO panoptic, COCO instances "
        "and semantic PNGs, plus a data card). Same seed and arguments -> byte-identical files.",
    )
    parser.add_argument("--out", required=True, help="output folder, e.g. data/toy-shapes")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed (default 0)")
    parser.add_argument("--train", type=int, default=400, help="number of training images (default 400)")
    parser.add_argument("--val", type=int, default=100, help="number of validation images (default 100)")
    parser.add_argument(
        "--size", type=int, default=128, help="image height and width in pixels (default 128)"
    )
    parser.add_argument("--with-star", action="store_true", help="add the 'star' thing class (id 5)")
    parser.add_argument("--max-things", type=int, default=6, help="at most this many things per image")
    parser.add_argument("--empty-fraction", type=float, default=0.1, help="share of images without things")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 on success)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = ToyShapesConfig(
        size=args.size,
        with_star=args.with_star,
        max_things=args.max_things,
        empty_fraction=args.empty_fraction,
    )
    start = time.perf_counter()
    counts = write_toyshapes(args.out, seed=args.seed, n_train=args.train, n_val=args.val, config=config)
    logger.info("wrote %s in %.1f s: %s", args.out, time.perf_counter() - start, json.dumps(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
