"""A local stand-in for the Hugging Face Hub and the COCO image server (see ``server.py``)."""

from __future__ import annotations

from .checkpoints import official_repositories
from .photos import example_photos
from .server import FAULTS, HubDouble

__all__ = ["FAULTS", "HubDouble", "example_photos", "official_repositories"]
