"""Every notebook in online mode (``checkpoint_source="hub"``) against the Hub double.

Each notebook runs headless with papermill in a kernel whose environment points at the double
(``HF_ENDPOINT``, ``HF_HUB_OFFLINE=0``, an empty Hub cache, ``SEGTUTOR_EXAMPLE_IMAGES_URL``), with the fewest
steps its parameters allow. Checked: it completes, every model line says it uses the official checkpoint,
and no output is a warning or went to stderr. With ``SEGTUTOR_HUB_DOUBLE_SIZE=real`` (``make
test-hub-real``) the same runs use real-size stand-ins.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from segtutor.paths import repo_root

NOTEBOOKS = repo_root() / "notebooks"

# notebook -> papermill parameters: online, and as short as the parameters allow
RUNS = {
    "00_setup_check.ipynb": {},
    "01_segmentation_types.ipynb": {"checkpoint_source": "hub"},
    "02_inference_mask2former.ipynb": {"checkpoint_source": "hub", "timing_repeats": 1},
    "03_finetuning.ipynb": {"checkpoint_source": "hub", "n_train": 8, "n_val": 4, "image_size": 64,
                            "steps": 2, "batch_size": 2, "browse_index": 0, "show_index": 1},
    "04_detr_maskformer_mask2former.ipynb": {"checkpoint_source": "hub", "latency_repeats": 1},
}
# how many "Using the official checkpoint" lines each notebook prints
OFFICIAL_LINES = {"00_setup_check.ipynb": 0, "01_segmentation_types.ipynb": 1,
                  "02_inference_mask2former.ipynb": 2, "03_finetuning.ipynb": 1,
                  "04_detr_maskformer_mask2former.ipynb": 4}


def _outputs(notebook) -> list[tuple[int, dict]]:
    return [(i, output) for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            for output in cell.get("outputs", [])]


def _text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return str(data.get("text/plain", "")) + str(output.get("evalue", ""))


@pytest.fixture
def kernel_env(hub_env, monkeypatch):
    """Kernels started in this test inherit the double's environment (root conftest: HF_HUB_OFFLINE=1)."""
    for name, value in hub_env.items():
        monkeypatch.setenv(name, value)
    # the kernel imports segtutor from this checkout, whatever copy the environment has installed
    paths = [str(repo_root()), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    return hub_env


@pytest.mark.slow
@pytest.mark.parametrize("name", list(RUNS))
def test_notebook_runs_online_with_the_official_checkpoints(name, kernel_env, tmp_path):
    import papermill

    path = NOTEBOOKS / name
    start = time.perf_counter()
    executed = papermill.execute_notebook(
        str(path), str(tmp_path / name), parameters=RUNS[name], cwd=str(path.parent),
        kernel_name="python3", progress_bar=False, execution_timeout=600,
    )
    seconds = time.perf_counter() - start
    print(f"{name}: {seconds:.1f} s online against the Hub double")
    outputs = _outputs(executed)
    stderr = [(i, _text(o)[:200]) for i, o in outputs if o.get("name") == "stderr"]
    assert stderr == [], f"{name}: output on stderr"
    warnings = [(i, _text(o)[:200]) for i, o in outputs if "warning" in _text(o).lower()]
    assert warnings == [], f"{name}: warnings in the outputs"
    stdout = "".join(_text(o) for _, o in outputs if o.get("name") == "stdout")
    assert "TOY" not in stdout and "bundled" not in stdout.replace("bundled data", "")
    model_lines = [line for line in stdout.splitlines() if line.startswith("Using ") and "checkpoint" in line]
    assert len(model_lines) == OFFICIAL_LINES[name]
    official = ("Using the official checkpoint facebook/", "Using the official checkpoint tue-mps/")
    assert all(line.startswith(official) for line in model_lines)
    if name == "00_setup_check.ipynb":
        assert "Hub reachable: True" in stdout and "GREEN" in stdout and "online" in stdout
    if name in ("01_segmentation_types.ipynb", "02_inference_mask2former.ipynb"):
        assert "real photo" in stdout  # the example photos came from the double


def test_run_table_lists_every_notebook():
    assert sorted(RUNS) == sorted(p.name for p in Path(NOTEBOOKS).glob("*.ipynb"))
