"""fine_tuning_checks / fine_tuning_summary: claims and sentences computed from the scores."""

from __future__ import annotations

import pytest

from segtutor.metrics.result import EvaluationResult
from segtutor.training.outcome import Check, fine_tuning_checks, fine_tuning_summary


def _result(pq: float, per_class: dict[str, float]) -> EvaluationResult:
    rows = [{"id": i, "name": name, "isthing": True, "PQ": value}
            for i, (name, value) in enumerate(per_class.items())]
    return EvaluationResult(model="m", tasks=("panoptic",), num_images=4, metrics={"PQ": pq}, per_class=rows)


BEFORE = _result(0.60, {"circle": 0.60, "square": 0.65, "star": 0.0})
HISTORY = [{"step": 5, "loss": 10.0}, {"step": 10, "loss": 9.0}, {"step": 15, "loss": 8.0}]


def _lines(after, history=HISTORY, **options):
    checks = fine_tuning_checks(BEFORE, after, history, new_classes=["star"], **options)
    return [check.line() for check in checks]


def test_a_run_that_learned_the_new_class_meets_every_check():
    after = _result(0.70, {"circle": 0.62, "square": 0.60, "star": 0.45})
    assert _lines(after) == [
        "✓ the training loss fell (the last logged steps average below the first)",
        "✓ overall PQ is higher after training than before",
        "✓ star (new class): PQ rose from 0 to at least 40%",
    ]


def test_a_new_class_below_the_floor_is_marked_failed():
    after = _result(0.61, {"circle": 0.62, "square": 0.60, "star": 0.39})
    assert _lines(after)[2] == "✗ star (new class): PQ rose from 0 to at least 40%"


def test_a_rising_loss_and_a_falling_score_are_marked_failed():
    after = _result(0.59, {"circle": 0.6, "square": 0.6, "star": 0.5})
    lines = _lines(after, history=list(reversed(HISTORY)))
    assert lines[0].startswith("✗ the training loss fell") and lines[1].startswith("✗ overall PQ")


def test_the_new_class_check_can_read_another_score():
    rows = [{"id": 0, "name": "star", "isthing": True, "PQ": 0.0, "IoU": 0.0}]
    before = EvaluationResult(model="m", tasks=("panoptic", "semantic"), num_images=4,
                              metrics={"PQ": 0.5}, per_class=rows)
    after = EvaluationResult(model="m", tasks=("panoptic", "semantic"), num_images=4, metrics={"PQ": 0.5},
                             per_class=[{**rows[0], "IoU": 0.12}])
    lines = [c.line() for c in fine_tuning_checks(before, after, HISTORY, new_classes=["star"],
                                                  new_class_floor=0.0, new_class_key="IoU")]
    assert lines[2] == "✓ star (new class): IoU rose above 0"
    pq_only = fine_tuning_checks(before, after, HISTORY, new_classes=["star"], new_class_floor=0.0)
    assert not pq_only[2].holds  # PQ stayed 0: the default key would mark it failed
    with pytest.raises(ValueError, match="new_class_key must be one of"):
        fine_tuning_checks(before, after, HISTORY, new_classes=["star"], new_class_key="Dice")


def test_the_floor_is_a_parameter():
    after = _result(0.61, {"circle": 0.62, "square": 0.60, "star": 0.25})
    assert _lines(after, new_class_floor=0.2)[2] == "✓ star (new class): PQ rose from 0 to at least 20%"


@pytest.mark.parametrize(
    ("history", "new_classes", "metric", "message"),
    [
        (HISTORY, ["hexagon"], "PQ", "not among the scored classes"),
        (HISTORY, ["star"], "AP", "metric must be one of"),
    ],
)
def test_unusable_inputs_are_refused_with_a_reason(history, new_classes, metric, message):
    after = _result(0.7, {"circle": 0.6, "square": 0.6, "star": 0.5})
    with pytest.raises(ValueError, match=message):
        fine_tuning_checks(BEFORE, after, history, new_classes=new_classes, metric=metric)


def test_too_short_a_history_cannot_show_a_falling_loss():
    after = _result(0.7, {"circle": 0.6, "square": 0.6, "star": 0.5})
    assert _lines(after, history=HISTORY[:1])[0] == (
        "✗ the training loss fell (cannot tell from 1 logged record: train for more steps or log more often)"
    )


def test_floor_zero_and_a_tolerance_for_the_overall_score():
    after = _result(0.59, {"circle": 0.6, "square": 0.6, "star": 0.05})
    lines = _lines(after, new_class_floor=0.0, overall_tolerance=0.02)
    assert lines[1] == "✓ overall PQ did not fall by more than 2 points"
    assert lines[2] == "✓ star (new class): PQ rose above 0"
    assert _lines(_result(0.57, {"circle": 0.6, "square": 0.6, "star": 0.0}), new_class_floor=0.0,
                  overall_tolerance=0.02)[1:] == [
        "✗ overall PQ did not fall by more than 2 points",
        "✗ star (new class): PQ rose above 0",
    ]


def test_check_line_marks():
    assert Check("x", True).line() == "✓ x" and Check("x", False).line() == "✗ x"


def test_summary_sentences_follow_the_numbers():
    after = _result(0.70, {"circle": 0.62, "square": 0.55, "star": 0.45})
    text = fine_tuning_summary(BEFORE, after, new_classes=["star"], steps=120)
    assert "After 120 steps, PQ over all classes rose from 60.0 % to 70.0 %." in text
    assert "**star** went from PQ 0.0 % to 45.0 % (the model has learned it)" in text
    assert "circle rose most (+2.0 points) and square fell most (-10.0 points)." in text


def test_summary_says_when_the_new_class_is_not_learned_and_the_score_fell():
    after = _result(0.58, {"circle": 0.62, "square": 0.55, "star": 0.1})
    text = fine_tuning_summary(BEFORE, after, new_classes=["star"], steps=4)
    assert "fell from 60.0 % to 58.0 %" in text and "0.0 % to 10.0 % (partly learned)" in text


def test_summary_never_calls_a_rise_a_fall():
    after = _result(0.65, {"circle": 0.62, "square": 0.66, "star": 0.0})
    text = fine_tuning_summary(BEFORE, after, new_classes=["star"], steps=4)
    assert "(not learned yet)" in text
    assert "Every class the checkpoint knew kept or raised its score; circle (+2.0 points) rose most." in text
    assert "fell" not in text


def test_a_run_record_reads_back_what_was_written(tmp_path):
    from segtutor.training.outcome import read_run_record, write_run_record

    after = _result(0.7, {"circle": 0.6, "square": float("nan"), "star": 0.5})
    path = write_run_record(
        tmp_path / "runs" / "long.json", command="papermill 03.ipynb out.ipynb -p steps 900",
        parameters={"steps": 900}, before=BEFORE, after=after, history=HISTORY,
        evaluations=[{"step": 900, "val PQ (%)": 70.0}], seconds=12.34,
    )
    record, before, read_after = read_run_record(path)
    assert record["command"].endswith("-p steps 900") and record["seconds"] == 12.3
    assert before["PQ"] == pytest.approx(0.6) and read_after["PQ"] == pytest.approx(0.7)
    assert [row["name"] for row in read_after.per_class] == ["circle", "square", "star"]
    assert record["after"]["per_class"][1]["PQ"] is None  # NaN is written as null, valid JSON
    assert fine_tuning_checks(before, read_after, record["history"], new_classes=["star"])[2].holds


def test_a_missing_run_record_is_named(tmp_path):
    from segtutor.training.outcome import read_run_record

    with pytest.raises(FileNotFoundError, match=r"nope\.json"):
        read_run_record(tmp_path / "nope.json")
