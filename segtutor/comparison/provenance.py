"""Where and how the stored comparison numbers were measured, in one sentence for the notebook.

Latencies depend on the machine, its load, the thread count and the library versions; a table of
milliseconds without that context misleads. ``architectures.json`` records it (see
:mod:`segtutor.comparison.build_data`); :func:`measurement_context` turns it into a sentence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["measurement_context"]


def _default_path() -> Path:
    from segtutor.paths import data_dir

    return data_dir() / "comparison" / "architectures.json"


def _field(data: dict[str, Any], key: str, path: Path) -> Any:
    if key not in data:
        raise ValueError(
            f"{path}: missing field {key!r} (expected 'created', 'machine' and 'versions'). "
            "Re-create it with `python -m segtutor.comparison.build_data`."
        )
    return data[key]


def measurement_context(path: str | Path | None = None) -> str:
    """Return one sentence saying when, on what machine and with which versions the stored tables were made.

    Parameters
    ----------
    path : str or Path, optional
        The ``architectures.json`` file; default ``<data dir>/comparison/architectures.json``.

    Returns
    -------
    str
        E.g. ``"Stored numbers: measured on 2026-11-28 on Linux-6.1-x86_64 (2 CPU cores, 1 torch thread)
        with torch 2.14.1, transformers 5.24.0, by `python -m segtutor.comparison.build_data`."``

    Raises
    ------
    FileNotFoundError
        If the file does not exist (the message says how to create it).
    ValueError
        If it lacks ``created``, ``machine`` or ``versions``.
    """
    path = Path(path) if path is not None else _default_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist. Create it with `python -m segtutor.comparison.build_data`."
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    created = str(_field(data, "created", path))[:10]
    machine = _field(data, "machine", path)
    versions = _field(data, "versions", path)
    cores = machine.get("cpu_count")
    threads = machine.get("threads")
    hardware = ", ".join(
        part
        for part in (
            f"{cores} CPU cores" if cores else "",
            f"{threads} torch thread{'s' if threads != 1 else ''}" if threads else "",
        )
        if part
    )
    where = machine.get("platform", "an unrecorded machine") + (f" ({hardware})" if hardware else "")
    libraries = ", ".join(f"{name} {version}" for name, version in versions.items())
    command = f", by `{data['command']}`" if data.get("command") else ""
    return f"Stored numbers: measured on {created} on {where} with {libraries}{command}."
