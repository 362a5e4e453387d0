"""``segtutor-toyshapes``: regenerate the ToyShapes dataset (or a bigger / smaller variant) from a seed.

Bad arguments get argparse's usage error (exit status 2), never a traceback. The output folder is written
whole: a new or empty folder, or an earlier ToyShapes folder, which is replaced completely; any other
non-empty folder is refused.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable, Sequence

from segtutor.data.toyshapes import ToyShapesConfig
from segtutor.data.toyshapes_export import write_toyshapes

__all__ = ["main"]

logger = logging.getLogger(__name__)


def _int_at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a fraction between 0 and 1, got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="segtutor-toyshapes",
        description="Generate the synthetic ToyShapes segmentation dataset (COCO panoptic, COCO instances "
        "and semantic PNGs, plus a data card). Same seed and arguments -> byte-identical files. An existing "
        "ToyShapes folder at --out is replaced whole; any other non-empty folder is refused.",
    )
    parser.add_argument("--out", required=True, help="output folder, e.g. data/toy-shapes")
    parser.add_argument("--seed", type=_int_at_least(0), default=0, help="dataset seed >= 0 (default 0)")
    parser.add_argument(
        "--train", type=_int_at_least(1), default=400, help="number of training images, >= 1 (default 400)"
    )
    parser.add_argument(
        "--val", type=_int_at_least(0), default=100, help="number of validation images, >= 0 (default 100)"
    )
    parser.add_argument(
        "--size",
        type=_int_at_least(16),
        default=128,
        help="image height and width in pixels, >= 16 (default 128)",
    )
    parser.add_argument("--with-star", action="store_true", help="add the 'star' thing class (id 5)")
    parser.add_argument(
        "--max-things", type=_int_at_least(1), default=6, help="at most this many things per image, >= 1"
    )
    parser.add_argument(
        "--empty-fraction", type=_fraction, default=0.1, help="share of images without things, 0 to 1"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 on success; 2 with a usage error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = ToyShapesConfig(
        size=args.size,
        with_star=args.with_star,
        max_things=args.max_things,
        empty_fraction=args.empty_fraction,
    )
    start = time.perf_counter()
    try:
        counts = write_toyshapes(args.out, seed=args.seed, n_train=args.train, n_val=args.val, config=config)
    except FileExistsError as exc:
        parser.error(f"--out: {exc}")
    logger.info("wrote %s in %.1f s: %s", args.out, time.perf_counter() - start, json.dumps(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
