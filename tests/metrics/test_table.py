"""``Table``: rows of dicts rendered as Markdown, converted to JSON-ready dicts."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from segtutor.metrics import Table


def test_markdown_keeps_column_order_and_formats_numbers() -> None:
    table = Table(
        [{"model": "detr", "params": 42899288, "PQ": 43.4}, {"model": "mask2former", "params": 47436800}],
        columns=["model", "params", "PQ"],
        title="Sizes",
        formats={"params": ",d", "PQ": ".1f"},
    )
    lines = table.to_markdown().splitlines()
    assert lines[0] == "**Sizes**"
    assert lines[2] == "| model | params | PQ |"
    assert lines[3] == "| --- | ---: | ---: |"
    assert lines[4] == "| detr | 42,899,288 | 43.4 |"
    assert lines[5] == "| mask2former | 47,436,800 | – |"


def test_columns_default_to_first_seen_keys() -> None:
    table = Table([{"a": 1}, {"b": 2, "a": 3}])
    assert table.columns == ["a", "b"]
    assert table.column("a") == [1, 3]
    assert table.column("b") == [None, 2]
    with pytest.raises(KeyError, match="columns are"):
        table.column("c")


def test_as_dict_is_json_ready() -> None:
    table = Table([{"x": np.float32(0.5), "y": math.nan, "n": np.int64(3)}])
    data = json.loads(json.dumps(table.as_dict(), allow_nan=False))
    assert data["rows"] == [{"x": 0.5, "y": None, "n": 3}]


def test_as_dict_round_trips() -> None:
    table = Table([{"a": 1.25}], title="T", formats={"a": ".1f"})
    again = Table(**json.loads(json.dumps(table.as_dict())))
    assert again.to_markdown() == table.to_markdown()


def test_rows_are_copied() -> None:
    row = {"a": 1}
    table = Table([row])
    row["a"] = 2
    assert table[0]["a"] == 1
    assert len(table) == 1


def test_pipes_in_text_are_escaped() -> None:
    assert "a\\|b" in Table([{"name": "a|b"}]).to_markdown()


def test_rows_must_be_dicts() -> None:
    with pytest.raises(TypeError, match="list of dicts"):
        Table([1, 2])  # type: ignore[list-item]
