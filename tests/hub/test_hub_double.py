"""The Hub double answers like the Hub: what huggingface_hub and segtutor's probe rely on."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from segtutor.models.registry import CHECKPOINTS
from segtutor.runtime import hub_status

REPO = "facebook/mask2former-swin-tiny-coco-panoptic"


def _request(url: str, method: str = "GET"):
    request = urllib.request.Request(url, method=method)
    try:
        return urllib.request.urlopen(request, timeout=5)
    except urllib.error.HTTPError as err:
        return err


def test_every_registry_id_is_served_with_its_three_files(hub):
    for entry in CHECKPOINTS:
        info = json.load(_request(f"{hub.endpoint}/api/models/{entry.hub_id}"))
        names = {s["rfilename"] for s in info["siblings"]}
        assert {"config.json", "preprocessor_config.json", "model.safetensors"} <= names, entry.hub_id


def test_small_files_carry_etag_commit_and_length(hub):
    response = _request(f"{hub.endpoint}/{REPO}/resolve/main/config.json", "HEAD")
    assert response.status == 200
    assert response.headers["ETag"] and response.headers["X-Repo-Commit"]
    assert int(response.headers["Content-Length"]) == len(hub.repos[REPO]["config.json"])


def test_weights_are_redirected_to_another_host_with_linked_headers(hub):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(f"{hub.endpoint}/{REPO}/resolve/main/model.safetensors", method="HEAD")
    with pytest.raises(urllib.error.HTTPError) as info:
        opener.open(request, timeout=5)
    headers = info.value.headers
    assert info.value.code == 302 and headers["Location"].startswith("http://localhost:")
    assert int(headers["X-Linked-Size"]) == len(hub.repos[REPO]["model.safetensors"])
    assert headers["X-Linked-Etag"].strip('"') and headers["X-Repo-Commit"]


def test_missing_file_is_an_entry_not_found(hub):
    response = _request(f"{hub.endpoint}/{REPO}/resolve/main/model.safetensors.index.json", "HEAD")
    assert response.code == 404 and response.headers["X-Error-Code"] == "EntryNotFound"


def test_configs_keep_the_official_label_maps(hub):
    panoptic = json.loads(hub.repos[REPO]["config.json"])
    assert len(panoptic["id2label"]) == 133 and panoptic["id2label"]["0"] == "person"
    detr = json.loads(hub.repos["facebook/detr-resnet-50-panoptic"]["config.json"])
    assert detr["id2label"]["183"] == "N/A" and detr["id2label"]["1"] == "person"


def test_probe_sees_the_double_and_the_slow_probe_fault(online_hub):
    assert hub_status(timeout=2.0).reachable
    online_hub.set_fault("slow-probe")
    status = hub_status(timeout=0.5)
    assert not status.reachable and status.seconds < 1.5
