"""Categories: the classes a dataset or a model knows, with "thing" / "stuff" and a display colour.

A *thing* is a countable object (a circle, a person, a car): every instance gets its own segment.
*Stuff* is amorphous background (sky, grass, road): all its pixels form one region per image.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["Category", "categories_from_id2label", "id2label", "label2id", "thing_ids"]

# A fixed, well separated palette (Okabe-Ito and Tableau-like hues) for categories that come without colours.
_FALLBACK_PALETTE: tuple[tuple[int, int, int], ...] = (
    (230, 159, 0),
    (86, 180, 233),
    (0, 158, 115),
    (240, 228, 66),
    (0, 114, 178),
    (213, 94, 0),
    (204, 121, 167),
    (153, 153, 153),
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
    (174, 199, 232),
    (255, 187, 120),
)


def fallback_color(category_id: int) -> tuple[int, int, int]:
    """Return a fixed colour for ``category_id`` (the same on every run and every machine)."""
    if category_id < len(_FALLBACK_PALETTE):
        return _FALLBACK_PALETTE[category_id]
    # Golden-ratio hue walk: deterministic and well spread for any number of classes.
    import colorsys

    hue = (category_id * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.65, 0.9)
    return (round(r * 255), round(g * 255), round(b * 255))


@dataclass(frozen=True)
class Category:
    """One class of a segmentation dataset or model.

    Attributes
    ----------
    id : int
        The label id the model predicts (contiguous from 0 for segtutor datasets; the COCO ``category_id``
        for COCO files read as they are).
    name : str
        Human-readable name, e.g. ``"circle"``.
    isthing : bool
        ``True`` for countable objects (instances), ``False`` for stuff (amorphous regions).
    color : tuple of int
        Display colour as RGB ``uint8`` values.
    """

    id: int
    name: str
    isthing: bool
    color: tuple[int, int, int]

    def __post_init__(self) -> None:
        if len(self.color) != 3 or not all(0 <= int(c) <= 255 for c in self.color):
            raise ValueError(
                f"Category {self.name!r}: color must be three integers in 0..255 (RGB), got {self.color!r}."
            )

    def to_coco(self) -> dict:
        """Return the COCO panoptic ``categories`` entry for this category."""
        return {
            "id": self.id,
            "name": self.name,
            "supercategory": "thing" if self.isthing else "stuff",
            "isthing": int(self.isthing),
            "color": list(self.color),
        }


def id2label(categories: Iterable[Category]) -> dict[int, str]:
    """Return the ``id2label`` mapping a transformers config expects."""
    return {c.id: c.name for c in categories}


def label2id(categories: Iterable[Category]) -> dict[str, int]:
    """Return the ``label2id`` mapping a transformers config expects."""
    return {c.name: c.id for c in categories}


def thing_ids(categories: Iterable[Category]) -> set[int]:
    """Return the ids of the thing categories."""
    return {c.id for c in categories if c.isthing}


def categories_from_id2label(
    id2label: Mapping[int | str, str], thing_ids: Iterable[int] | None = None
) -> list[Category]:
    """Build categories from a model config's ``id2label``.

    Parameters
    ----------
    id2label : mapping of int (or str digits) to str
        As found in ``model.config.id2label``; JSON configs store the keys as strings.
    thing_ids : iterable of int, optional
        Which ids are things. ``None`` treats every class as a thing (the usual case for instance models).

    Returns
    -------
    list of Category
        Sorted by id, with fixed fallback colours.
    """
    things = None if thing_ids is None else {int(i) for i in thing_ids}
    out = []
    for key, name in id2label.items():
        cid = int(key)
        out.append(Category(cid, str(name), True if things is None else cid in things, fallback_color(cid)))
    return sorted(out, key=lambda c: c.id)
