"""``tools/instructions.py`` counts machine instructions under valgrind: the same run counts the same, and more
requests count more, by an amount per request that is plausible for an HTTP request handled in Python. Real
processes (the in-process tool under callgrind, its store seeded by ``ocpi-hub seed``)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed (`make valgrind`)"),
]

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("instructions_tool", ROOT / "tools" / "instructions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
