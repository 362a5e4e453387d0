"""ToyShapes: a small synthetic panoptic dataset that a tiny model can learn on a CPU in minutes.

Every scene has two *stuff* classes, sky above and grass below a wavy horizon, and 0-6 *things*
(circles, squares, triangles, and stars in the "+ star" variant) in random colours, so a model must
recognise a class by its shape, not its colour. Things touch and occlude each other; about 10% of the
scenes have no things at all. Labels are exact: shapes are drawn whole-pixel, without antialiasing.

Everything is seeded: the same seed and arguments give the same scenes, pixel for pixel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from segtutor.categories import Category
from segtutor.data.shapes import shape_mask
from segtutor.data.targets import Sample

__all__ = [
    "TOYSHAPES_CATEGORIES",
    "ToyShapesConfig",
    "generate_scene",
    "generate_split",
    "toyshapes_categories",
]

#: The fixed ToyShapes categories; ids are also the model's label ids.
#: ``star`` is used by the "+ star" variant only.
TOYSHAPES_CATEGORIES: tuple[Category, ...] = (
    Category(0, "sky", False, (110, 170, 230)),
    Category(1, "grass", False, (70, 150, 60)),
    Category(2, "circle", True, (230, 60, 60)),
    Category(3, "square", True, (240, 200, 40)),
    Category(4, "triangle", True, (150, 70, 200)),
    Category(5, "star", True, (250, 130, 20)),
)

_SPLIT_CODES = {"train": 0, "val": 1, "test": 2}


def toyshapes_categories(with_star: bool = False) -> list[Category]:
    """Return the ToyShapes categories: sky, grass, circle, square, triangle (and star if ``with_star``)."""
    return list(TOYSHAPES_CATEGORIES if with_star else TOYSHAPES_CATEGORIES[:5])


@dataclass(frozen=True)
class ToyShapesConfig:
    """Knobs of the scene generator (defaults give the committed dataset).

    Attributes
    ----------
    size : int
        Height and width of the square images in pixels.
    with_star : bool
        Add the ``star`` thing class (id 5).
    max_things : int
        At most this many things per scene.
    empty_fraction : float
        Probability that a scene has no things at all.
    min_thing, max_thing : int
        Range of thing sizes (diameter / side) in pixels at 128 x 128; scaled with ``size``.
    touch_probability : float
        Probability that a new thing is placed against an existing one (touching or overlapping it).
    min_visible : float
        A placement is rejected if it would hide more than ``1 - min_visible`` of an earlier thing.
    noise_fraction, noise_amplitude : float, int
        Fraction of pixels that get luminance noise, and its largest amplitude in grey levels.
    thing_weights : tuple of float, optional
        Relative frequency of each thing class (circle, square, triangle, and star with ``with_star``);
        ``None`` draws them equally often (and gives the committed dataset).
    """

    size: int = 128
    with_star: bool = False
    max_things: int = 6
    empty_fraction: float = 0.1
    min_thing: int = 12
    max_thing: int = 48
    touch_probability: float = 0.4
    min_visible: float = 0.5
    noise_fraction: float = 0.25
    noise_amplitude: int = 10
    thing_weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.size < 16:
            raise ValueError(f"ToyShapesConfig.size must be at least 16 pixels, got {self.size}.")
        if self.max_things < 1:
            raise ValueError(
                f"ToyShapesConfig.max_things must be at least 1, got {self.max_things} "
                "(for scenes without things use empty_fraction=1.0)."
            )
        for name in ("empty_fraction", "touch_probability", "min_visible", "noise_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"ToyShapesConfig.{name} is a fraction in [0, 1], got {value}.")
        if self.noise_amplitude < 3:
            raise ValueError(
                f"ToyShapesConfig.noise_amplitude must be at least 3, got {self.noise_amplitude}."
            )
        if self.thing_weights is not None:
            names = [c.name for c in toyshapes_categories(self.with_star) if c.isthing]
            weights = tuple(self.thing_weights)
            if len(weights) != len(names) or min(weights) < 0 or sum(weights) <= 0:
                raise ValueError(
                    f"ToyShapesConfig.thing_weights needs {len(names)} non-negative numbers, one per thing "
                    f"class ({', '.join(names)}), not all 0; got {self.thing_weights!r}."
                )
        if not 0 < self.min_thing <= self.max_thing:
            raise ValueError(
                "ToyShapesConfig: need 0 < min_thing <= max_thing, "
                f"got {self.min_thing} and {self.max_thing}."
            )


def _background(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Sky over grass with a wavy horizon: return the float RGB image (H, W, 3) and the sky mask (H, W)."""
    xs = np.arange(size) + 0.5
    ys = (np.arange(size) + 0.5)[:, None]
    base = rng.uniform(0.3, 0.7)
    a1, f1, p1 = rng.uniform(0.02, 0.12), rng.uniform(0.5, 2.0), rng.uniform(0, 2 * np.pi)
    a2, f2, p2 = rng.uniform(0.0, 0.04), rng.uniform(2.0, 5.0), rng.uniform(0, 2 * np.pi)
    horizon = size * (
        base + a1 * np.sin(2 * np.pi * f1 * xs / size + p1) + a2 * np.sin(2 * np.pi * f2 * xs / size + p2)
    )
    sky = ys < horizon[None, :]

    t = ys / size  # 0 at the top, 1 at the bottom
    top = np.array([60.0, 120.0, 210.0]) + rng.uniform(-20, 20, 3)
    bottom = np.array([170.0, 205.0, 240.0]) + rng.uniform(-15, 15, 3)
    sky_rgb = top + (bottom - top) * t[..., None]  # (H, 1, 3) vertical gradient
    green = np.array([70.0, 150.0, 55.0]) + rng.uniform(-20, 20, 3)
    band = max(2, round(size * rng.uniform(0.04, 0.08)))
    stripes = ((np.arange(size) // band) % 2)[:, None] * rng.uniform(10, 25)  # mowed-lawn bands
    grass_rgb = green * (1.1 - 0.3 * t[..., None]) + stripes[..., None]
    image = np.where(sky[..., None], sky_rgb, grass_rgb)
    return np.broadcast_to(image, (size, size, 3)).copy(), sky


def _thing_colour(rng: np.random.Generator, avoid: list[np.ndarray]) -> np.ndarray:
    """A random RGB colour at least a little different from every colour in ``avoid``."""
    colour = rng.uniform(0, 255, 3)
    for _ in range(20):
        if all(np.abs(colour - a).sum() >= 90 for a in avoid):
            break
        colour = rng.uniform(0, 255, 3)
    return colour


def _place_things(
    rng: np.random.Generator, config: ToyShapesConfig, thing_classes: list[Category]
) -> list[tuple[np.ndarray, Category]]:
    """Draw things one after another; return (full mask, category) in drawing order (later on top)."""
    size = config.size
    scale = size / 128.0
    n_things = 0 if rng.random() < config.empty_fraction else int(rng.integers(1, config.max_things + 1))
    placed: list[tuple[np.ndarray, Category, float, float, float]] = []
    weights = None if config.thing_weights is None else np.asarray(config.thing_weights, dtype=float)
    for _ in range(n_things):
        if weights is None:  # the committed dataset's draws
            cat = thing_classes[int(rng.integers(len(thing_classes)))]
        else:
            cat = thing_classes[int(rng.choice(len(thing_classes), p=weights / weights.sum()))]
        for _attempt in range(20):
            s = rng.uniform(config.min_thing, config.max_thing) * scale
            if placed and rng.random() < config.touch_probability:
                _, _, px, py, ps = placed[int(rng.integers(len(placed)))]
                direction = rng.uniform(0, 2 * np.pi)
                dist = (ps + s) / 2 * rng.uniform(0.7, 1.05)
                cx, cy = px + dist * np.cos(direction), py + dist * np.sin(direction)
            else:
                cx, cy = rng.uniform(0.3 * s, size - 0.3 * s, 2)
            angle = rng.uniform(0, 2 * np.pi)
            mask = shape_mask(cat.name, size, size, cx, cy, s, angle)
            canvas = int(s) + 4
            whole = shape_mask(cat.name, canvas, canvas, canvas / 2, canvas / 2, s, angle).sum()
            if mask.sum() < 0.6 * whole:  # too much of it outside the image
                continue
            if _keeps_earlier_visible(mask, [p[0] for p in placed], config.min_visible):
                placed.append((mask, cat, cx, cy, s))
                break
    return [(p[0], p[1]) for p in placed]


def _keeps_earlier_visible(new: np.ndarray, earlier: list[np.ndarray], min_visible: float) -> bool:
    """True if every earlier mask keeps at least ``min_visible`` of its pixels once ``new`` and later
    masks are drawn over it."""
    for i, mask in enumerate(earlier):
        covered = new.copy()
        for later in earlier[i + 1 :]:
            covered |= later
        if (mask & ~covered).sum() < min_visible * mask.sum():
            return False
    return True


def generate_scene(rng: np.random.Generator, config: ToyShapesConfig | None = None) -> Sample:
    """Generate one ToyShapes scene and its exact panoptic ground truth.

    Parameters
    ----------
    rng : numpy.random.Generator
        The only source of randomness.
    config : ToyShapesConfig, optional
        Scene parameters; defaults to ``ToyShapesConfig()`` (128 x 128, no star).

    Returns
    -------
    Sample
        ``kind="panoptic"``; ``image`` is (S, S, 3) uint8; ``masks`` (N, S, S) bool, never overlapping and
        covering every pixel: the stuff segments (sky, grass) first, then the things in drawing order;
        ``segment_ids`` are 1..N; ``ignore`` is all False.
    """
    config = config or ToyShapesConfig()
    categories = toyshapes_categories(config.with_star)
    size = config.size
    image, sky = _background(rng, size)
    avoid = [image[sky].mean(axis=0)] if sky.any() else []
    if (~sky).any():
        avoid.append(image[~sky].mean(axis=0))

    things = _place_things(rng, config, [c for c in categories if c.isthing])
    label = np.where(sky, 0, 1).astype(np.int64)  # index into `segments` below
    segments: list[Category] = [categories[0], categories[1]]
    for mask, cat in things:
        image[mask] = _thing_colour(rng, avoid)
        label[mask] = len(segments)
        segments.append(cat)

    noisy = rng.random((size, size)) < config.noise_fraction
    amplitude = rng.integers(3, config.noise_amplitude + 1, (size, size)) * rng.choice([-1, 1], (size, size))
    image = image + (noisy * amplitude)[..., None]  # the same offset on R, G and B: luminance noise
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)

    present = [k for k in range(len(segments)) if (label == k).any()]
    masks = np.stack([label == k for k in present]) if present else np.zeros((0, size, size), dtype=bool)
    return Sample(
        image=image,
        masks=masks,
        category_ids=np.array([segments[k].id for k in present], dtype=np.int64),
        ignore=np.zeros((size, size), dtype=bool),
        kind="panoptic",
        categories=categories,
        segment_ids=np.arange(1, len(present) + 1, dtype=np.int64),
    )


def generate_split(
    split: str, n_images: int, seed: int = 0, config: ToyShapesConfig | None = None
) -> Iterator[Sample]:
    """Yield the ``n_images`` scenes of one split, each named ``{split}_{index:05d}.png``.

    Scene ``i`` of a split depends only on ``(seed, split, i)`` and ``config``: a bigger split starts
    with the same scenes as a smaller one.

    Parameters
    ----------
    split : {"train", "val", "test"}
        Split name (also part of the seed).
    n_images : int
        Number of scenes.
    seed : int
        Dataset seed.
    config : ToyShapesConfig, optional
        Scene parameters.

    Yields
    ------
    Sample
        With ``file_name`` and ``image_id`` (the index ``i``) filled in.
    """
    if split not in _SPLIT_CODES:
        raise ValueError(f"split must be one of {sorted(_SPLIT_CODES)}, got {split!r}.")
    for i in range(n_images):
        rng = np.random.default_rng([seed, _SPLIT_CODES[split], i])
        sample = generate_scene(rng, config)
        sample.file_name = f"{split}_{i:05d}.png"
        sample.image_id = i
        yield sample
