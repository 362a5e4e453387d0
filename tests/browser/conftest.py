"""Fixtures of the browser tests: one Jupyter server on copies of the lessons, and headless Chromium.

The server (JupyterLab 4, and Jupyter Notebook 7 when its package is installed: both are extensions of the
same Jupyter server) listens on 127.0.0.1 with a random token, in folders of its own, so no setting or
workspace of the machine's user changes what the test sees. Its kernels inherit this checkout on
``PYTHONPATH`` and ``HF_HUB_OFFLINE=1``, like nbval's. The committed notebooks are never opened: the server's
root is a temporary folder of copies (they find the bundled data through ``segtutor.paths``, which follows
the imported package, not the notebook's folder).
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("SEGTUTOR_CHROMIUM", "/usr/bin/chromium"))
#: Set by .ci/run: a missing Chromium or playwright then fails the suite instead of skipping these tests.
REQUIRE_ENV = "SEGTUTOR_REQUIRE_BROWSER"
SCREENSHOTS = REPO / "build" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",  # needed as root (CI); the pages are our own, served on 127.0.0.1
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Parameters of the copies that keep the run short; the widgets and their inputs are the same.
#: Lesson 03 trains 20 steps on 16 images instead of 300 on 96 (its checks then print ✗, as nbval would
#: not accept, but they are not what this test looks at); lesson 02 times each call once.
QUICK_PARAMETERS: dict[str, str] = {
    "01_segmentation_types": "",
    "02_inference_mask2former": "timing_repeats = 1",
    "03_finetuning": "n_train, n_val = 16, 8\nsteps = 20",
}

#: User settings of the server: no news or update pop-up over the page; every cell kept in the DOM.
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def _missing_browser() -> str | None:
    """Return why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; or set SEGTUTOR_CHROMIUM)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """The Chromium executable; skips the browser tests (or fails under .ci/run) when it is missing."""
    reason = _missing_browser()
    if reason is not None:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but {reason}")
        pytest.skip(reason)
    return CHROMIUM


@dataclass(frozen=True)
class JupyterServer:
    """A running Jupyter server: its URL, token and root folder (the notebook copies)."""

    url: str
    token: str
    root: Path

    def page_url(self, path: str) -> str:
        """Return the URL of ``path`` (e.g. ``lab/tree/x.ipynb``) with the token."""
        return f"{self.url}/{path}?token={self.token}"


def copy_notebook(name: str, folder: Path) -> Path:
    """Copy lesson ``name`` into ``folder`` with its outputs, prompts cleared and the quick parameters.

    Outputs stay (the saved static figures are part of what is tested); execution counts are cleared so
    that a prompt with a number means "ran in this test". The quick parameters go in a cell right after
    the ``parameters`` cell, as papermill injects them.
    """
    notebook = json.loads((REPO / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    cells = notebook["cells"]
    for cell in cells:
        if cell["cell_type"] == "code":
            cell["execution_count"] = None
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = None
    overrides = QUICK_PARAMETERS.get(name, "")
    if overrides:
        index = next(i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", []))
        cells.insert(index + 1, {
            "cell_type": "code", "execution_count": None, "id": "browser-test-parameters",
            "metadata": {"tags": ["injected-parameters"]}, "outputs": [],
            "source": f"# browser test: a shorter run\n{overrides}",
        })
    path = folder / f"{name}.ipynb"
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def jupyter_server(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """Start one Jupyter server for all browser tests on copies of the lessons; stop it afterwards."""
    base = tmp_path_factory.mktemp("jupyter")
    root = base / "notebooks"
    root.mkdir()
    for name in QUICK_PARAMETERS:
        copy_notebook(name, root)
    for relative, values in SETTINGS.items():
        target = base / "settings" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values), encoding="utf-8")
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        MPLBACKEND="Agg",
        PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_DATA_DIR=str(base / "data"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        IPYTHONDIR=str(base / "ipython"),
    )
    port, token = _free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}"]
    log_path = base / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"the Jupyter server exited with {server.returncode}:\n{log_path.read_text()}")
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the Jupyter server did not answer within 90 s:\n{log_path.read_text()}")
                time.sleep(0.2)
        yield JupyterServer(url=url, token=token, root=root)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def chromium(chromium_path: Path) -> Iterator[object]:
    """Headless Chromium driven by playwright (the Debian package; ``playwright install`` is not needed)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """``build/browser/``, emptied once per session: screenshots of every step, for a person to look at."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS
