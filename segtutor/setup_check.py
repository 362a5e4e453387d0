"""The setup check every student runs first (notebook 00): each check says ok or not, and what to do."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from segtutor import runtime
from segtutor.colab import REPOSITORY

__all__ = ["Check", "run_checks", "verdict"]

MIN_PYTHON = (3, 10)
MIN_TRANSFORMERS = (5, 0)


@dataclass(frozen=True)
class Check:
    """One line of the setup check.

    Attributes
    ----------
    name : str
        What was checked.
    ok : bool
        Whether it passed.
    detail : str
        What was found.
    fix : str
        What to do when it failed (empty when ``ok``).
    required : bool
        ``False`` for checks that only change which lessons run online (the Hub).
    """

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True

    def line(self) -> str:
        mark = "ok  " if self.ok else ("FAIL" if self.required else "note")
        text = f"[{mark}] {self.name}: {self.detail}"
        return text if self.ok or not self.fix else f"{text}\n       -> {self.fix}"


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("+")[0].split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _check_python() -> Check:
    found = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info[:2] >= MIN_PYTHON
    return Check(
        "Python", ok, found, "" if ok else "Install Python 3.10 or newer, then re-create the environment."
    )


def _check_transformers(found: str) -> Check:
    if found == "not installed":
        return Check("transformers", False, found, "Run `make install` (or the Colab install cell) again.")
    ok = _version_tuple(found) >= MIN_TRANSFORMERS
    fix = "" if ok else "The lessons teach the transformers 5 API: `pip install -U 'transformers>=5.24'`."
    return Check("transformers", ok, found, fix)


def _check_torch_runs() -> Check:
    try:
        import torch

        device = runtime.choose_device()
        value = float((torch.ones(2, 2, device=device) @ torch.ones(2, 2, device=device)).sum())
        ok = value == 8.0
        return Check(
            "torch computes",
            ok,
            f"a 2×2 matrix product on {device} gives {value:g}",
            "" if ok else "torch gives wrong results: re-install it (`make install`).",
        )
    except Exception as err:  # report, do not crash the notebook
        return Check(
            "torch computes", False, f"{type(err).__name__}: {err}", "Re-install torch: `make install`."
        )


def _check_timm() -> Check:
    """timm is importable: the official DETR checkpoints build their ResNet-50 backbone with it."""
    try:
        import timm
    except Exception as err:  # ImportError, or a broken install that fails while importing
        return Check(
            "timm",
            False,
            f"cannot be imported ({type(err).__name__}: {err})",
            "The official DETR checkpoint (notebook 04) needs it: `pip install timm`, or run `make install` "
            "(or the Colab install cell) again.",
        )
    return Check("timm", True, f"{timm.__version__} (backbone of the official DETR checkpoint)")


def _check_bundled_data() -> Check:
    from segtutor.paths import data_dir

    try:
        root = data_dir()
    except FileNotFoundError as err:
        return Check(
            "bundled data",
            False,
            str(err).split(". ")[0],
            "Clone the whole repository, not only the package.",
        )
    missing = [name for name in ("toy-shapes", "checkpoints") if not (root / name).is_dir()]
    if missing:
        return Check(
            "bundled data",
            False,
            f"missing {', '.join(missing)} in {root}",
            f"Clone the whole repository (git clone https://github.com/{REPOSITORY}) so data/ is complete.",
        )
    return Check("bundled data", True, "ToyShapes dataset and project-trained checkpoints found")


def run_checks(hub_timeout: float = 2.0) -> list[Check]:
    """Run every check and return them in display order."""
    found = runtime.versions()
    checks = [_check_python()]
    torch_ok = found["torch"] != "not installed"
    checks.append(Check("torch", torch_ok, found["torch"], "" if torch_ok else "Run `make install` again."))
    checks.append(_check_transformers(found["transformers"]))
    if torch_ok:
        checks.append(_check_torch_runs())
    checks.append(_check_timm())
    checks.append(_check_bundled_data())
    hub = runtime.hub_status(timeout=hub_timeout)
    checks.append(
        Check(
            "Hugging Face Hub",
            hub.reachable,
            hub.reason,
            ""
            if hub.reachable
            else "Fine for the lessons: they use segtutor's bundled checkpoints offline. "
            "For the official checkpoints, connect to the internet (or unset HF_HUB_OFFLINE).",
            required=False,
        )
    )
    return checks


def verdict(checks: list[Check]) -> tuple[bool, str]:
    """Return (green, message): green when every required check passed."""
    failed = [c for c in checks if c.required and not c.ok]
    if failed:
        names = ", ".join(c.name for c in failed)
        return False, f"RED: fix {names} (see the arrows above), then run this notebook again."
    online = all(c.ok for c in checks if not c.required)
    mode = (
        "online: the lessons will use the official Hub checkpoints"
        if online
        else ("offline: the lessons will use segtutor's bundled, project-trained checkpoints")
    )
    return True, f"GREEN: you are ready ({mode})."
