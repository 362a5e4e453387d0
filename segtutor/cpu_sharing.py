"""Share the CPUs fairly when several segtutor kernels run on one machine (a classroom server, a JupyterHub).

PyTorch runs its CPU work on an OpenMP thread pool, one thread per core. Between two operations GNU OpenMP
keeps those threads *spinning* (busy-waiting) so the next operation starts at once. For one kernel alone that
is the fastest choice, but when several kernels share the cores, a thread that waits for a sibling the
operating system has paused spins through the time the others need: three copies of lesson 03 on 2 cores
took 3-4x their fair share. Letting waiting threads sleep (``OMP_WAIT_POLICY=PASSIVE``) cures the sharing
but made one kernel alone 1.7x slower, so segtutor does something else (``benchmarks/bench_sharing.py``):

1. each kernel uses at most one thread per CPU it may use (its affinity mask, capped by its cgroup CPU
   quota, which containers and JupyterHub spawners set);
2. while a cell runs, the kernel counts itself *busy* in a folder all kernels on the machine share
   (one small file per process id, in the temporary folder);
3. before each training step, each evaluated batch and each cell, a busy kernel takes its share,
   ``max(1, CPUs // busy kernels)`` threads, so the busy kernels together never ask for more threads than
   there are CPUs, and no thread spins waiting for a paused sibling.

A kernel alone keeps every CPU and runs as fast as before. Each notebook's setup cell calls
:func:`share_cpus` and prints its choice; ``SEGTUTOR_SHARE_CPUS=0`` turns it off, ``OMP_NUM_THREADS`` caps it.
"""

from __future__ import annotations

import atexit
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CpuSharing", "busy_kernels", "rebalance", "share_cpus", "threads_for", "usable_cpus"]

#: The folder where busy kernels leave one file each (named by process id); shared by all users.
DEFAULT_BUSY_DIR = Path(tempfile.gettempdir()) / "segtutor-busy-kernels"


def _cgroup_cpu_limit(root: Path) -> float | None:
    """CPUs allowed by the cgroup CPU quota under ``root`` (v2 ``cpu.max`` or v1 ``cpu.cfs_quota_us``)."""
    v2 = root / "cpu.max"
    if v2.is_file():
        quota, _, period = v2.read_text().strip().partition(" ")
        return int(quota) / int(period) if quota != "max" and period else None
    v1_quota, v1_period = root / "cpu" / "cpu.cfs_quota_us", root / "cpu" / "cpu.cfs_period_us"
    if v1_quota.is_file() and v1_period.is_file():
        quota, period = int(v1_quota.read_text()), int(v1_period.read_text())
        if quota > 0 and period > 0:
            return quota / period
    return None


def usable_cpus(cgroup_root: str | Path = "/sys/fs/cgroup") -> int:
    """Count the CPUs this process may use: its affinity mask, capped by a cgroup CPU quota.

    Parameters
    ----------
    cgroup_root : str or Path, default "/sys/fs/cgroup"
        Where the cgroup file system is mounted (a test passes a folder of its own).

    Returns
    -------
    int
        At least 1. A quota of 1.5 CPUs counts as 2 (PyTorch cannot use half a thread).
    """
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota = _cgroup_cpu_limit(Path(cgroup_root))
    except (OSError, ValueError):  # an unreadable or unexpected cgroup file: trust the affinity mask
        quota = None
    if quota is not None:
        affinity = min(affinity, math.ceil(quota))
    return max(1, affinity)


def threads_for(cpus: int, busy: int) -> int:
    """The fair share of ``cpus`` for one of ``busy`` kernels: ``max(1, cpus // busy)`` threads."""
    return max(1, cpus // max(1, busy))


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (another user's process counts: we may not signal it, but it lives)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def busy_kernels(folder: str | Path = DEFAULT_BUSY_DIR) -> int:
    """Count the live processes that marked themselves busy in ``folder`` (dead ones' files are skipped).

    Parameters
    ----------
    folder : str or Path
        The shared folder; a missing or unreadable folder counts as no busy kernel.

    Returns
    -------
    int
    """
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    return sum(1 for name in names if name.isdigit() and _alive(int(name)))


@dataclass
class _Sharing:
    """This process's sharing state once :func:`share_cpus` has turned it on."""

    cpus: int
    folder: Path
    threads: int = 0
    marked: bool = False

    def mark(self, busy: bool) -> None:
        """Leave (or take away) this process's file in the shared folder; never fail a lesson over it."""
        path = self.folder / str(os.getpid())
        try:
            if busy and not self.marked:
                self.folder.mkdir(parents=True, exist_ok=True)
                if self.folder.stat().st_uid == os.getuid():
                    self.folder.chmod(0o1777)  # every user's kernels count, nobody removes another's file
                path.touch()
            elif not busy and self.marked:
                path.unlink(missing_ok=True)
        except OSError:
            return
        self.marked = busy


_active: _Sharing | None = None


@dataclass(frozen=True)
class CpuSharing:
    """What :func:`share_cpus` chose, and one line for the notebook to print.

    Attributes
    ----------
    enabled : bool
        ``False`` when ``SEGTUTOR_SHARE_CPUS=0`` turned sharing off.
    cpus : int
        The most threads this kernel uses (CPUs usable here, or ``OMP_NUM_THREADS``).
    threads : int
        PyTorch's threads right now.
    busy : int
        Busy segtutor kernels on this machine right now, this one included.
    message : str
        The line a notebook prints.
    """

    enabled: bool
    cpus: int
    threads: int
    busy: int
    message: str

    def __str__(self) -> str:
        return self.message


def rebalance() -> int | None:
    """Take this kernel's fair share of threads now; a no-op unless :func:`share_cpus` turned sharing on.

    segtutor calls it before each training step, each evaluated batch and each notebook cell.

    Returns
    -------
    int or None
        PyTorch's thread count after the call, or ``None`` when sharing is off.
    """
    if _active is None:
        return None
    threads = threads_for(_active.cpus, max(1, busy_kernels(_active.folder)))
    if threads != _active.threads:
        import torch

        torch.set_num_threads(threads)
        _active.threads = threads
    return threads


def _hook_cells(shell: Any, sharing: _Sharing) -> None:
    """Count the kernel busy while a cell runs (IPython's ``pre_run_cell`` / ``post_run_cell`` events)."""

    def started(*_: Any) -> None:
        if _active is sharing:  # sharing turned off, or set up again since: this hook has nothing to do
            sharing.mark(True)
            rebalance()

    def finished(*_: Any) -> None:
        sharing.mark(False)

    for name, callback in (("pre_run_cell", started), ("post_run_cell", finished)):
        stale = [c for c in shell.events.callbacks[name] if getattr(c, "__qualname__", "").startswith(
            "_hook_cells.")]
        for old in stale:  # running the setup cell twice must not register the hooks twice
            shell.events.unregister(name, old)
        shell.events.register(name, callback)


def share_cpus(*, folder: str | Path | None = None, shell: Any = None) -> CpuSharing:
    """Turn on fair CPU sharing for this kernel and say what it chose.

    In a notebook (IPython) the kernel counts as busy while a cell runs; in a script, for as long as the
    process lives. ``SEGTUTOR_SHARE_CPUS=0`` turns sharing off; ``OMP_NUM_THREADS`` caps the threads.

    Parameters
    ----------
    folder : str or Path, optional
        The folder busy kernels share; default ``segtutor-busy-kernels`` in the temporary folder
        (``SEGTUTOR_BUSY_DIR`` overrides it).
    shell : IPython.core.interactiveshell.InteractiveShell, optional
        The shell to hook into; default: the running IPython, if any.

    Returns
    -------
    CpuSharing
        The choice, with a one-line ``message``.
    """
    global _active
    import torch

    usable = usable_cpus()
    user_cap = os.environ.get("OMP_NUM_THREADS", "").strip()
    cpus = int(user_cap) if user_cap.isdigit() and int(user_cap) > 0 else usable
    if _active is not None:  # called again: the earlier setting stops counting this kernel busy
        _active.mark(False)
        _active = None
    if os.environ.get("SEGTUTOR_SHARE_CPUS", "1").strip().lower() in {"0", "false", "no", "off"}:
        threads = torch.get_num_threads()
        message = f"CPU sharing off (SEGTUTOR_SHARE_CPUS=0). PyTorch threads: {threads}"
        return CpuSharing(False, cpus, threads, 0, message + ".")

    where = Path(folder or os.environ.get("SEGTUTOR_BUSY_DIR") or DEFAULT_BUSY_DIR)
    _active = _Sharing(cpus=cpus, folder=where)
    if shell is None:
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except ImportError:
            shell = None
    if shell is not None:
        _hook_cells(shell, _active)
    _active.mark(True)  # busy now: in a notebook the cell that called us is running
    if shell is None:
        atexit.register(_active.mark, False)
    threads = rebalance()
    busy = max(1, busy_kernels(where))
    message = (f"CPU sharing on. PyTorch threads: {threads} now, at most {cpus} (CPUs usable here: "
               f"{usable}); other busy segtutor kernels on this machine: {busy - 1}. "
               "Busy kernels split the CPUs, so none slows the others beyond its share.")
    return CpuSharing(True, cpus, threads, busy, message)
