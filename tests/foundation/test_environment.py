"""environment.yml must describe the same environment as pyproject.toml."""

from __future__ import annotations

import re

import tomllib
import yaml

from segtutor.paths import repo_root

ROOT = repo_root()


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def _pip_entries(env: dict) -> list[str]:
    for dep in env["dependencies"]:
        if isinstance(dep, dict) and "pip" in dep:
            return dep["pip"]
    return []


def test_environment_installs_this_checkout_with_every_extra():
    extras = set(_pyproject()["project"]["optional-dependencies"])
    installs = [e for e in _pip_entries(_environment()) if re.match(r"-e \.\[", e)]
    assert len(installs) == 1, "environment.yml must install the checkout: `-e .[extras]`"
    listed = set(re.search(r"\[(.*)\]", installs[0]).group(1).split(","))
    assert listed == extras


def test_environment_python_satisfies_requires_python():
    python = next(d for d in _environment()["dependencies"] if isinstance(d, str) and d.startswith("python"))
    version = tuple(int(x) for x in python.split("=")[-1].split("."))
    minimum = tuple(int(x) for x in _pyproject()["project"]["requires-python"].lstrip(">=").split("."))
    assert version >= minimum


def test_environment_lists_no_package_that_pyproject_does_not_know():
    project = _pyproject()["project"]
    known = {re.split(r"[<>=!~\[ ]", d)[0].lower() for d in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        known |= {re.split(r"[<>=!~\[ ]", d)[0].lower() for d in extra}
    conda = {
        re.split(r"[<>=!~ ]", d)[0].lower() for d in _environment()["dependencies"] if isinstance(d, str)
    }
    pip = {
        re.split(r"[<>=!~\[ ]", d)[0].lower() for d in _pip_entries(_environment()) if not d.startswith("-e")
    }
    assert (conda - {"python", "pip"}) | pip <= known
