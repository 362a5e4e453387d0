"""``segtutor-toyshapes``: bad arguments get a usage error; a folder is written whole, never mixed."""

from __future__ import annotations

import pytest

from segtutor.data import ToyShapesConfig, open_dataset, write_toyshapes
from segtutor.data.cli import main as cli_main

_SMALL = ["--train", "2", "--val", "1", "--size", "32"]


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--train", "-3", "must be at least 1"),
        ("--train", "0", "must be at least 1"),
        ("--val", "-1", "must be at least 0"),
        ("--max-things", "0", "must be at least 1"),
        ("--size", "8", "must be at least 16"),
        ("--seed", "-2", "must be at least 0"),
        ("--train", "two", "expected an integer"),
        ("--empty-fraction", "1.5", "between 0 and 1"),
        ("--empty-fraction", "nan", "between 0 and 1"),
    ],
)
def test_bad_argument_is_a_usage_error(tmp_path, capsys, flag, value, message):
    args = ["--out", str(tmp_path / "toy"), *_SMALL, flag, value]
    with pytest.raises(SystemExit) as info:
        cli_main(args)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: segtutor-toyshapes") and flag in err and message in err
    assert "Traceback" not in err and not (tmp_path / "toy").exists()


def test_regenerating_replaces_the_folder_whole(tmp_path):
    out = tmp_path / "toy"
    assert cli_main(["--out", str(out), "--train", "4", "--val", "2", "--size", "32"]) == 0
    stale = out / "images" / "train" / "train_00003.png"
    assert stale.is_file()
    (out / "annotations" / "notes.txt").write_text("left by hand")
    assert cli_main(["--out", str(out), *_SMALL]) == 0
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert not stale.exists() and "annotations/notes.txt" not in files
    assert len(files) == 1 + 3 * 3 + 4  # card, 3 images x 3 PNGs, 4 JSONs: nothing of the first run
    assert len(open_dataset(out, "train", "panoptic")) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["toy"]  # no staging folder left behind


def test_a_folder_that_is_not_toyshapes_is_refused_and_kept(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "holiday.jpg").write_bytes(b"precious")
    with pytest.raises(SystemExit) as info:
        cli_main(["--out", str(out), *_SMALL])
    assert info.value.code == 2 and "not a ToyShapes dataset" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["holiday.jpg"]
    assert (out / "holiday.jpg").read_bytes() == b"precious"


def test_an_empty_folder_is_filled(tmp_path):
    (tmp_path / "empty").mkdir()
    write_toyshapes(tmp_path / "empty", n_train=1, n_val=0, config=ToyShapesConfig(size=32))
    assert len(open_dataset(tmp_path / "empty", "train", "instance")) == 1
    assert len(open_dataset(tmp_path / "empty", "val", "semantic")) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_things", 0), ("empty_fraction", -0.1), ("noise_fraction", 2.0), ("noise_amplitude", 1),
     ("thing_weights", (1, 1)), ("thing_weights", (1, -1, 1)), ("thing_weights", (0, 0, 0))],
)
def test_config_refuses_values_the_generator_cannot_use(field, value):
    with pytest.raises(ValueError, match=field):
        ToyShapesConfig(**{field: value})


def test_write_toyshapes_refuses_negative_counts(tmp_path):
    with pytest.raises(ValueError, match="n_train"):
        write_toyshapes(tmp_path / "t", n_train=-3)
    assert not (tmp_path / "t").exists()


def _checks_section(card: str) -> str:
    start = card.index("## What the readers check")
    return card[start : card.index("\n## ", start + 1)]


def test_the_committed_data_card_lists_the_checks_the_generator_writes(toy_root):
    from segtutor.data import DEFAULT_TOYSHAPES_ROOT

    committed = (DEFAULT_TOYSHAPES_ROOT / "README.md").read_text(encoding="utf-8")
    written = (toy_root / "README.md").read_text(encoding="utf-8")
    assert _checks_section(committed) == _checks_section(written)
    assert "SEGTUTOR_MAX_IMAGE_PIXELS" in written and "isthing" in written


def test_a_link_to_a_toyshapes_folder_keeps_pointing_at_the_new_dataset(tmp_path):
    write_toyshapes(tmp_path / "real", n_train=3, n_val=0, config=ToyShapesConfig(size=32))
    (tmp_path / "link").symlink_to(tmp_path / "real")
    write_toyshapes(tmp_path / "link", n_train=1, n_val=0, config=ToyShapesConfig(size=32))
    assert (tmp_path / "link").is_symlink()
    assert sorted(p.name for p in (tmp_path / "real" / "images" / "train").iterdir()) == ["train_00000.png"]
