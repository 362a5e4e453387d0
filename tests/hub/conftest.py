"""Fixtures of the online-mode tests: a local Hub double serving the official repo ids, and its settings.

The root ``conftest.py`` forces ``HF_HUB_OFFLINE=1`` for the whole run. These fixtures switch it off only
for what talks to the double: the environment of child processes (``hub_env``) and, for tests in this
process, ``online_hub`` (monkeypatched, so it is undone after each test).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the hub_double package next to this file

from hub_double import HubDouble, example_photos, official_repositories

#: ``tiny`` (default) or ``real``: sizes of the stand-in checkpoints (``make test-hub-real`` sets ``real``).
SIZE = os.environ.get("SEGTUTOR_HUB_DOUBLE_SIZE", "tiny")


@pytest.fixture(scope="session")
def hub_double_server():
    """One server for the session; tests reset its fault mode through ``hub``."""
    double = HubDouble(official_repositories(SIZE), example_photos())
    yield double
    double.stop()


@pytest.fixture
def hub(hub_double_server):
    """The Hub double, answering normally at the start of the test and again after it."""
    hub_double_server.set_fault(None)
    hub_double_server.requests.clear()
    yield hub_double_server
    hub_double_server.set_fault(None)


def _online_settings(double: HubDouble, cache: Path) -> dict[str, str]:
    return {
        "HF_ENDPOINT": double.endpoint,
        "HF_HUB_OFFLINE": "0",
        "TRANSFORMERS_OFFLINE": "0",
        "HF_HOME": str(cache / "hf-home"),
        "HF_HUB_CACHE": str(cache / "hub"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_XET": "1",
        "DISABLE_SAFETENSORS_CONVERSION": "1",
        "SEGTUTOR_EXAMPLE_IMAGES_URL": double.images_url,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


@pytest.fixture
def hub_env(hub, tmp_path) -> dict[str, str]:
    """Environment for a child process (e.g. a notebook kernel) that uses the double with an empty cache."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update(_online_settings(hub, tmp_path))
    return env


@pytest.fixture
def online_hub(hub, tmp_path, monkeypatch):
    """This process talks to the double (empty Hub cache); undone after the test."""
    import huggingface_hub.constants as constants

    settings = _online_settings(hub, tmp_path)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "ENDPOINT", hub.endpoint)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", settings["HF_HUB_CACHE"])
    return hub
