"""show(): one picture per figure in a notebook, none elsewhere, and pyplot lets go of the figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from segtutor.viz import show


@pytest.fixture
def displayed(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    return shown


def test_in_a_notebook_the_png_is_displayed_once_and_pyplot_forgets_the_figure(monkeypatch, displayed):
    monkeypatch.setattr("segtutor.viz.notebook_display.in_notebook", lambda: True)
    figure = plt.figure(figsize=(1, 1), dpi=20)
    figure.subplots().plot([0, 1])
    assert show(figure) is None
    assert len(displayed) == 1 and displayed[0].data.startswith(b"\x89PNG")
    assert not plt.fignum_exists(figure.number)


def test_outside_a_notebook_nothing_is_displayed(monkeypatch, displayed):
    monkeypatch.setattr("segtutor.viz.notebook_display.in_notebook", lambda: False)
    figure = plt.figure(figsize=(1, 1), dpi=20)
    show(figure)
    assert displayed == []
    assert not plt.fignum_exists(figure.number)


def test_an_axes_is_refused_with_the_fix():
    figure = plt.figure(figsize=(1, 1), dpi=20)
    with pytest.raises(TypeError, match=r"pass ax\.figure"):
        show(figure.subplots())
    plt.close(figure)
