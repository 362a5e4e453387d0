"""Read the values of a notebook's ``parameters`` cell, whatever way they were set.

papermill's ``-p name value`` passes every value that is not a plain number as a **string**: ``-p
image_indices "[3, 9]"`` gives the notebook ``"[3, 9]"``, not the list ``[3, 9]``, and indexing a dataset with
it fails far from the cause. ``-y`` passes YAML, so ``-y "image_indices: [3, 9]"`` gives a real list. The
helpers here accept both, and refuse anything else with a message that names the parameter and shows both
command-line forms.
"""

from __future__ import annotations

import ast
import numbers
from typing import Any

__all__ = ["as_int_list"]


def _refuse(name: str, value: Any, problem: str) -> ValueError:
    return ValueError(
        f"parameter {name}: {problem}, got {value!r} ({type(value).__name__}). Expected a list of whole "
        f"numbers, e.g. {name} = [3, 9] in the parameters cell, or on the command line "
        f"papermill ... -y \"{name}: [3, 9]\" (or -p {name} \"[3, 9]\" or -p {name} \"3,9\")."
    )


def _as_int(item: Any, name: str, value: Any) -> int:
    if isinstance(item, bool) or not isinstance(item, numbers.Integral):
        if isinstance(item, numbers.Real) and float(item).is_integer() and not isinstance(item, bool):
            return int(item)
        raise _refuse(name, value, f"item {item!r} is not a whole number")
    return int(item)


def _parse(text: str, name: str) -> Any:
    stripped = text.strip()
    if not stripped:
        raise _refuse(name, text, "the text is empty")
    if stripped[0] in "[(":
        try:
            return ast.literal_eval(stripped)  # literals only: never runs code
        except (ValueError, SyntaxError) as err:
            raise _refuse(name, text, f"the text is not a Python list ({err.__class__.__name__})") from None
    parts = [p.strip() for p in stripped.split(",")]
    if any(not p.lstrip("+-").isdigit() for p in parts):
        raise _refuse(name, text, "the text is not comma-separated whole numbers")
    return [int(p) for p in parts]


def as_int_list(value: Any, name: str = "value", *, min_length: int = 1) -> list[int]:
    """Return ``value`` as a list of ``int``, also when papermill passed it as text.

    Parameters
    ----------
    value : list or tuple of int, int, or str
        ``[3, 9]``, ``(3, 9)``, a single ``3``, or text such as ``"[3, 9]"``, ``"(3, 9)"``, ``"3,9"`` or
        ``"3"`` (what ``papermill -p`` passes). Text is read with :func:`ast.literal_eval` or split at commas,
        never evaluated as code. Floats with a whole value (``3.0``) are accepted.
    name : str
        The parameter's name, used in the error message.
    min_length : int
        Fewest items accepted.

    Returns
    -------
    list of int
        A new list; ``value`` is not modified.

    Raises
    ------
    ValueError
        For anything else (text that is not a list of whole numbers, items that are not whole numbers, too
        few items); the message names the parameter and shows the ``-y`` and ``-p`` forms.

    Examples
    --------
    >>> as_int_list("[3, 9]", "image_indices")
    [3, 9]
    >>> as_int_list("3,9", "image_indices")
    [3, 9]
    """
    parsed = _parse(value, name) if isinstance(value, str) else value
    if isinstance(parsed, numbers.Integral) and not isinstance(parsed, bool):
        parsed = [parsed]
    if not isinstance(parsed, (list, tuple)):
        raise _refuse(name, value, "not a list")
    result = [_as_int(item, name, value) for item in parsed]
    if len(result) < min_length:
        raise _refuse(name, value, f"needs at least {min_length} item{'s' if min_length != 1 else ''}")
    return result
