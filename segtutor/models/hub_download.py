"""Download an official checkpoint's files from the Hub, and give up within seconds when the download stalls.

``huggingface_hub`` waits 10 s for each silent read and resumes a broken download five times, so a stalled
or failing connection can keep a lesson waiting for minutes before anything is said. Here the download runs
in a child Python process that reports every 64 kB it receives; when nothing arrives for ``stall_timeout``
seconds the child is stopped, and every failure becomes a :class:`HubDownloadError` with one plain
``what`` (what happened) and one ``fix``. The files land in the usual Hugging Face cache, so
``from_pretrained(..., local_files_only=True)`` loads them afterwards.

Run as a script (``python segtutor/models/hub_download.py REPO_ID FILE ... --cache-dir DIR``) it is that
child: it imports only ``huggingface_hub`` (not torch) and writes one JSON line per event on stdout
(``start``, ``progress``, ``done``, ``missing``, ``error``).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time

__all__ = ["CHECKPOINT_FILES", "HubDownloadError", "download_checkpoint"]

#: What ``from_pretrained`` needs of a segmentation checkpoint.
CHECKPOINT_FILES: tuple[str, ...] = ("config.json", "preprocessor_config.json", "model.safetensors")

_PREFIX = "segtutor-hub-download "
_REPORT_EVERY = 64 * 1024  # bytes per progress report (huggingface_hub's default chunk is 10 MB)
_RETRY_FIX = "check the internet connection, then run this cell again (a partial download resumes)"


class HubDownloadError(OSError):
    """Downloading an official checkpoint failed; ``what`` says what happened, ``fix`` what to do."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(f"{what}; {fix}")
        self.what = what
        self.fix = fix


def download_checkpoint(
    repo_id: str,
    *,
    files: tuple[str, ...] = CHECKPOINT_FILES,
    stall_timeout: float = 8.0,
    cache_dir: str | None = None,
) -> dict[str, bool]:
    """Download ``files`` of ``repo_id`` into the Hugging Face cache; stop when no data comes for a while.

    Parameters
    ----------
    repo_id : str
        Hub id, e.g. ``"facebook/mask2former-swin-tiny-coco-panoptic"``.
    files : tuple of str
        File names in the repository.
    stall_timeout : float
        Seconds without any data (answer or bytes) after which the download is abandoned. A slow download
        that keeps receiving data is never cut.
    cache_dir : str, optional
        Hugging Face cache folder; default: the one ``huggingface_hub`` uses in this process.

    Returns
    -------
    dict of str to bool
        For each file: ``True`` when it is in the cache now, ``False`` when the repository has no such file.

    Raises
    ------
    HubDownloadError
        The download stalled, broke off, or the Hub answered with an error.
    """
    if cache_dir is None:
        from huggingface_hub import constants

        cache_dir = constants.HF_HUB_CACHE
    # run this file as a script: the child needs huggingface_hub only, not segtutor's torch-heavy package
    launcher = "import runpy, sys; runpy.run_path(sys.argv.pop(1), run_name='__main__')"
    command = [sys.executable, "-c", launcher, os.path.abspath(__file__), repo_id,
               "--cache-dir", str(cache_dir), "--stall-timeout", f"{stall_timeout:g}", *files]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=_child_environment())
    events: queue.Queue = queue.Queue()
    threading.Thread(target=_forward_lines, args=(child.stdout, events), daemon=True).start()
    threading.Thread(target=child.stderr.read, daemon=True).start()  # drained, never shown
    found: dict[str, bool] = {}
    current, best, retried = "the checkpoint", -1, False
    deadline = time.monotonic() + stall_timeout
    try:
        while True:
            try:
                event = events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                how = "keeps breaking off" if retried else "stalled"
                raise HubDownloadError(
                    f"the download of {current} from {repo_id} {how} (no new data for {stall_timeout:g} s)",
                    _RETRY_FIX,
                ) from None
            if event is None:  # the child is done
                break
            kind, name = event.get("event"), event.get("file", "")
            if kind == "progress" and event["bytes"] <= best:
                retried = True  # a resumed download that does not get further: not progress
                continue
            deadline = time.monotonic() + stall_timeout
            if kind == "progress":
                best = event["bytes"]
            elif kind == "start":
                current, best, retried = name, -1, False
            elif kind in ("done", "missing"):
                found[name] = kind == "done"
            elif kind == "error":
                raise HubDownloadError(event["what"], event["fix"])
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
    missing = [name for name in files if name not in found]
    if missing:
        raise HubDownloadError(
            f"the download of {', '.join(missing)} from {repo_id} ended without a result "
            f"(exit code {child.returncode})",
            _RETRY_FIX,
        )
    return found


def _child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    return env


def _forward_lines(stream, events: queue.Queue) -> None:
    for line in stream:
        if line.startswith(_PREFIX):
            events.put(json.loads(line[len(_PREFIX):]))
        else:
            events.put({"event": "output"})  # anything printed is a sign of life too
    events.put(None)


# ---------------------------------------------------------------------------------------------------------
# The child process


def _say(**event) -> None:
    sys.stdout.write(_PREFIX + json.dumps(event) + "\n")
    sys.stdout.flush()


class _Progress:
    """A stand-in for huggingface_hub's progress bar: reports received bytes instead of drawing."""

    def __init__(self, *args, **kwargs) -> None:
        self.n = int(kwargs.get("initial") or 0)
        self._reported = self.n

    def update(self, n: float | None = 1) -> None:
        self.n += int(n or 0)
        if abs(self.n - self._reported) >= _REPORT_EVERY or n:
            self._reported = self.n
            _say(event="progress", bytes=self.n)

    def __getattr__(self, name: str):  # set_description, refresh, close, ...: nothing to draw
        return lambda *args, **kwargs: None

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc) -> None:
        return None


def _http_status(err: BaseException) -> int | None:
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        response = getattr(err, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            return status
        err = err.__cause__ or err.__context__
    return None


def _describe(err: BaseException, repo_id: str, name: str) -> tuple[str, str]:
    """(what happened, fix) for an exception raised while downloading ``name``."""
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    status = _http_status(err)
    if isinstance(err, GatedRepoError):
        return f"{repo_id} is gated on the Hub", "accept its terms on the Hub and log in with `hf auth login`"
    if isinstance(err, RepositoryNotFoundError):
        return f"the Hub has no repository {repo_id}", "check the name in segtutor/models/registry.py"
    if status is not None and status >= 500:
        return (f"the Hub answered HTTP {status} for {name} of {repo_id}",
                "the problem is on the Hub's side: wait a few minutes, then run this cell again")
    if status is not None:
        return (f"the Hub answered HTTP {status} for {name} of {repo_id}", _RETRY_FIX)
    text = " ".join(str(err).split())[:160]
    return (f"the download of {name} from {repo_id} failed ({type(err).__name__}: {text})", _RETRY_FIX)


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Download checkpoint files (child of download_checkpoint).")
    parser.add_argument("repo_id")
    parser.add_argument("files", nargs="+")
    parser.add_argument("--cache-dir", required=True)
    parser.add_argument("--stall-timeout", type=float, default=8.0)
    args = parser.parse_args(argv)

    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import RemoteEntryNotFoundError

    constants.DOWNLOAD_CHUNK_SIZE = _REPORT_EVERY  # report progress often (this process only)
    import huggingface_hub.file_download as file_download

    if hasattr(file_download, "_DEFAULT_RETRY_ON_STATUS_CODES"):  # report HTTP 5xx at once, not after 23 s
        file_download._DEFAULT_RETRY_ON_STATUS_CODES = ()
    for name in args.files:
        _say(event="start", file=name)
        started = time.perf_counter()
        try:
            hf_hub_download(args.repo_id, name, cache_dir=args.cache_dir, etag_timeout=args.stall_timeout,
                            tqdm_class=_Progress)
        except RemoteEntryNotFoundError:  # the repository has no such file
            _say(event="missing", file=name)
            continue
        except Exception as err:  # every failure is reported in words, never as a traceback
            what, fix = _describe(err, args.repo_id, name)
            _say(event="error", file=name, what=what, fix=fix)
            return 1
        _say(event="done", file=name, seconds=round(time.perf_counter() - started, 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
