"""A loopback-only stand-in for the Hugging Face Hub and the COCO image server, for the tests.

It answers what ``huggingface_hub`` asks while ``from_pretrained`` downloads a model, and what
``segtutor.runtime.hub_status`` probes:

* ``HEAD /api/models?limit=1``: the reachability probe;
* ``GET /api/models/{repo}`` and ``/api/models/{repo}/revision/{rev}``: model info (``sha``, ``siblings``);
* ``HEAD|GET /{repo}/resolve/{rev}/{file}``: small files directly, with ``ETag``, ``X-Repo-Commit`` and
  ``Content-Length``; ``*.safetensors`` through a 302 redirect to another host name (``localhost``
  instead of ``127.0.0.1``, like the Hub's CDN) carrying ``X-Linked-Etag`` and ``X-Linked-Size``;
  a missing file is a 404 with ``X-Error-Code: EntryNotFound``, an unknown repository a 401 with
  ``X-Error-Code: RepoNotFound``;
* ``GET /images/{name}``: the example photos (``SEGTUTOR_EXAMPLE_IMAGES_URL`` points here).

Fault modes (``server.fault``): ``"http-500"`` (every resolve), ``"truncated"`` (weights end halfway),
``"stalled"`` (weights stop after a few bytes), ``"slow-probe"`` (the probe answers after
``slow_seconds``). The server binds 127.0.0.1 on a free port, serves from a daemon thread, and shuts
itself down after ``lifetime`` seconds even if a test forgets to stop it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

FAULTS = (None, "http-500", "truncated", "stalled", "slow-probe")


class HubDouble:
    """The server: ``repos`` maps repo id to ``{file: bytes}``, ``images`` maps file name to bytes."""

    def __init__(self, repos: dict[str, dict[str, bytes]], images: dict[str, bytes], *,
                 lifetime: float = 3600.0, slow_seconds: float = 30.0) -> None:
        self.repos = repos
        self.images = images
        self.fault: str | None = None
        self.slow_seconds = slow_seconds
        self.requests: list[tuple[str, str]] = []
        self.commits = {repo: hashlib.sha1(repo.encode()).hexdigest() for repo in repos}
        self._stop = threading.Event()
        handler = type("Handler", (_Handler,), {"double": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="hub-double")
        self._thread.start()
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()

    @property
    def endpoint(self) -> str:
        """The value for ``HF_ENDPOINT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def images_url(self) -> str:
        """The value for ``SEGTUTOR_EXAMPLE_IMAGES_URL``."""
        return f"{self.endpoint}/images"

    def set_fault(self, fault: str | None) -> None:
        if fault not in FAULTS:
            raise ValueError(f"fault must be one of {FAULTS}, got {fault!r}")
        self.fault = fault

    def stop(self) -> None:
        """Release stalled downloads and close the port (safe to call twice)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._timer.cancel()
        self._server.shutdown()
        self._server.server_close()


def _etag(data: bytes, algorithm: str) -> str:
    return hashlib.new(algorithm, data).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    double: HubDouble
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet: the tests read double.requests instead
        pass

    def do_HEAD(self) -> None:
        self._route(body=False)

    def do_GET(self) -> None:
        self._route(body=True)

    # -- routing -------------------------------------------------------------------------------------
    def _route(self, body: bool) -> None:
        double = self.double
        path = unquote(urlsplit(self.path).path)
        double.requests.append((self.command, self.path))
        if path == "/api/models":
            if double.fault == "slow-probe":
                double._stop.wait(double.slow_seconds)
            return self._send(200, b"[]", {"Content-Type": "application/json"}, body)
        if path.startswith("/api/models/"):
            return self._model_info(path.removeprefix("/api/models/"), body)
        if path.startswith("/images/"):
            data = double.images.get(path.removeprefix("/images/"))
            if data is None:
                return self._send(404, b"no such image", {}, body)
            return self._send(200, data, {"Content-Type": "image/jpeg"}, body)
        if path.startswith("/lfs/"):
            return self._lfs(path.removeprefix("/lfs/"), body)
        if "/resolve/" in path:
            repo, _, rest = path.lstrip("/").partition("/resolve/")
            revision, _, filename = rest.partition("/")
            return self._resolve(repo, revision, filename, body)
        return self._send(404, b"not found", {}, body)

    def _model_info(self, rest: str, body: bool) -> None:
        repo = rest.split("/revision/")[0]
        if repo not in self.double.repos:
            error = b'{"error": "Repository not found"}'
            return self._send(401, error, {"X-Error-Code": "RepoNotFound"}, body)
        info = {
            "id": repo,
            "modelId": repo,
            "sha": self.double.commits[repo],
            "private": False,
            "siblings": [{"rfilename": name} for name in sorted(self.double.repos[repo])],
        }
        self._send(200, json.dumps(info).encode(), {"Content-Type": "application/json"}, body)

    def _resolve(self, repo: str, revision: str, filename: str, body: bool) -> None:
        double = self.double
        if repo not in double.repos:
            return self._send(401, b"Repository not found", {"X-Error-Code": "RepoNotFound"}, body)
        commit = {"X-Repo-Commit": double.commits[repo]}
        if double.fault == "http-500":
            return self._send(500, b"Internal Server Error", commit, body)
        data = double.repos[repo].get(filename)
        if data is None:
            headers = {**commit, "X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found"}
            return self._send(404, b"Entry not found", headers, body)
        if filename.endswith(".safetensors"):  # large files: a redirect to the "CDN" with the linked headers
            sha = _etag(data, "sha256")
            location = f"http://localhost:{double.port}/lfs/{repo}/{filename}"
            headers = {**commit, "Location": location, "X-Linked-Etag": f'"{sha}"',
                       "X-Linked-Size": str(len(data)), "ETag": f'"{_etag(data, "sha1")}"'}
            return self._send(302, b"", headers, body)
        headers = {**commit, "ETag": f'"{_etag(data, "sha1")}"', "Content-Type": "application/octet-stream"}
        self._send(200, data, headers, body)

    def _lfs(self, rest: str, body: bool) -> None:
        double = self.double
        repo, _, filename = rest.rpartition("/")
        data = double.repos.get(repo, {}).get(filename)
        if data is None:
            return self._send(404, b"no such blob", {}, body)
        headers = {"ETag": f'"{_etag(data, "sha256")}"', "Content-Type": "application/octet-stream"}
        if not body or double.fault not in ("truncated", "stalled"):
            return self._send(200, data, headers, body)
        # Announce the whole file, send part of it, then stop (truncated) or hang (stalled).
        self.send_response(200)
        for name, value in {**headers, "Content-Length": str(len(data))}.items():
            self.send_header(name, value)
        self.end_headers()
        part = data[: len(data) // 2] if double.fault == "truncated" else data[:1024]
        self.wfile.write(part)
        self.wfile.flush()
        if double.fault == "stalled":
            double._stop.wait(120)  # until the server stops (or two minutes)
        self.close_connection = True

    def _send(self, status: int, data: bytes, headers: dict[str, str], body: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body and data:
            self.wfile.write(data)
