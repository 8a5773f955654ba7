"""SIGTERM during a command is handled as Ctrl-C is: clean stop, one line, status 143."""

from __future__ import annotations

import os
import signal

import pytest

from balr.cli import main as cli_main
from balr.cli.main import _guarded


def test_sigterm_gives_status_143_one_line_and_restores_the_handler(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cleaned: list[bool] = []

    def command() -> int:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            pytest.fail("SIGTERM did not stop the command")
        finally:
            cleaned.append(True)

    before = signal.getsignal(signal.SIGTERM)
    assert _guarded(command) == 143
    assert cleaned == [True]
    assert capsys.readouterr().err.strip().splitlines()[-1] == "balr: stopped by SIGTERM"
    assert signal.getsignal(signal.SIGTERM) == before


def test_ctrl_c_still_gives_status_130(capsys: pytest.CaptureFixture[str]) -> None:
    def command() -> int:
        raise KeyboardInterrupt

    assert _guarded(command) == 130
    assert capsys.readouterr().err.strip() == "balr: interrupted"


def test_ctrl_c_while_the_commands_import_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def importing() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main, "build_parser", importing)
    assert cli_main.main(["score", "test", "--help"]) == 130
    assert capsys.readouterr().err.strip() == "balr: interrupted"
