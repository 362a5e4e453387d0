"""segtutor.cpu_sharing: usable CPUs, the busy-kernel count, and each kernel's fair share of threads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from segtutor import cpu_sharing
from segtutor.cpu_sharing import busy_kernels, rebalance, share_cpus, threads_for, usable_cpus

AFFINITY = len(os.sched_getaffinity(0))


def _write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, AFFINITY),  # no cgroup files at all: the affinity mask decides
        ({"cpu.max": "max 100000\n"}, AFFINITY),  # v2, no quota
        ({"cpu.max": "100000 100000\n"}, 1),  # v2, one CPU
        ({"cpu.max": "50000 100000\n"}, 1),  # half a CPU still gets one thread
        ({"cpu.max": "150000 100000\n"}, min(AFFINITY, 2)),  # 1.5 CPUs round up
        ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),  # v1
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, AFFINITY),  # v1, no quota
        ({"cpu.max": "garbage\n"}, AFFINITY),  # unreadable: ignored, not a crash
    ],
)
def test_usable_cpus_follows_affinity_and_quota(tmp_path, files, expected):
    for name, text in files.items():
        _write(tmp_path, name, text)
    assert usable_cpus(tmp_path) == expected


def test_usable_cpus_never_exceeds_the_affinity_mask(tmp_path):
    _write(tmp_path, "cpu.max", f"{(AFFINITY + 8) * 100000} 100000\n")
    assert usable_cpus(tmp_path) == AFFINITY


@pytest.mark.parametrize(("cpus", "busy", "expected"),
                         [(2, 1, 2), (2, 2, 1), (2, 3, 1), (8, 3, 2), (8, 0, 8)])
def test_busy_kernels_split_the_cpus_and_never_drop_below_one_thread(cpus, busy, expected):
    assert threads_for(cpus, busy) == expected


@pytest.fixture
def other_kernel():
    """A live process standing in for another kernel."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process.pid
    process.kill()
    process.wait()


def test_busy_kernels_counts_live_processes_and_skips_dead_ones(tmp_path, other_kernel):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    (tmp_path / str(other_kernel)).touch()
    (tmp_path / finished.stdout.strip()).touch()  # a kernel that died without cleaning up
    (tmp_path / "notes.txt").touch()
    assert busy_kernels(tmp_path) == 1
    assert busy_kernels(tmp_path / "missing") == 0


@pytest.fixture
def sharing_state():
    """Restore the module's state and torch's thread count after a test that turns sharing on."""
    threads = torch.get_num_threads()
    yield
    if cpu_sharing._active is not None:
        cpu_sharing._active.mark(False)
    cpu_sharing._active = None
    torch.set_num_threads(threads)


def test_without_share_cpus_rebalance_changes_nothing(sharing_state):
    assert rebalance() is None


def test_a_kernel_alone_keeps_every_cpu_and_takes_its_share_when_others_are_busy(
        tmp_path, other_kernel, sharing_state, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(cpu_sharing, "usable_cpus", lambda *_: 4)
    sharing = share_cpus(folder=tmp_path, shell=None)
    assert sharing.enabled and sharing.cpus == 4 and sharing.threads == 4 and sharing.busy == 1
    assert (tmp_path / str(os.getpid())).exists()  # a script counts as busy while it lives
    assert "other busy segtutor kernels on this machine: 0" in sharing.message
    (tmp_path / str(other_kernel)).touch()
    assert rebalance() == 2 and torch.get_num_threads() == 2
    (tmp_path / str(other_kernel)).unlink()
    assert rebalance() == 4 and torch.get_num_threads() == 4


def test_omp_num_threads_caps_the_share(tmp_path, sharing_state, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert share_cpus(folder=tmp_path).threads == 1


def test_segtutor_share_cpus_0_turns_it_off(tmp_path, sharing_state, monkeypatch):
    monkeypatch.setenv("SEGTUTOR_SHARE_CPUS", "0")
    sharing = share_cpus(folder=tmp_path)
    assert not sharing.enabled and "sharing off" in sharing.message
    assert not any(tmp_path.iterdir()) and rebalance() is None


class _Events:
    """The part of IPython's event manager that share_cpus uses."""

    def __init__(self):
        self.callbacks = {"pre_run_cell": [], "post_run_cell": []}

    def register(self, name, callback):
        self.callbacks[name].append(callback)

    def unregister(self, name, callback):
        self.callbacks[name].remove(callback)

    def trigger(self, name):
        for callback in self.callbacks[name]:
            callback(None)


class _Shell:
    def __init__(self):
        self.events = _Events()


def test_in_a_notebook_the_kernel_is_busy_only_while_a_cell_runs(tmp_path, sharing_state):
    shell = _Shell()
    mine = tmp_path / str(os.getpid())
    share_cpus(folder=tmp_path, shell=shell)
    assert mine.exists()  # the setup cell itself is running
    shell.events.trigger("post_run_cell")
    assert not mine.exists()  # idle between cells: the other kernels get the CPUs
    shell.events.trigger("pre_run_cell")
    assert mine.exists()
    share_cpus(folder=tmp_path, shell=shell)  # the setup cell run a second time
    assert all(len(callbacks) == 1 for callbacks in shell.events.callbacks.values())


def test_turning_sharing_off_after_it_was_on_stops_counting_the_kernel_busy(tmp_path, sharing_state,
                                                                             monkeypatch):
    shell = _Shell()
    mine = tmp_path / str(os.getpid())
    share_cpus(folder=tmp_path, shell=shell)
    assert mine.exists()
    monkeypatch.setenv("SEGTUTOR_SHARE_CPUS", "0")
    share_cpus(folder=tmp_path, shell=shell)
    assert not mine.exists()
    shell.events.trigger("pre_run_cell")  # the hooks of the earlier call are still registered
    assert not mine.exists() and rebalance() is None
