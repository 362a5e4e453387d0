from __future__ import annotations

import numpy as np
import pytest

from segtutor.notebook_parameters import as_int_list


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([3, 9], [3, 9]),
        ((3, 9), [3, 9]),
        ("[3, 9]", [3, 9]),
        ("(3, 9)", [3, 9]),
        (" 3, 9 ", [3, 9]),
        ("3,9", [3, 9]),
        ("7", [7]),
        (7, [7]),
        ([np.int64(4), 5.0], [4, 5]),
        ("[-1]", [-1]),
    ],
)
def test_accepts_lists_and_the_text_papermill_passes(value, expected):
    result = as_int_list(value, "image_indices")
    assert result == expected
    assert all(type(i) is int for i in result)


def test_leaves_the_input_list_alone():
    value = [3, 9]
    result = as_int_list(value, "image_indices")
    result.append(1)
    assert value == [3, 9]


@pytest.mark.parametrize(
    "value",
    ["[3, 'a']", "three", "", "[3, 9", "3;9", [3.5], [True], {"a": 1}, None, "__import__('os')"],
)
def test_refuses_other_values_naming_the_parameter_and_the_fix(value):
    with pytest.raises(ValueError, match="parameter image_indices") as err:
        as_int_list(value, "image_indices")
    assert '-y "image_indices: [3, 9]"' in str(err.value)
    assert '-p image_indices "[3, 9]"' in str(err.value)


def test_refuses_too_short_lists():
    with pytest.raises(ValueError, match="at least 2 items"):
        as_int_list("[3]", "image_indices", min_length=2)
