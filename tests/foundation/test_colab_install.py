"""The Colab install cell, run for real: a stand-in ``google.colab`` module and a local git repository.

The clone is real (``git clone`` of a local bare repository); ``pip`` is replaced by a small script that
records its arguments, so the test never installs anything into the test environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from segtutor import colab

pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True).returncode != 0, reason="needs git"
)


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def bare_repository(tmp_path) -> Path:
    """A local bare repository shaped like segtutor: notebooks/ and data/ on branch ``main``."""
    work = tmp_path / "work"
    (work / "notebooks").mkdir(parents=True)
    (work / "data").mkdir()
    (work / "notebooks" / "00_setup_check.ipynb").write_text("{}")
    (work / "data" / "README.md").write_text("data\n")
    _git("init", "--quiet", "--initial-branch", colab.BRANCH, ".", cwd=work)
    _git("add", ".", cwd=work)
    _git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-m", "x", cwd=work)
    bare = tmp_path / "segtutor.git"
    _git("clone", "--quiet", "--bare", str(work), str(bare), cwd=tmp_path)
    return bare


@pytest.fixture
def colab_session(tmp_path, monkeypatch):
    """Pretend to be on Colab, with a fake pip (exit code from FAKE_PIP_EXIT); restore cwd and env after."""
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEGTUTOR_DATA_DIR", "unset")  # records the value to restore after the test
    monkeypatch.delenv("SEGTUTOR_DATA_DIR")
    log = tmp_path / "pip-calls.txt"
    fake_python = tmp_path / "fake-python"
    fake_python.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{log}"\n'
        'if [ "${FAKE_PIP_EXIT:-0}" != 0 ]; then echo "ERROR: Invalid requirement: nothing here" >&2; fi\n'
        'exit "${FAKE_PIP_EXIT:-0}"\n'
    )
    fake_python.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake_python))
    return log


def _run_cell(url: str, target: Path) -> None:
    exec(compile(colab.install_source(url=url, target=str(target)), "install-cell", "exec"), {})


@pytest.mark.skipif(os.name != "posix", reason="the fake pip is a shell script")
def test_success_clones_installs_and_moves_into_the_notebooks(tmp_path, bare_repository, colab_session):
    target = tmp_path / "content" / "segtutor"
    _run_cell(bare_repository.as_uri(), target)
    assert (target / "notebooks" / "00_setup_check.ipynb").is_file()
    assert Path.cwd() == target / "notebooks"
    assert os.environ["SEGTUTOR_DATA_DIR"] == str(target / "data")
    assert colab_session.read_text().split() == ["-m", "pip", "install", "--quiet", str(target)]


@pytest.mark.skipif(os.name != "posix", reason="the fake pip is a shell script")
def test_second_run_does_not_clone_or_install_again(tmp_path, bare_repository, colab_session):
    target = tmp_path / "content" / "segtutor"
    _run_cell(bare_repository.as_uri(), target)
    _run_cell(bare_repository.as_uri(), target)
    assert len(colab_session.read_text().splitlines()) == 1
    assert Path.cwd() == target / "notebooks"


@pytest.mark.skipif(os.name != "posix", reason="the fake pip is a shell script")
def test_failed_clone_stops_the_cell_naming_the_step_and_the_fix(tmp_path, colab_session):
    target = tmp_path / "content" / "segtutor"
    missing = (tmp_path / "renamed-fork.git").as_uri()
    with pytest.raises(RuntimeError) as error:
        _run_cell(missing, target)
    message = str(error.value)
    assert 'stopped at step "git clone"' in message
    assert missing in message and "python -m segtutor.colab --write" in message
    assert not colab_session.exists()  # pip never ran
    assert Path.cwd() == tmp_path and "SEGTUTOR_DATA_DIR" not in os.environ


@pytest.mark.skipif(os.name != "posix", reason="the fake pip is a shell script")
def test_failed_install_stops_the_cell_and_removes_the_clone(tmp_path, bare_repository, colab_session,
                                                             monkeypatch):
    monkeypatch.setenv("FAKE_PIP_EXIT", "1")
    target = tmp_path / "content" / "segtutor"
    with pytest.raises(RuntimeError) as error:
        _run_cell(bare_repository.as_uri(), target)
    message = str(error.value)
    assert 'stopped at step "pip install"' in message and "Invalid requirement" in message
    assert "run this cell again" in message
    assert not target.exists()  # the next run clones afresh
    assert Path.cwd() == tmp_path
