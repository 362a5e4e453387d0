"""Run one notebook headless with papermill in a child process that cannot outlive its time limit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Execution", "first_error", "run_notebook", "stop_all"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PAPERMILL_TAGS = {"papermill-error-cell-tag", "injected-parameters"}
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
_running: set[subprocess.Popen] = set()  # the papermill children now running, for stop_all()
_running_lock = threading.Lock()


@dataclass(frozen=True)
class Execution:
    """What happened when a notebook ran.

    Attributes
    ----------
    status : str
        ``"ok"`` (every cell ran), ``"error"`` (a cell raised, or papermill could not start) or
        ``"timeout"`` (stopped at the time limit).
    reason : str
        Empty when ok; else one sentence: the failing cell and its exception, or the limit.
    seconds : float
        Wall-clock time of the run.
    output : Path
        The executed copy (as far as it got; it may be missing after a timeout or a failed start).
    """

    status: str
    reason: str
    seconds: float
    output: Path


def first_error(notebook) -> str:
    """Describe the first cell of an executed ``notebook`` that raised, or return ``""`` if none did.

    Parameters
    ----------
    notebook : nbformat.NotebookNode

    Returns
    -------
    str
        e.g. ``"cell 7 (answer_1 = 1 / 0) raised ZeroDivisionError: division by zero"``; cells are counted
        from 1 over all cells, as a learner sees them, without the cells papermill adds.
    """
    cells = [c for c in notebook.cells if not _PAPERMILL_TAGS & set(c.get("metadata", {}).get("tags", []))]
    for number, cell in enumerate(cells, start=1):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                first_line = next((line for line in cell.source.splitlines() if line.strip()), "")[:50]
                message = _ANSI.sub("", str(output.get("evalue", ""))).strip().splitlines()
                evalue = f": {message[0][:200]}" if message else ""
                return f"cell {number} ({first_line}) raised {output.get('ename', 'an error')}{evalue}"
    return ""


def run_notebook(
    source: Path,
    output: Path,
    *,
    timeout: float,
    kernel_name: str = "python3",
    threads: int | None = None,
    cwd: Path | None = None,
) -> Execution:
    """Execute ``source`` top to bottom into ``output`` with papermill, never longer than ``timeout``.

    Papermill runs in a child process (its kernel in a grandchild); at the limit the child and every
    process it started are killed, so a learner's endless loop cannot hang the caller. Execution stops at
    the first cell that raises, as "Run all" does in Jupyter.

    Parameters
    ----------
    source : Path
        The notebook to run; it is not modified.
    output : Path
        Where the executed copy goes (its folder is created).
    timeout : float
        Seconds the whole notebook may take, kernel start included.
    kernel_name : str
        Jupyter kernel to run it with.
    threads : int, optional
        Set ``OMP_NUM_THREADS`` (and MKL's, OpenBLAS's) for the kernel, so that several notebooks run side
        by side share the CPU cores; ``None`` leaves the environment as it is.
    cwd : Path, optional
        The kernel's working folder; default: the folder of ``source``, as when the learner ran it.

    Returns
    -------
    Execution
    """
    import nbformat

    output.parent.mkdir(parents=True, exist_ok=True)
    output.unlink(missing_ok=True)
    options = [
        "--cwd",
        str(cwd or source.parent),
        "-k",
        kernel_name,
        "--no-progress-bar",
        "--log-level",
        "ERROR",
    ]
    command = [sys.executable, "-m", "papermill", str(source), str(output), *options]
    env = dict(os.environ)
    if threads is not None:
        env.update(dict.fromkeys(_THREAD_VARIABLES, str(threads)))
    start = time.perf_counter()
    child = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    with _running_lock:
        _running.add(child)
    try:
        _, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(child)
        reason = f"stopped after {timeout:g} s, the time limit for one notebook (--timeout)"
        return Execution("timeout", reason, time.perf_counter() - start, output)
    except BaseException:  # Ctrl-C: leave no kernel behind
        _kill_tree(child)
        raise
    finally:
        with _running_lock:
            _running.discard(child)
    seconds = time.perf_counter() - start
    if output.is_file():
        try:
            error = first_error(nbformat.read(output, as_version=4))
        except Exception as err:  # a copy papermill could not finish writing
            error = f"the executed copy is unreadable ({type(err).__name__})"
        if error:
            return Execution("error", error, seconds, output)
    if child.returncode != 0:
        lines = [line for line in _ANSI.sub("", stderr).splitlines() if line.strip()]
        return Execution(
            "error", f"papermill failed: {lines[-1][:200] if lines else 'no message'}", seconds, output
        )
    return Execution("ok", "", seconds, output)


def stop_all() -> None:
    """Kill every notebook run now in progress, with its kernel (for Ctrl-C while runs go on in threads)."""
    with _running_lock:
        children = list(_running)
    for child in children:
        _kill_tree(child)


def _kill_tree(child: subprocess.Popen) -> None:
    """Kill ``child`` and all its descendants (the kernel runs in a session of its own)."""
    import psutil

    try:
        family = psutil.Process(child.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    for process in [*family, child]:
        try:
            process.kill()
        except (psutil.NoSuchProcess, ProcessLookupError):
            pass
    child.wait()
    psutil.wait_procs(family, timeout=5)
