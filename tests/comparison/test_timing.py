"""time_call: warm-up calls are not timed, the median is reported, bad arguments are refused."""

from __future__ import annotations

import time

import pytest

from segtutor.comparison import Timing, time_call


def test_calls_warmup_plus_repeats_times():
    calls = []
    timing = time_call(lambda: calls.append(1), repeats=4, warmup=2)
    assert len(calls) == 6
    assert timing.repeats == 4 and timing.device == "cpu"


def test_warmup_is_not_timed_and_median_ignores_one_outlier():
    durations = iter([0.05, 0.0, 0.0, 0.03, 0.0])  # first call (warm-up) slow, one slow timed call

    def work():
        time.sleep(next(durations))

    timing = time_call(work, repeats=4, warmup=1)
    assert timing.median_s < 0.01
    assert timing.max_s >= 0.03
    assert timing.min_s <= timing.median_s <= timing.max_s


def test_str_gives_milliseconds_and_count():
    timing = Timing(median_s=0.0123, min_s=0.01, max_s=0.02, repeats=5, device="cpu")
    assert str(timing) == "12.3 ms (median of 5)"
    assert timing.median_ms == pytest.approx(12.3)


@pytest.mark.parametrize(("repeats", "warmup"), [(0, 1), (3, -1)])
def test_bad_counts_are_refused(repeats, warmup):
    with pytest.raises(ValueError, match="repeats >= 1"):
        time_call(lambda: None, repeats=repeats, warmup=warmup)
