"""``tools/instructions.py`` counts machine instructions under valgrind: the same run counts the same, and more
requests count more, by an amount per request that is plausible for an HTTP request handled in Python. Real
processes (the in-process tool under callgrind, its store seeded by ``ocpi-hub seed``); its refusals need no
valgrind."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest

needs_valgrind = pytest.mark.skipif(
    shutil.which("valgrind") is None, reason="valgrind is not installed (`make valgrind`)"
)

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("instructions_tool", ROOT / "tools" / "instructions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.e2e
@needs_valgrind
def test_the_same_run_counts_the_same_and_a_request_costs_a_plausible_count(tmp_path: Path) -> None:
    tool = _tool()
    tool.warm(ROOT, "bare", 10)
    first = tool.count(ROOT, "bare", 40, 10, tmp_path)
    again = tool.count(ROOT, "bare", 40, 10, tmp_path)
    more = tool.count(ROOT, "bare", 120, 10, tmp_path)
    assert abs(first - again) < first / 1000, (first, again)  # within a thousandth: what the tool's use rests on
    per_request = (more - first) / 80
    assert 20_000 < per_request < 2_000_000, per_request


def test_unknown_targets_and_a_baseline_without_the_tool_are_refused(tmp_path: Path, capsys) -> None:
    tool = _tool()
    with pytest.raises(SystemExit) as refused:
        tool.main(["floor"])
    assert refused.value.code == 2 and "unknown target(s): floor" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        tool.main(["--baseline", str(tmp_path)])
    assert refused.value.code == 2 and "no tools/inprocess_cpu.py there" in capsys.readouterr().err


@needs_valgrind  # main() refuses to start without it
def test_json_output_names_each_target_and_the_run_sizes(monkeypatch, capsys) -> None:
    """``--json`` is what ``make bench`` reads. Unit level: ``per_request`` is replaced by a stand-in that returns
    made-up counts, so only the output's shape is tested here (the counting itself is tested above)."""
    tool = _tool()
    made_up = {"tokens": 181_000.5, "bare": 139_000.25}
    monkeypatch.setattr(tool, "per_request", lambda checkout, target, requests, parties: made_up[target])
    assert tool.main(["--json", "--requests", "7", "--parties", "11"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1
    assert json.loads(printed[0]) == {"requests": 7, "parties": 11, "per_request": made_up}


def test_a_larger_run_that_counted_less_is_refused_not_reported(monkeypatch) -> None:
    """Unit level, with stand-ins for the warm run and the counting: a 3N run that counts no more than the N run
    (a source file compiled again between them) must not become a negative figure in a report."""
    tool = _tool()
    counts = iter([5_000_000_000, 4_900_000_000])
    monkeypatch.setattr(tool, "warm", lambda checkout, target, parties: None)
    monkeypatch.setattr(tool, "count", lambda checkout, target, requests, parties, folder: next(counts))
    with pytest.raises(RuntimeError, match="3000 requests counted 4,900,000,000, 1000 counted 5,000,000,000"):
        tool.per_request(ROOT, "tokens", 1000, 1000)
