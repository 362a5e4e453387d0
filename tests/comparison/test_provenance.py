"""measurement_context: the sentence that goes with stored latency tables."""

from __future__ import annotations

import json

import pytest

from segtutor.comparison.provenance import measurement_context

DOCUMENT = {
    "command": "python -m segtutor.comparison.build_data --threads 1",
    "created": "2026-01-02T03:04:05+00:00",
    "versions": {"torch": "2.9.0", "transformers": "5.1.0"},
    "machine": {"platform": "Linux-6.1-x86_64", "cpu_count": 4, "threads": 1},
    "tables": {},
}


def _write(tmp_path, document):
    path = tmp_path / "architectures.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_sentence_names_date_machine_threads_versions_and_command(tmp_path):
    text = measurement_context(_write(tmp_path, DOCUMENT))
    assert text == (
        "Stored numbers: measured on 2026-01-02 on Linux-6.1-x86_64 (4 CPU cores, 1 torch thread) with "
        "torch 2.9.0, transformers 5.1.0, by `python -m segtutor.comparison.build_data --threads 1`."
    )


def test_plural_threads_and_missing_command(tmp_path):
    document = dict(DOCUMENT, machine=dict(DOCUMENT["machine"], threads=2))
    del document["command"]
    text = measurement_context(_write(tmp_path, document))
    assert "(4 CPU cores, 2 torch threads)" in text and "by `" not in text


@pytest.mark.parametrize("field", ["created", "machine", "versions"])
def test_missing_field_is_named_with_the_fix(tmp_path, field):
    document = {k: v for k, v in DOCUMENT.items() if k != field}
    with pytest.raises(ValueError, match=f"missing field '{field}'.*build_data"):
        measurement_context(_write(tmp_path, document))


def test_missing_file_says_how_to_create_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="build_data"):
        measurement_context(tmp_path / "nope.json")


def test_the_file_is_not_modified(tmp_path):
    path = _write(tmp_path, DOCUMENT)
    before = path.read_bytes()
    measurement_context(path)
    assert path.read_bytes() == before
