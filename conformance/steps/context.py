"""Per-scenario state shared by the steps, and the helpers that turn check results into verdicts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.checks import run_check
from conformance.model import Blocked, Exchange, Finding, NotJudged
from conformance.oracle import Operation
from conformance.session import Handshake, HarnessSession

__all__ = ("FindingGroup", "ScenarioContext", "Sent", "collect_findings")


@dataclass
class Sent:
    """One request a When step made and what it was for."""

    name: str
    """Which endpoint, in words (``versions``, ``hubclientinfo (SENDER)``, ...)."""
    exchange: Exchange
    module: str | None = None
    operation: Operation | None = None


class FindingGroup(Finding):
    """Several findings from one Then step (e.g. one per endpoint)."""

    def __init__(self, findings: list[Finding], total: int) -> None:
        first = findings[0].message
        summary = first if len(findings) == 1 else f"{len(findings)} of {total} checked: {first} (and more)"
        super().__init__(
            summary,
            check=findings[0].check,
            spec=findings[0].spec,
            exchanges=[e for f in findings for e in f.exchanges],
        )
        self.findings = findings

    def render(self, *, redact: bool = True) -> str:
        if len(self.findings) == 1:
            return self.findings[0].render(redact=redact)
        parts = [f"{len(self.findings)} findings:"]
        for i, f in enumerate(self.findings, 1):
            parts.append(f"\n--- finding {i} ---\n{f.render(redact=redact)}")
        return "\n".join(parts)


def collect_findings(
    items: Iterable[Any], judge: Callable[[Any], None], name: Callable[[Any], str], notes: list[str] | None = None
) -> None:
    """Run ``judge`` on each item; raise one FindingGroup naming every item that failed.

    An item whose answer cannot be judged here (:class:`Blocked`, e.g. a redirect; :class:`NotJudged`, no answer at
    all) is left out and noted; when no item could be judged at all, the first one is raised, so the scenario is
    skipped naming the owner or the cause.
    """
    findings: list[Finding] = []
    blocked: list[Blocked | NotJudged] = []
    count = 0
    for item in items:
        count += 1
        try:
            judge(item)
        except (Blocked, NotJudged) as b:
            blocked.append(b)
            if notes is not None:
                notes.append(f"{name(item)} not judged: {b}")
            continue
        except FindingGroup as group:
            for f in group.findings:
                f.message = f"{name(item)}: {f.message}"
                f.endpoint = f.endpoint or name(item)
            findings.extend(group.findings)
        except Finding as f:
            f.message = f"{name(item)}: {f.message}"
            f.endpoint = f.endpoint or name(item)
            findings.append(f)
    if findings:
        raise FindingGroup(findings, count - len(blocked))
    if blocked and len(blocked) == count:
        first = blocked[0]
        more = f" (and {count - 1} more endpoint(s) alike)" if count > 1 else ""
        if isinstance(first, NotJudged):
            raise NotJudged(first.reason + more)
        raise Blocked(first.reason + more, first.owner)


@dataclass
class ScenarioContext:
    """What one scenario has done so far."""

    harness: HarnessSession
    scenario: str = ""
    """The scenario's id."""
    sent: list[Sent] = field(default_factory=list)
    handshake: Handshake | None = None
    exchange: Exchange | None = None
    notes: list[str] = field(default_factory=list)
    evidence: list[Exchange] = field(default_factory=list)
    """Exchanges made before this scenario that it judges (e.g. a registration made once per run)."""
    per_endpoint: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Pagination steps: endpoint name -> what the When step gathered (or ``{"skip": reason}``)."""
    objects: dict[str, Any] = field(default_factory=dict)
    """Module steps: what the scenario wrote and read (the acting identity, URLs, bodies, answers)."""

    def use_handshake(self, hs: Handshake) -> None:
        """Judge ``hs`` in this scenario; its request and callbacks become part of the scenario's evidence."""
        self.handshake = hs
        self.exchange = hs.exchange
        for ex in (hs.exchange, *hs.callbacks):
            if all(ex is not e for e in self.evidence):
                self.evidence.append(ex)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def require_sent(self) -> list[Sent]:
        if not self.sent:
            pytest.skip("no request was made (nothing the target advertises applies)")
        return self.sent

    def check_each(self, check_name: str, **options: Any) -> None:
        """Apply a registered check to every request of this scenario."""
        collect_findings(
            self.require_sent(), lambda s: run_check(check_name, s.exchange, **options), lambda s: s.name, self.notes
        )
