"""Colab support: every notebook starts with an "Open in Colab" badge and a Colab-only install cell.

The repository's GitHub location is the single constant :data:`segtutor.paths.REPOSITORY` (re-exported
here). ``python -m segtutor.colab --write`` (re)writes the two header cells of every notebook; ``--check``
(and the test suite) fails when a notebook lacks them or when they point at another path.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from segtutor.paths import REPOSITORY, repo_root

__all__ = [
    "BRANCH",
    "COLAB_TARGET",
    "REPOSITORY",
    "badge_markdown",
    "check_notebook",
    "install_source",
    "repository_url",
    "write_header",
]

BRANCH = "main"

BADGE_TAG = "colab-badge"
INSTALL_TAG = "colab-install"


def badge_markdown(notebook_path: str) -> str:
    """Return the Markdown of the "Open in Colab" badge for ``notebook_path`` (relative to the repo root)."""
    url = f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{notebook_path}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


COLAB_TARGET = "/content/segtutor"
"""Where the install cell clones the repository on Colab."""


def repository_url() -> str:
    """Return the clone URL of :data:`REPOSITORY` on GitHub."""
    return f"https://github.com/{REPOSITORY}"


_INSTALL_TEMPLATE = r"""# On Google Colab: fetch segtutor (code, data, bundled checkpoints) and install it.
# Anywhere else this cell does nothing: your environment already has segtutor.
import os
import shutil
import subprocess
import sys

REPOSITORY = __REPOSITORY__  # set by `python -m segtutor.colab --write`
TARGET = __TARGET__

def setup_step(name, command, fix):  # run one step; stop the cell with a clear message if it fails
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        error = (done.stderr or done.stdout).strip()[-600:]
        raise RuntimeError(f'Colab setup stopped at step "{name}" ({error}). Fix: {fix}')

if "google.colab" in sys.modules:
    if not os.path.isdir(TARGET):
        setup_step('git clone', ['git', 'clone', '--depth', '1', '--branch', __BRANCH__, REPOSITORY, TARGET],
                   f'check the internet connection and that {REPOSITORY} exists (a fork: set REPOSITORY '
                   'in segtutor/paths.py, run `python -m segtutor.colab --write`), then run this cell again.')
        try:
            setup_step('pip install', [sys.executable, '-m', 'pip', 'install', '--quiet', TARGET],
                       'read pip\'s error in this message, then run this cell again (it clones afresh).')
        except RuntimeError:
            shutil.rmtree(TARGET, ignore_errors=True)
            raise
    if not os.path.isdir(os.path.join(TARGET, "notebooks")):
        raise RuntimeError(f'Colab setup stopped at step "change folder": {TARGET} has no notebooks folder. '
                           f'Fix: delete {TARGET} (Files panel) and run this cell again.')
    os.environ["SEGTUTOR_DATA_DIR"] = os.path.join(TARGET, "data")
    os.chdir(os.path.join(TARGET, "notebooks"))"""


def install_source(*, url: str | None = None, target: str = COLAB_TARGET) -> str:
    """Return the install cell: on Colab it clones and installs segtutor, and does nothing elsewhere.

    The cell is plain Python (no ``!`` or ``%`` magics), so it runs, and is tested, like any code. Each step
    (clone, install, change folder) that fails stops the cell with a ``RuntimeError`` naming the step, the
    command's own error and the fix; a failed install removes the clone, so running the cell again retries.

    Parameters
    ----------
    url : str, optional
        Clone URL; default :func:`repository_url` (the tests pass a local repository).
    target : str
        Folder of the clone; default :data:`COLAB_TARGET`.
    """
    url = repository_url() if url is None else url
    values = {"__REPOSITORY__": repr(url), "__TARGET__": repr(target), "__BRANCH__": repr(BRANCH)}
    source = _INSTALL_TEMPLATE
    for placeholder, value in values.items():
        source = source.replace(placeholder, value)
    return source


def _cell(cell_type: str, source: str, tag: str, with_id: bool) -> dict:
    cell = {"cell_type": cell_type, "metadata": {"tags": [tag]}, "source": source}
    if with_id:  # cell ids exist from nbformat 4.5 on
        cell["id"] = tag
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _relative(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def check_notebook(path: str | Path, root: str | Path) -> list[str]:
    """Return the problems with ``path``'s header cells (an empty list when the header is right).

    Parameters
    ----------
    path : str or Path
        The notebook file.
    root : str or Path
        The repository root; the badge must point at ``path`` relative to it.
    """
    path, root = Path(path), Path(root)
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    problems = []
    expected_badge = badge_markdown(_relative(path, root))
    if not cells or cells[0].get("cell_type") != "markdown" or expected_badge not in _source(cells[0]):
        problems.append(f"{path}: cell 0 must be the Colab badge for this notebook: {expected_badge}")
    if len(cells) < 2 or cells[1].get("cell_type") != "code" or _source(cells[1]) != install_source():
        problems.append(
            f"{path}: cell 1 must be the Colab install cell; run `python -m segtutor.colab --write`."
        )
    return problems


def write_header(path: str | Path, root: str | Path) -> bool:
    """Insert or refresh the badge and install cells of one notebook; return ``True`` if the file changed."""
    path, root = Path(path), Path(root)
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    cells = [
        c
        for c in nb.get("cells", [])
        if not {BADGE_TAG, INSTALL_TAG} & set(c.get("metadata", {}).get("tags", []))
    ]
    with_id = (nb.get("nbformat", 4), nb.get("nbformat_minor", 0)) >= (4, 5)
    header = [
        _cell("markdown", badge_markdown(_relative(path, root)), BADGE_TAG, with_id),
        _cell("code", install_source(), INSTALL_TAG, with_id),
    ]
    old = nb.get("cells", [])[:2]
    if [(_source(c), c.get("id")) for c in old] == [(_source(c), c.get("id")) for c in header]:
        return False
    tags = [c.get("metadata", {}).get("tags", []) for c in old]
    if len(old) == 2 and tags == [[BADGE_TAG], [INSTALL_TAG]] and [c.get("id") for c in old] == [
        c.get("id") for c in header
    ]:
        # Both header cells are there: refresh their sources only (outputs, metadata and layout stay).
        for cell, new in zip(old, header, strict=True):
            cell["source"] = new["source"].splitlines(keepends=True)
    else:
        nb["cells"] = header + cells
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m segtutor.colab [--write | --check] [NOTEBOOK ...]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--write", action="store_true", help="insert or refresh the header cells")
    args = parser.parse_args(argv)
    root = repo_root()
    paths = args.notebooks or sorted((root / "notebooks").glob("*.ipynb"))
    problems = []
    for path in paths:
        if args.write and write_header(path, root):
            print(f"updated {path}")
        problems += check_notebook(path, root)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
