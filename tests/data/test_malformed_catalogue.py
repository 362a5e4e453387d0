"""The malformed-dataset catalogue: >= 100 broken (or re-encoded) small datasets in the three formats.

Every case runs through the public entry points (``open_dataset`` / ``read_semantic_pngs``, ``validate()``,
iterating every sample) in a child process, so a native crash (pycocotools used to die with SIGSEGV on huge
polygon coordinates) is a failure of that case, not of the test run. A crashed child is replaced by a fresh
one for the remaining cases. Each case asserts its exact outcome: a ``DatasetFormatError`` naming the
expected file and field (and a fix), or a reading equal to the expected one. The cases live in
``tests/data/catalogue/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import segtutor

CATALOGUE = Path(__file__).resolve().parent / "catalogue"
sys.path.insert(0, str(CATALOGUE))
import catalogue_runner  # noqa: E402  (lives next to the cases, not on the default path)

CASES = catalogue_runner.CASES
_REPO = Path(segtutor.__file__).resolve().parents[1]


def run_in_children(valid: Path, work: Path, names: list[str], timeout: float = 240.0) -> dict[str, dict]:
    """Run ``names`` in as few child processes as possible; a case that kills its child is a ``crash``."""
    paths = [str(_REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    results: dict[str, dict] = {}
    remaining = list(names)
    while remaining:
        command = [sys.executable, str(CATALOGUE / "catalogue_runner.py"), str(valid), str(work), *remaining]
        try:
            proc = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=env, check=False
            )
            stdout, stderr, returncode = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as exc:  # a case that hangs is a failure of that case
            partial = exc.stdout or b""
            stdout = partial.decode(errors="replace") if isinstance(partial, bytes) else partial
            stderr, returncode = f"timed out after {timeout} s", None
        started = None
        for line in stdout.splitlines():
            record = json.loads(line) if line.startswith("{") else {}
            if "start" in record:
                started = record["start"]
            elif "name" in record:
                results[record["name"]] = record
                started = None
        if started is not None:  # died inside a case
            results[started] = {
                "outcome": "crash",
                "returncode": returncode,
                "stderr": stderr[-800:],
            }
        done = [n for n in remaining if n in results]
        if not done:  # died before its first case: report them all
            for name in remaining:
                results[name] = {
                    "outcome": "crash",
                    "returncode": returncode,
                    "stderr": stderr[-800:],
                }
        remaining = [n for n in remaining if n not in results]
    return results


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    base = tmp_path_factory.mktemp("catalogue")
    catalogue_runner.build_valid(base / "valid")
    (base / "work").mkdir()
    return run_in_children(base / "valid", base / "work", list(CASES))


def test_the_catalogue_covers_three_formats_with_at_least_100_cases():
    per_format = Counter(case.fmt for case in CASES.values())
    assert sum(per_format.values()) >= 100 and set(per_format) == {"panoptic", "instance", "semantic"}
    assert min(per_format.values()) >= 20
    assert sum(case.error is None for case in CASES.values()) >= 25  # valid inputs must be read, not refused


@pytest.mark.parametrize("name", list(CASES))
def test_case(catalogue, name):
    case, got = CASES[name], catalogue[name]
    assert got["outcome"] != "crash", f"the reader killed the interpreter: {got}"
    if case.error is None:
        assert got["outcome"] == "read", f"valid input not read: {got}"
        assert got["difference"] == "", got["difference"]
        return
    file, field = case.error
    assert got["outcome"] == "error", f"expected DatasetFormatError({file}, {field}), got {got}"
    assert Path(got["file"]).as_posix().endswith(file), got["file"]
    assert got["field"].startswith(field), got["field"]
    assert got["fix"] and got["file"] in got["message"] and got["field"] in got["message"]


def test_a_native_crash_is_caught_and_the_other_cases_still_run(tmp_path):
    catalogue_runner.build_valid(tmp_path / "valid")
    (tmp_path / "work").mkdir()
    names = ["panoptic-valid-utf8-bom", catalogue_runner.SELF_TEST_CRASH, "instance-polygon-nan"]
    results = run_in_children(tmp_path / "valid", tmp_path / "work", names)
    assert results[catalogue_runner.SELF_TEST_CRASH]["outcome"] == "crash"
    assert results[catalogue_runner.SELF_TEST_CRASH]["returncode"] != 0
    assert results["panoptic-valid-utf8-bom"]["outcome"] == "read"
    assert results["instance-polygon-nan"]["outcome"] == "error"
