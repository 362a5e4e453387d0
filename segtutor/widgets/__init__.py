"""Widgets: ipywidgets explorers that leave a static figure in the saved notebook.

* :class:`SegmentationTypesExplorer`: one image, semantic / instance / panoptic, ground truth or prediction;
* :class:`PostprocessExplorer`: post-processing thresholds on stored model outputs, redrawn live;
* :class:`DatasetBrowser`: a sequence of samples as overlays or as binary-mask targets.

Each explorer is displayed by ending a cell with it (or ``display(explorer)``); drive it from code by
setting ``.value`` on its controls, and read ``render_count``, ``last_png``, ``last_rgb``.
"""

from __future__ import annotations

from segtutor.widgets._base import Explorer
from segtutor.widgets.dataset_browser import DatasetBrowser
from segtutor.widgets.postprocess_explorer import PostprocessExplorer
from segtutor.widgets.types_explorer import SegmentationTypesExplorer

__all__ = ["DatasetBrowser", "Explorer", "PostprocessExplorer", "SegmentationTypesExplorer"]
