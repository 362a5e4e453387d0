"""LiveCurves.log: the training loop's records become curves."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

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


def test_moving_average_starts_at_the_first_value_and_follows_the_series():
    from segtutor.viz.curves import exponential_moving_average

    assert exponential_moving_average([4.0, 4.0, 4.0], 0.8) == pytest.approx([4.0, 4.0, 4.0])
    smoothed = exponential_moving_average([10.0, 0.0], 0.5)
    assert smoothed == pytest.approx([10.0, 10.0 / 3])  # debiased: (0.25*10 + 0.5*0) / 0.75
    assert exponential_moving_average([1.0, 3.0], 0.0) == [1.0, 3.0]


def test_smoothed_loss_is_drawn_beside_the_raw_one_and_the_axis_starts_at_zero():
    curves = LiveCurves(live=False, smoothing=0.8, y_from_zero=True)
    for step, (loss, pq) in enumerate([(10.0, 50.0), (8.0, 55.0), (9.0, 58.0)], start=1):
        curves.update(step, loss=loss, **{"val PQ (%)": pq})
    figure = curves._draw(Figure())
    loss_axes, metric_axes = figure.axes
    labels = [line.get_label() for line in loss_axes.lines]
    assert labels == ["loss (raw)", "loss, smoothed (EMA 0.8)"]
    assert [line.get_label() for line in metric_axes.lines] == ["val PQ (%)"]  # metrics are not smoothed
    assert loss_axes.get_ylim()[0] == 0 and metric_axes.get_ylim()[0] == 0


@pytest.mark.parametrize("smoothing", [-0.1, 1.0])
def test_smoothing_outside_zero_to_one_is_refused(smoothing):
    with pytest.raises(ValueError, match="smoothing must be in"):
        LiveCurves(live=False, smoothing=smoothing)
