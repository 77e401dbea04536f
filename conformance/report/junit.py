"""JUnit XML: one testsuite per area, one testcase per scenario.

JUnit has no "warning": a SHOULD-level failure outside --strict is a passing testcase with the
finding in ``system-out`` and ``outcome=warn`` among its properties.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from conformance.model import Outcome, RunResult

__all__ = ("junit_xml", "junit_xml_combined")


def junit_xml(run: RunResult) -> str:
    root = _suites(run)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def junit_xml_combined(runs: list[RunResult]) -> str:
    """Every version's suites in one file, each suite named ``<version> <area>`` (one run per version)."""
    root = ET.Element("testsuites", name="ocpi-conformance")
    for key in ("tests", "failures", "skipped"):
        root.set(key, "0")
    total = 0.0
    for run in runs:
        one = _suites(run)
        for key in ("tests", "failures", "skipped"):
            root.set(key, str(int(root.get(key, "0")) + int(one.get(key, "0"))))
        total += float(one.get("time", "0"))
        for suite in one:
            suite.set("name", f"{run.version} {suite.get('name')}")
            for case in suite.iter("testcase"):
                case.set("classname", f"ocpi.{run.version}.{case.get('classname', '').removeprefix('ocpi.')}")
            root.append(suite)
    root.set("time", f"{total:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suites(run: RunResult) -> ET.Element:
    root = ET.Element("testsuites", name="ocpi-conformance")
    total = run.counts()
    root.set("tests", str(len(run.scenarios)))
    root.set("failures", str(total["fail"]))
    root.set("skipped", str(total["skip"]))
    root.set("time", f"{sum(s.duration for s in run.scenarios):.3f}")
    for area in run.areas():
        scenarios = [s for s in run.scenarios if s.area == area]
        c = run.counts(area)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=area,
            tests=str(len(scenarios)),
            failures=str(c["fail"]),
            errors="0",
            skipped=str(c["skip"]),
            timestamp=run.started,
            time=f"{sum(s.duration for s in scenarios):.3f}",
        )
        props = ET.SubElement(suite, "properties")
        for key, value in (
            ("target", run.target_name),
            ("versions_url", run.versions_url),
            ("ocpi_version", run.version),
            ("strict", str(run.strict).lower()),
            ("harness_version", run.harness_version),
        ):
            ET.SubElement(props, "property", name=key, value=value)
        for s in scenarios:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"ocpi.{area}",
                name=f"{s.id}: {s.title}",
                file=s.feature_file,
                line=str(s.line),
                time=f"{s.duration:.3f}",
            )
            cprops = ET.SubElement(case, "properties")
            ET.SubElement(cprops, "property", name="level", value=s.level.value.upper())
            ET.SubElement(cprops, "property", name="outcome", value=s.outcome.value)
            for spec in s.spec:
                ET.SubElement(cprops, "property", name="spec", value=spec)
            if s.outcome is Outcome.FAIL:
                failure = ET.SubElement(case, "failure", message=s.message[:500], type=s.level.value.upper())
                failure.text = s.details
            elif s.outcome is Outcome.SKIP:
                ET.SubElement(case, "skipped", message=s.message[:500])
            elif s.outcome is Outcome.WARN:
                out = ET.SubElement(case, "system-out")
                out.text = f"WARNING ({s.level.value.upper()} requirement not met): {s.message}\n\n{s.details}"
            if s.notes and s.outcome is not Outcome.WARN:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(s.notes)
    return root
