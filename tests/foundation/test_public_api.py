from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import segtutor


@pytest.mark.parametrize("name", [n for n in segtutor.__all__ if n != "__version__"])
def test_every_public_name_resolves_to_its_submodule_object(name):
    value = getattr(segtutor, name)
    module = importlib.import_module(segtutor._EXPORTS[name])
    assert value is getattr(module, name)


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'not_a_thing'"):
        segtutor.not_a_thing  # noqa: B018


def test_import_segtutor_does_not_import_torch():
    code = "import sys, segtutor; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
