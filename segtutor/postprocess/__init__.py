"""Post-processing: MaskFormer / Mask2Former outputs -> semantic, instance and panoptic maps.

Same arguments and results as transformers' ``post_process_*_segmentation`` methods, but the
padding added for batching is cropped (``pixel_mask``), masks are resized once to the requested
size, and the work is vectorised over queries. ``compatible=True`` reproduces transformers 5.24's
results bit for bit (checked by the tests on CPU), only faster and with less memory.
"""

from __future__ import annotations

from segtutor.postprocess._instance import instance
from segtutor.postprocess._panoptic import panoptic
from segtutor.postprocess._semantic import semantic

__all__ = ["instance", "panoptic", "semantic"]
