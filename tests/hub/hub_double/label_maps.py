"""The label maps of the official checkpoints, for the Hub double (class names are facts, listed here).

* COCO panoptic (MaskFormer / Mask2Former ``coco`` / ``coco-panoptic``): 133 contiguous ids, the 80 COCO
  object classes first, then the 53 stuff classes.
* COCO instances (Mask2Former ``coco-instance``): the 80 object classes, contiguous.
* DETR panoptic: 250 ids that follow the COCO panoptic category ids (1-90 things, 92-200 stuff); the
  unused ids are ``"N/A"`` placeholders (e.g. 183).
* ADE20K (``ade`` / ``ade-semantic``): 150 classes.
"""

from __future__ import annotations

# COCO category id -> name of the 80 object classes (ids 1-90 with gaps, as in the COCO annotations).
COCO_THINGS: dict[int, str] = dict(
    enumerate(
        [
            "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
            "traffic light", "fire hydrant", None, "stop sign", "parking meter", "bench", "bird", "cat",
            "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", None, "backpack",
            "umbrella", None, None, "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard",
            "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
            "tennis racket", "bottle", None, "wine glass", "cup", "fork", "knife", "spoon", "bowl",
            "banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut",
            "cake", "chair", "couch", "potted plant", "bed", None, "dining table", None, None, "toilet",
            None, "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven",
            "toaster", "sink", "refrigerator", None, "book", "clock", "vase", "scissors", "teddy bear",
            "hair drier", "toothbrush",
        ],
        start=1,
    )
)  # fmt: skip
COCO_THINGS = {k: v for k, v in COCO_THINGS.items() if v is not None}

# COCO panoptic category id -> name of the 53 stuff classes.
COCO_STUFF: dict[int, str] = {
    92: "banner", 93: "blanket", 95: "bridge", 100: "cardboard", 107: "counter", 109: "curtain",
    112: "door-stuff", 118: "floor-wood", 119: "flower", 122: "fruit", 125: "gravel", 128: "house",
    130: "light", 133: "mirror-stuff", 138: "net", 141: "pillow", 144: "platform", 145: "playingfield",
    147: "railroad", 148: "river", 149: "road", 151: "roof", 154: "sand", 155: "sea", 156: "shelf",
    159: "snow", 161: "stairs", 166: "tent", 168: "towel", 171: "wall-brick", 175: "wall-stone",
    176: "wall-tile", 177: "wall-wood", 178: "water-other", 180: "window-blind", 181: "window-other",
    184: "tree-merged", 185: "fence-merged", 186: "ceiling-merged", 187: "sky-other-merged",
    188: "cabinet-merged", 189: "table-merged", 190: "floor-other-merged", 191: "pavement-merged",
    192: "mountain-merged", 193: "grass-merged", 194: "dirt-merged", 195: "paper-merged",
    196: "food-other-merged", 197: "building-other-merged", 198: "rock-merged", 199: "wall-other-merged",
    200: "rug-merged",
}  # fmt: skip

ADE20K: tuple[str, ...] = (
    "wall", "building", "sky", "floor", "tree", "ceiling", "road", "bed", "windowpane", "grass", "cabinet",
    "sidewalk", "person", "earth", "door", "table", "mountain", "plant", "curtain", "chair", "car",
    "water", "painting", "sofa", "shelf", "house", "sea", "mirror", "rug", "field", "armchair", "seat",
    "fence", "desk", "rock", "wardrobe", "lamp", "bathtub", "railing", "cushion", "base", "box", "column",
    "signboard", "chest of drawers", "counter", "sand", "sink", "skyscraper", "fireplace", "refrigerator",
    "grandstand", "path", "stairs", "runway", "case", "pool table", "pillow", "screen door", "stairway",
    "river", "bridge", "bookcase", "blind", "coffee table", "toilet", "flower", "book", "hill", "bench",
    "countertop", "stove", "palm", "kitchen island", "computer", "swivel chair", "boat", "bar",
    "arcade machine", "hovel", "bus", "towel", "light", "truck", "tower", "chandelier", "awning",
    "streetlight", "booth", "television receiver", "airplane", "dirt track", "apparel", "pole", "land",
    "bannister", "escalator", "ottoman", "bottle", "buffet", "poster", "stage", "van", "ship", "fountain",
    "conveyer belt", "canopy", "washer", "plaything", "swimming pool", "stool", "barrel", "basket",
    "waterfall", "tent", "bag", "minibike", "cradle", "oven", "ball", "food", "step", "tank", "trade name",
    "microwave", "pot", "animal", "bicycle", "lake", "dishwasher", "screen", "blanket", "sculpture", "hood",
    "sconce", "vase", "traffic light", "tray", "ashcan", "fan", "pier", "crt screen", "plate", "monitor",
    "bulletin board", "shower", "radiator", "glass", "clock", "flag",
)  # fmt: skip


def coco_panoptic() -> dict[int, str]:
    """133 contiguous ids: the 80 things, then the 53 stuff classes."""
    return dict(enumerate([*COCO_THINGS.values(), *COCO_STUFF.values()]))


def coco_instances() -> dict[int, str]:
    """80 contiguous ids: the COCO object classes."""
    return dict(enumerate(COCO_THINGS.values()))


def detr_panoptic() -> dict[int, str]:
    """250 ids following the COCO panoptic category ids; unused ids are "N/A"."""
    named = {**COCO_THINGS, **COCO_STUFF}
    return {i: named.get(i, "N/A") for i in range(250)}


def ade20k() -> dict[int, str]:
    """150 contiguous ids."""
    return dict(enumerate(ADE20K))
