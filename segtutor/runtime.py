"""Runtime facts a lesson needs: versions, the compute device, Colab, whether the Hub answers, CPU sharing.

Everything here is cheap and never hangs: the Hub check gives up after ``timeout`` seconds (2 s by default)
and respects ``HF_HUB_OFFLINE``, so a classroom without network gets an answer at once.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from segtutor.cpu_sharing import CpuSharing, share_cpus, usable_cpus

__all__ = [
    "CpuSharing",
    "HubStatus",
    "choose_device",
    "device_summary",
    "hub_offline_requested",
    "hub_status",
    "in_colab",
    "share_cpus",
    "usable_cpus",
    "versions",
]

_TRUE_VALUES = {"1", "true", "yes", "on"}
DEFAULT_ENDPOINT = "https://huggingface.co"


def hub_offline_requested() -> bool:
    """Return ``True`` when ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) asks for offline mode."""
    return any(
        os.environ.get(var, "").strip().lower() in _TRUE_VALUES
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


@dataclass(frozen=True)
class HubStatus:
    """Whether the Hugging Face Hub can be used now, and why (in plain words).

    Attributes
    ----------
    reachable : bool
        ``True`` when the Hub answered within the time limit and offline mode is not requested.
    reason : str
        One sentence a learner can act on.
    seconds : float
        How long the check took.
    """

    reachable: bool
    reason: str
    seconds: float


def _probe(url: str, timeout: float, result: dict) -> None:
    """Send one HEAD request; store the outcome in ``result`` (runs in a daemon thread)."""
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "segtutor-hub-check"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            result["status"] = response.status
    except urllib.error.HTTPError as err:  # the server answered: the Hub is there
        result["status"] = err.code
    except Exception as err:  # DNS failure, refused connection, TLS error, timeout
        result["error"] = f"{type(err).__name__}: {err}"


def hub_status(timeout: float = 2.0, endpoint: str | None = None) -> HubStatus:
    """Check whether the Hugging Face Hub is reachable, giving up after ``timeout`` seconds.

    Parameters
    ----------
    timeout : float, default 2.0
        Upper bound in seconds for the whole check, DNS lookup included (the request runs in a daemon
        thread, so a stalled resolver cannot make this call hang).
    endpoint : str, optional
        Hub address; defaults to ``HF_ENDPOINT`` or ``https://huggingface.co``.

    Returns
    -------
    HubStatus
        ``reachable`` and a one-sentence ``reason``.
    """
    start = time.perf_counter()
    if hub_offline_requested():
        return HubStatus(False, "offline mode is requested (HF_HUB_OFFLINE=1)", time.perf_counter() - start)
    url = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/") + "/api/models?limit=1"
    result: dict = {}
    worker = threading.Thread(target=_probe, args=(url, timeout, result), daemon=True)
    worker.start()
    worker.join(timeout)
    seconds = time.perf_counter() - start
    if "status" in result and result["status"] < 500:
        return HubStatus(True, f"the Hub answered in {seconds:.1f} s", seconds)
    if "status" in result:
        return HubStatus(False, f"the Hub answered with HTTP {result['status']}", seconds)
    if "error" in result:
        return HubStatus(False, f"the Hub cannot be reached ({result['error'][:120]})", seconds)
    return HubStatus(False, f"the Hub did not answer within {timeout:g} s", seconds)


def in_colab() -> bool:
    """Return ``True`` when running inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ or "COLAB_GPU" in os.environ


def choose_device(preferred: str | None = None):
    """Pick the compute device: ``preferred`` if given and available, else CUDA, then MPS, then CPU.

    Parameters
    ----------
    preferred : {"cpu", "cuda", "mps", "auto"} or None
        ``None`` or ``"auto"`` picks the fastest available device.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If ``preferred`` names a device that is not available here.
    """
    import torch

    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if preferred in (None, "", "auto"):
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    kind = str(preferred).split(":")[0]
    available = {"cpu": True, "cuda": cuda, "mps": mps}
    if kind not in available:
        raise ValueError(f"device must be one of 'auto', 'cpu', 'cuda', 'mps'; got {preferred!r}.")
    if not available[kind]:
        fallback = "cuda" if cuda else "mps" if mps else "cpu"
        raise ValueError(
            f"device {preferred!r} is not available on this machine. "
            f"Use device='auto' (would pick {fallback!r}) or device='cpu'."
        )
    return torch.device(preferred)


def device_summary() -> dict[str, str]:
    """Describe the compute hardware: CPU cores, CUDA GPU name or MPS, and the device segtutor would use."""
    import torch

    info = {
        "cpu": f"{platform.processor() or platform.machine()} ({os.cpu_count()} logical cores, "
        f"torch uses {torch.get_num_threads()} threads)",
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available",
        "mps": "available"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
        else "not available",
    }
    info["chosen device"] = str(choose_device())
    return info


def versions(
    packages: tuple[str, ...] = ("torch", "transformers", "torchvision", "torchmetrics", "numpy"),
) -> dict[str, str]:
    """Return the Python version and each package's version (``"not installed"`` if missing)."""
    out = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = str(importlib.import_module(name).__version__)
        except ImportError:
            out[name] = "not installed"
    return out
