"""A small table of results: a list of row dicts that renders as Markdown (no pandas needed).

Every table segtutor returns to a notebook (evaluation scores, parameter counts, latencies, paper numbers)
is a :class:`Table`. It displays itself in Jupyter, converts to plain Python for JSON, and keeps the
column order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Table"]


@dataclass(frozen=True)
class Table:
    """Rows of results with named columns.

    Attributes
    ----------
    rows : list of dict
        One dict per row; keys are column names. Values are numbers, strings, ``None`` or ``nan``.
    columns : list of str
        Column order for display. Empty means "the keys of the rows, in first-seen order".
    title : str
        Optional caption printed above the Markdown table.
    formats : dict of str to str
        Optional format spec per column for :meth:`to_markdown`, e.g. ``{"PQ": ".1f", "params": ",d"}``.
    """

    rows: list[dict[str, Any]]
    columns: list[str] = field(default_factory=list)
    title: str = ""
    formats: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.rows, Sequence) or not all(isinstance(r, Mapping) for r in self.rows):
            raise TypeError(f"Table rows must be a list of dicts, got {type(self.rows).__name__}.")
        # Own copies: later changes to the caller's dicts must not change the table.
        object.__setattr__(self, "rows", [dict(r) for r in self.rows])
        if not self.columns:
            seen: dict[str, None] = {}
            for row in self.rows:
                seen.update(dict.fromkeys(row))
            object.__setattr__(self, "columns", list(seen))
        else:
            object.__setattr__(self, "columns", list(self.columns))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.rows[index]

    def column(self, name: str) -> list[Any]:
        """Return the values of column ``name`` (``None`` where a row lacks it)."""
        if name not in self.columns:
            raise KeyError(f"Table has no column {name!r}; columns are {self.columns}.")
        return [row.get(name) for row in self.rows]

    def as_dict(self) -> dict[str, Any]:
        """Return ``{"title", "columns", "rows", "formats"}`` with plain values (JSON-ready, nan → None).

        ``Table(**table.as_dict())`` rebuilds the table.
        """
        return {
            "title": self.title,
            "columns": list(self.columns),
            "rows": [{k: _plain(v) for k, v in row.items()} for row in self.rows],
            "formats": dict(self.formats),
        }

    def to_markdown(self) -> str:
        """Render as a GitHub-flavoured Markdown table (numbers right-aligned, ``nan`` shown as ``–``)."""
        header = "| " + " | ".join(self.columns) + " |"
        aligns = []
        for col in self.columns:
            numeric = any(_is_number(row.get(col)) for row in self.rows)
            aligns.append("---:" if numeric else "---")
        lines = [header, "| " + " | ".join(aligns) + " |"]
        for row in self.rows:
            cells = [self._cell(col, row.get(col)) for col in self.columns]
            lines.append("| " + " | ".join(cells) + " |")
        text = "\n".join(lines)
        return f"**{self.title}**\n\n{text}" if self.title else text

    def _repr_markdown_(self) -> str:  # Jupyter display hook
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_markdown()

    def _cell(self, column: str, value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        spec = self.formats.get(column)
        if spec and _is_number(value):
            return format(value, spec)
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value).replace("|", "\\|")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    """Turn numpy / torch scalars and nan into JSON-friendly Python values."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
