"""LiveCurves.log: the training loop's records become curves."""

from __future__ import annotations

import pytest

from segtutor.viz import LiveCurves


def test_training_and_evaluation_records_become_curves():
    curves = LiveCurves(live=False)
    curves.log({"step": 5, "loss": 3.0, "lr": 1e-4, "elapsed_s": 1.2})
    curves.log({"step": 10, "loss": 2.5, "lr": 2e-4, "elapsed_s": 2.0})
    curves.log({"step": 10, "PQ": 0.25, "elapsed_s": 2.5})
    assert curves.history == {"loss": ([5, 10], [3.0, 2.5]), "PQ": ([10], [0.25])}


def test_skip_keeps_chosen_keys_out():
    curves = LiveCurves(live=False)
    curves.log({"step": 1, "loss": 1.0, "lr": 0.1}, skip=("step", "loss"))
    assert list(curves.history) == ["lr"]


def test_the_record_is_left_untouched():
    record = {"step": 3, "loss": 1.5, "lr": 0.01}
    LiveCurves(live=False).log(record)
    assert record == {"step": 3, "loss": 1.5, "lr": 0.01}


def test_a_record_without_step_is_explained():
    with pytest.raises(KeyError, match="needs a 'step' key"):
        LiveCurves(live=False).log({"loss": 1.0})
