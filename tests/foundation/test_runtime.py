from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest
import torch

from segtutor import runtime


@pytest.fixture
def online(monkeypatch):
    """Pretend offline mode is not requested (the test session forces it on)."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def local_hub():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def silent_server():
    """A server that accepts connections and never answers: the check must still return in time."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_offline_env_var_makes_hub_unreachable_without_network(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    status = runtime.hub_status(endpoint="http://127.0.0.1:9")
    assert not status.reachable
    assert "HF_HUB_OFFLINE" in status.reason
    assert status.seconds < 0.1


@pytest.mark.parametrize(
    "value, expected", [("1", True), ("true", True), ("YES", True), ("0", False), ("", False)]
)
def test_offline_values_are_parsed_like_huggingface_hub(monkeypatch, value, expected):
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    assert runtime.hub_offline_requested() is expected


def test_answering_endpoint_is_reachable(online, local_hub):
    status = runtime.hub_status(endpoint=local_hub)
    assert status.reachable, status.reason


def test_refused_connection_is_unreachable_and_quick(online):
    with socket.socket() as sock:  # find a free port, then close it so connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    status = runtime.hub_status(endpoint=f"http://127.0.0.1:{port}")
    assert not status.reachable
    assert "cannot be reached" in status.reason


def test_silent_endpoint_gives_up_within_the_timeout(online, silent_server):
    start = time.perf_counter()
    status = runtime.hub_status(timeout=0.5, endpoint=silent_server)
    elapsed = time.perf_counter() - start
    assert not status.reachable
    assert elapsed < 1.0
    assert "did not answer within 0.5 s" in status.reason or "timed out" in status.reason


def test_choose_device_auto_returns_an_available_device():
    device = runtime.choose_device()
    assert torch.zeros(1, device=device).device.type == device.type


def test_choose_device_rejects_unknown_names():
    with pytest.raises(ValueError, match="one of 'auto', 'cpu', 'cuda', 'mps'"):
        runtime.choose_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_choose_device_explains_a_missing_gpu():
    with pytest.raises(ValueError, match="not available on this machine"):
        runtime.choose_device("cuda")


def test_in_colab_follows_the_environment(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delenv("COLAB_GPU", raising=False)
    assert runtime.in_colab() is False
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20261101")
    assert runtime.in_colab() is True


def test_versions_reports_installed_and_missing_packages():
    found = runtime.versions(("torch", "surely_not_a_package_segtutor"))
    assert found["torch"] == torch.__version__
    assert found["surely_not_a_package_segtutor"] == "not installed"
    assert found["python"].count(".") == 2


def test_device_summary_names_the_chosen_device():
    summary = runtime.device_summary()
    assert summary["chosen device"] == str(runtime.choose_device())
