"""``tools/renaming_party.py`` end to end, small: a real hub process, two real platforms, one renaming itself at each
PUT credentials while four bystander processes call; the tool must report each second and find the last name in
the other platform's GET credentials."""

from __future__ import annotations

import re

import pytest

from tests.support.processes import run_tool

pytestmark = pytest.mark.e2e


def _tool(*args: str) -> str:
    """``tools/renaming_party.py`` on 40 parties for 3 s with ``args``; its output (it must exit 0)."""
    done = run_tool("renaming_party.py", "--parties", "40", "--seconds", "3", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_renaming_party_tool_reports_each_second_and_the_last_name() -> None:
    stdout = _tool("--puts", "4")
    renamed = re.search(r"40 parties, (\d+) renaming PUT credentials in 3 s", stdout)
    assert renamed is not None and int(renamed.group(1)) >= 1, stdout
    seconds = re.search(r"in each second \(ms\): ([\d ]+)\n", stdout)
    # a second in which no bystander request started (a loaded CI machine) has no figure: at least one must
    assert seconds is not None and len(seconds.group(1).split()) >= 1, stdout
    assert re.search(r"median of those \d+ ms, largest \d+ ms", stdout), stdout
    assert f"lists NL/RNM as 'Renamed {renamed.group(1)}', its last name" in stdout


def test_the_tool_reads_credentials_instead_and_reports_the_answers() -> None:
    stdout = _tool("--read-credentials", "2")
    read = re.search(
        r"read (\d+) Credentials answers on 2 connections in [\d.]+ s \([\d.]+/s; p50 \d+ ms; failures 0\)", stdout
    )
    assert read is not None and int(read.group(1)) >= 1, stdout
    assert "40 parties, 0 renaming PUT credentials in 3 s" in stdout
    assert "lists NL/RNM as 'Renamed 0', its last name" in stdout
