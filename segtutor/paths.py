"""Where segtutor finds its bundled data (ToyShapes, checkpoints) and its notebooks."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["REPOSITORY", "data_dir", "repo_root"]

REPOSITORY = "segtutor/segtutor"
"""The GitHub ``owner/name`` of this project: the one place that says where the repository lives."""


def repo_root() -> Path:
    """Return the checkout that holds this package (the folder with ``data/`` and ``notebooks/``)."""
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Return the folder with the bundled data: ``$SEGTUTOR_DATA_DIR`` if set, else ``<repo>/data``.

    Raises
    ------
    FileNotFoundError
        If the folder does not exist (e.g. segtutor was installed without its repository).
    """
    override = os.environ.get("SEGTUTOR_DATA_DIR")
    path = Path(override) if override else repo_root() / "data"
    if not path.is_dir():
        raise FileNotFoundError(
            f"segtutor's data folder {path} does not exist. Clone the repository "
            "(git clone https://github.com/"
            f"{REPOSITORY}) and install it with `pip install -e .`, "
            "or set SEGTUTOR_DATA_DIR to its data/ folder."
        )
    return path
