"""Load a segmentation model and its image processor, offline first.

``load_model("mask2former", "panoptic")`` returns the official checkpoint when the Hugging Face Hub answers
and segtutor's bundled toy checkpoint when it does not, and says in one line which one it chose and why.
Either way the code path is the plain ``from_pretrained`` of the transformers Auto classes, with
safetensors weights only and no remote code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from transformers import AutoImageProcessor, AutoModelForUniversalSegmentation, PreTrainedModel

from segtutor.models.hub_download import HubDownloadError, download_checkpoint
from segtutor.models.registry import bundled_checkpoint, find_checkpoint

__all__ = ["HubUnavailableError", "LoadedModel", "load_model", "load_pretrained"]

logger = logging.getLogger(__name__)

Source = Literal["auto", "hub", "bundled"]


class HubUnavailableError(RuntimeError):
    """``source="hub"`` was asked for, but the Hugging Face Hub cannot be used now."""


@dataclass
class LoadedModel:
    """A model, its image processor, and where they came from.

    Unpacks like a pair: ``model, processor = load_model(...)``.

    Attributes
    ----------
    model : PreTrainedModel
        In evaluation mode, on ``device``.
    processor : BaseImageProcessor
        The matching image processor (pre- and post-processing).
    architecture, task : str
        What was asked for.
    source : {"hub", "bundled", "local"}
        ``"hub"``: official checkpoint (downloaded or from the local Hub cache); ``"bundled"``: segtutor's
        toy checkpoint; ``"local"``: a folder passed as ``checkpoint``.
    checkpoint : str
        Hub id or folder that was loaded.
    is_toy : bool
        ``True`` for segtutor's tiny ToyShapes models (never presented as the official ones).
    device : torch.device
        Where the model lives.
    message : str
        One line for the notebook: which checkpoint, and why.
    """

    model: PreTrainedModel
    processor: Any
    architecture: str
    task: str
    source: str
    checkpoint: str
    is_toy: bool
    device: torch.device
    message: str

    def __iter__(self) -> Iterator[Any]:
        yield self.model
        yield self.processor

    def __repr__(self) -> str:
        return f"LoadedModel({self.message})"


def load_pretrained(path_or_id: str | Path, *, device: torch.device | str = "cpu", **kwargs: Any):
    """``from_pretrained`` for model and image processor with segtutor's safety defaults.

    Safetensors only (``use_safetensors=True``), never remote code. Extra keyword arguments go to the
    model's ``from_pretrained`` (e.g. ``local_files_only=True``, ``ignore_mismatched_sizes=True``).

    Returns
    -------
    tuple of (PreTrainedModel, BaseImageProcessor)
        The model in evaluation mode on ``device``, and its image processor.
    """
    local_only = kwargs.get("local_files_only", False)
    try:
        model = AutoModelForUniversalSegmentation.from_pretrained(
            str(path_or_id), use_safetensors=True, trust_remote_code=False, **kwargs
        )
    except ImportError as err:  # e.g. the official DETR checkpoints use a timm ResNet-50 backbone
        raise ImportError(
            f"Loading {path_or_id} needs a package that is not installed: {err} "
            "Fix: pip install timm (it brings torchvision), or use segtutor's bundled checkpoint "
            "(source='bundled'), whose backbone is native to transformers."
        ) from err
    processor = AutoImageProcessor.from_pretrained(
        str(path_or_id), trust_remote_code=False, local_files_only=local_only
    )
    return model.to(device).eval(), processor


def _hub_cached(hub_id: str) -> bool:
    """Whether the Hub checkpoint's config is in the local Hugging Face cache (no network)."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(hub_id, "config.json")
    return isinstance(found, str)


def _device(device: torch.device | str | None) -> torch.device:
    if device is not None:
        return torch.device(device)
    from segtutor.runtime import choose_device

    return choose_device()


def _toy_note(task: str) -> str:
    if task == "panoptic":
        return ""
    return f" (a panoptic model; its outputs are post-processed for the {task} task)"


def load_model(
    architecture: str = "mask2former",
    task: str = "panoptic",
    *,
    source: Source = "auto",
    device: torch.device | str | None = None,
    checkpoint: str | Path | None = None,
    hub_timeout: float = 2.0,
    hub_stall_timeout: float = 8.0,
) -> LoadedModel:
    """Return a model and image processor for ``architecture`` and ``task``, offline first.

    Parameters
    ----------
    architecture : {"mask2former", "maskformer", "detr"}
        Model family.
    task : {"panoptic", "instance", "semantic"}
        The output the lesson wants; picks the official checkpoint trained for it.
    source : {"auto", "hub", "bundled"}
        ``"auto"``: the official checkpoint when the Hub answers within ``hub_timeout`` seconds and the
        download succeeds (or when it is already in the local Hub cache), else the bundled toy checkpoint;
        the message then says in one sentence what happened, which checkpoint is used and how to fix it.
        ``"hub"`` / ``"bundled"`` force one and raise when it is impossible.
    device : torch.device or str, optional
        Defaults to ``segtutor.runtime.choose_device()`` (CUDA, then MPS, then CPU).
    checkpoint : str or Path, optional
        A folder (e.g. your fine-tuned model) or Hub id that replaces the registry's choice.
    hub_timeout : float
        Seconds to wait for the Hub before falling back (``HF_HUB_OFFLINE=1`` answers at once).
    hub_stall_timeout : float
        Seconds without any data after which a download from the Hub is abandoned. With the defaults every
        failure (no network, HTTP error, stalled or broken download) is decided within about 12 s; a slow
        download that keeps receiving data is never cut.

    Returns
    -------
    LoadedModel
        Also unpacks as ``model, processor``. ``.message`` says which checkpoint and why; it is logged too.

    Raises
    ------
    HubUnavailableError
        ``source="hub"`` and the official checkpoint cannot be loaded (Hub unreachable and not cached, HTTP
        error, stalled or broken download, missing package); the message says what happened and the fix.
    FileNotFoundError
        ``source="bundled"`` and the bundled folder is missing.
    ValueError
        Unknown architecture, task or source.
    """
    if source not in ("auto", "hub", "bundled"):
        raise ValueError(f"source must be 'auto', 'hub' or 'bundled', got {source!r}.")
    entry = find_checkpoint(architecture, task)
    dev = _device(device)

    if checkpoint is not None:
        path = Path(checkpoint)
        origin = "local" if path.is_dir() else "hub"
        model, processor = load_pretrained(checkpoint, device=dev, local_files_only=origin == "local")
        msg = f"Using {checkpoint} ({origin}), as requested."
        return _finish(model, processor, entry.architecture, task, origin, str(checkpoint), False, dev, msg)

    if source in ("auto", "hub"):
        loaded = _load_official(entry, task, dev, hub_timeout, hub_stall_timeout)
        if isinstance(loaded, LoadedModel):
            return loaded
        what, fix = loaded
        if source == "hub":
            raise HubUnavailableError(
                f"source='hub' could not load the official checkpoint {entry.hub_id}: {what}. Fix: {fix}; "
                "or use source='bundled' (or 'auto') for segtutor's offline toy checkpoint."
            )
        why = f"{what}; to use the official one, {fix}"
    else:
        why = "source='bundled' was requested"

    folder = bundled_checkpoint(architecture)
    model, processor = load_pretrained(folder, device=dev, local_files_only=True)
    msg = (
        f"Using segtutor's bundled TOY checkpoint {folder.name}{_toy_note(task)}, a tiny model trained on "
        f"ToyShapes, instead of the official {entry.hub_id}: {why}."
    )
    return _finish(model, processor, architecture, task, "bundled", str(folder), True, dev, msg)


def _fix_for(status) -> str:
    """What to do when ``hub_status`` says the Hub cannot be used."""
    if "offline mode" in status.reason:
        return "unset HF_HUB_OFFLINE (or set it to 0), restart the kernel and run the notebook again"
    if "HTTP 5" in status.reason:
        return "the problem is on the Hub's side: wait a few minutes, then run this cell again"
    return "check the internet connection (and HF_ENDPOINT, if set), then run this cell again"


def _load_official(entry, task, dev, hub_timeout, stall_timeout) -> LoadedModel | tuple[str, str]:
    """The official checkpoint of ``entry``, or ``(what happened, fix)`` when it cannot be had now.

    Whatever the failure, the answer comes within ``hub_timeout`` plus ``stall_timeout`` seconds (plus
    the start of a child process): a stalled download is abandoned, a broken one fails after a few resumes.
    """
    from segtutor.runtime import hub_status

    status = hub_status(timeout=hub_timeout)
    if status.reachable:
        how = "the Hub is reachable"
    elif _hub_cached(entry.hub_id):
        how = f"it is in the local cache ({status.reason})"
    else:
        return f"the Hub is not reachable — {status.reason.rstrip('.')}", _fix_for(status)
    try:
        local_only = True
        if status.reachable:
            found = download_checkpoint(entry.hub_id, stall_timeout=stall_timeout)
            # no model.safetensors (weights in another format): let transformers look for a conversion online
            local_only = found.get("model.safetensors", False)
        model, processor = load_pretrained(entry.hub_id, device=dev, local_files_only=local_only)
    except HubDownloadError as err:
        return err.what, err.fix
    except ImportError as err:  # e.g. timm for DETR's ResNet-50
        original = " ".join(str(err.__cause__ or err).split())[:200]
        return (f"{entry.hub_id} needs a package that is not installed ({original})",
                "install it (pip install timm for DETR), restart the kernel and run the notebook again")
    except OSError as err:  # an incomplete cache, disk full, ...
        text = " ".join(str(err).split())[:200]
        return (f"loading {entry.hub_id} failed ({type(err).__name__}: {text})",
                "check the internet connection and the free disk space, then run this cell again")
    note = ""
    if entry.hub_trained_for != task:
        note = f" ({entry.hub_trained_for} model post-processed for {task})"
    msg = f"Using the official checkpoint {entry.hub_id}{note} ({entry.dataset}): {how}."
    return _finish(model, processor, entry.architecture, task, "hub", entry.hub_id, False, dev, msg)


def _finish(model, processor, architecture, task, source, checkpoint, is_toy, device, message) -> LoadedModel:
    logger.info(message)
    return LoadedModel(model, processor, architecture, task, source, checkpoint, is_toy, device, message)
