"""Cucumber JSON (the format CI dashboards and living-documentation tools read).

Step statuses: passed, failed, skipped; a SHOULD/MAY failure that is only a warning is reported
as ``pending`` on its failing step, which cucumber tools show as "not done" and fail only in their
own strict mode: the same meaning as our warn.
"""

from __future__ import annotations

from typing import Any

from conformance.model import Outcome, RunResult

__all__ = ("cucumber_json",)


def _tags(s: Any) -> list[dict[str, Any]]:
    names = [f"@id.{s.id}", f"@{s.level.value}"] + [f"@spec.{x}" for x in s.spec]
    names += [f"@role.{r}" for r in s.roles] + [f"@checklist.{c}" for c in s.checklist]
    return [{"name": n, "line": s.line - 1} for n in names]


def cucumber_json(run: RunResult) -> list[dict[str, Any]]:
    features: dict[str, dict[str, Any]] = {}
    for s in run.scenarios:
        feature = features.setdefault(
            s.feature_file,
            {
                "uri": s.feature_file,
                "id": s.feature_file.replace("/", ";"),
                "keyword": "Feature",
                "name": s.feature,
                "description": "",
                "line": 1,
                "tags": [],
                "elements": [],
            },
        )
        steps: list[dict[str, Any]] = []
        for st in s.steps:
            status = st.status if st.status in ("passed", "failed", "skipped") else "skipped"
            if status == "failed" and s.outcome is Outcome.WARN:
                status = "pending"
            result: dict[str, Any] = {"status": status, "duration": int(st.duration * 1e9)}
            if st.status == "failed":
                result["error_message"] = s.details or st.error or s.message
            steps.append(
                {
                    "keyword": f"{st.keyword} ",
                    "name": st.text,
                    "line": s.line,
                    "match": {"location": f"conformance.steps:{st.text[:40]}"},
                    "result": result,
                }
            )
        if s.outcome is Outcome.SKIP and steps and all(x["result"]["status"] == "skipped" for x in steps):
            steps[0]["result"]["error_message"] = s.message
        feature["elements"].append(
            {
                "id": s.id,
                "keyword": "Scenario",
                "name": s.title,
                "line": s.line,
                "description": s.message if s.outcome is Outcome.SKIP else "",
                "type": "scenario",
                "tags": _tags(s),
                "steps": steps,
            }
        )
    return list(features.values())
