from __future__ import annotations

from segtutor import setup_check
from segtutor.setup_check import Check


def test_all_required_checks_pass_in_the_test_environment():
    checks = setup_check.run_checks(hub_timeout=0.5)
    failed = [c.line() for c in checks if c.required and not c.ok]
    assert failed == []


def test_offline_hub_is_a_note_not_a_failure():
    hub = next(c for c in setup_check.run_checks(hub_timeout=0.5) if c.name == "Hugging Face Hub")
    assert hub.required is False and hub.ok is False  # the test session forces HF_HUB_OFFLINE=1
    green, message = setup_check.verdict([hub])
    assert green and "offline" in message


def test_a_failed_required_check_turns_the_verdict_red_and_names_it():
    green, message = setup_check.verdict([Check("torch", False, "not installed", "Run make install.")])
    assert not green
    assert message.startswith("RED") and "torch" in message


def test_failed_line_shows_the_fix():
    line = Check("Python", False, "3.8.0", "Install Python 3.10 or newer.").line()
    assert "[FAIL]" in line and "-> Install Python 3.10" in line


def test_timm_is_checked_and_found_in_the_test_environment():
    timm_check = next(c for c in setup_check.run_checks(hub_timeout=0.5) if c.name == "timm")
    assert timm_check.ok and timm_check.required


def test_missing_timm_fails_the_check_and_names_the_install_command(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "timm", None)  # makes `import timm` raise ImportError
    timm_check = next(c for c in setup_check.run_checks(hub_timeout=0.5) if c.name == "timm")
    assert not timm_check.ok and timm_check.required
    assert "pip install timm" in timm_check.fix and "DETR" in timm_check.fix
    green, message = setup_check.verdict([timm_check])
    assert not green and "timm" in message
