"""Report writers: terminal summary, JUnit XML, cucumber JSON, a self-contained HTML certificate, results.json.

All of them read one :class:`~conformance.model.RunResult`; ``results.json`` is that object, so
any report can be regenerated later with :func:`write_reports` after :func:`load_results`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from conformance.model import RunResult
from conformance.report.cucumber import cucumber_json
from conformance.report.html import html_index, html_report
from conformance.report.junit import junit_xml, junit_xml_combined
from conformance.report.terminal import summary_lines, summary_text

__all__ = (
    "cucumber_json",
    "html_report",
    "junit_xml",
    "load_results",
    "pretty_json",
    "summary_lines",
    "summary_text",
    "write_combined",
    "write_reports",
)

RESULTS = "results.json"
JUNIT = "junit.xml"
CUCUMBER = "cucumber.json"
HTML = "report.html"


def pretty_json(doc: Any) -> str:
    """``doc`` as indented JSON text, non-ASCII characters as they are. msgspec encodes and indents in C, where the
    standard library's encoder runs Python code whenever it indents."""
    return msgspec.json.format(msgspec.json.encode(doc), indent=2).decode("utf-8")


def write_reports(run: RunResult, directory: Path) -> list[Path]:
    """Write every report into ``directory`` (created if needed); returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    out = {
        RESULTS: pretty_json(run.to_dict()),
        JUNIT: junit_xml(run),
        CUCUMBER: pretty_json(cucumber_json(run)),
        HTML: html_report(run),
    }
    paths = []
    for name, text in out.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def write_combined(runs: list[RunResult], directory: Path, *, not_certified: Sequence[str] = ()) -> list[Path]:
    """A run of several versions: each version's reports are in ``<directory>/<version>/``; this writes beside them
    the verdict per version in every format (``results.json`` with a ``passes`` list, ``junit.xml`` with every
    version's suites, ``cucumber.json`` with every version's features, ``report.html`` linking to each report)."""
    directory.mkdir(parents=True, exist_ok=True)
    features = []
    for run in runs:
        for feature in cucumber_json(run):
            feature["name"] = f"[{run.version}] {feature.get('name', '')}"
            feature["uri"] = f"{run.version}/{feature.get('uri', '')}"
            features.append(feature)
    combined = {
        "versions": [run.version for run in runs],
        "verdicts": {run.version: run.verdict().value for run in runs},
        "exit_codes": {run.version: run.exit_code for run in runs},
        "root_causes": {
            run.version: [
                {
                    "scenario": c.scenario,
                    "outcome": c.outcome.value,
                    "message": c.message,
                    "explains": c.explains,
                    "endpoints": c.endpoints,
                }
                for c in run.root_causes()
            ]
            for run in runs
        },
        "not_certified": list(not_certified),
        "passes": [run.to_dict() for run in runs],
    }
    out = {
        RESULTS: pretty_json(combined),
        JUNIT: junit_xml_combined(runs),
        CUCUMBER: pretty_json(features),
        HTML: html_index(runs, list(not_certified)),
    }
    paths = []
    for name, text in out.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def load_results(path: Path) -> RunResult:
    """Read a results.json written by :func:`write_reports`."""
    return RunResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
