"""Steps of the versions module and of the token-encoding observation."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from pytest_bdd import then

from conformance import versions as ocpi_versions
from conformance.checks import judged
from conformance.checks.envelope import describe_answer, require_response
from conformance.model import Exchange, Finding
from conformance.session import HarnessSession
from conformance.steps.context import ScenarioContext

__all__ = ()

CORE_MODULES = frozenset(
    {
        "cdrs",
        "chargingprofiles",
        "commands",
        "credentials",
        "hubclientinfo",
        "locations",
        "sessions",
        "tariffs",
        "tokens",
    }
)
"""The nine modules of OCPI 2.2.1, all in 2.3.0 too."""

KNOWN_MODULES = {
    ocpi_versions.V230: CORE_MODULES | {"payments", "bookings", "invoicereconciliation"},
    ocpi_versions.V221: CORE_MODULES,
}
"""Module identifiers each version (with its add-ons) defines; others are custom modules, allowed (an open list)."""

NOT_IN_221 = frozenset({"payments", "bookings", "invoicereconciliation"})
"""Module identifiers of 2.3.0 and its add-ons: in 2.2.1 details they are only a custom module agreed bilaterally."""


def _absolute(url: Any) -> bool:
    if not isinstance(url, str) or len(url) > 255:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _last(ocpi_context: ScenarioContext) -> Exchange:
    if ocpi_context.exchange is None:
        pytest.skip("no response to judge")
    return ocpi_context.exchange


def _versions_exchange(ocpi_context: ScenarioContext) -> Exchange:
    for s in ocpi_context.sent:
        if s.name == "versions":
            return s.exchange
    return _last(ocpi_context)


def _details_exchange(ocpi_context: ScenarioContext) -> Exchange:
    for s in ocpi_context.sent:
        if s.name == "version details":
            return s.exchange
    return _last(ocpi_context)


@then("every version entry has a version and an absolute URL")
def version_entries(ocpi_context: ScenarioContext) -> None:
    ex = _versions_exchange(ocpi_context)
    judged("versions_entries", ex)
    bad = []
    for i, v in enumerate(ex.data or []):
        if not isinstance(v, dict) or not isinstance(v.get("version"), str) or not _absolute(v.get("url")):
            bad.append(f"data[{i}] = {v!r}")
    if not ex.data:
        bad.append("the list is empty")
    if bad:
        raise Finding(
            "the versions list has malformed entries",
            check="versions_entries",
            spec="version_information_endpoint.versions",
            expected="a non-empty list of {version, absolute url}",
            actual="; ".join(bad),
            exchanges=[ex],
        )


@then("the versions list includes the version under test")
def has_version(ocpi_context: ScenarioContext) -> None:
    ex = _versions_exchange(ocpi_context)
    judged("versions_offered", ex)
    wanted = ocpi_versions.current()
    versions = [v.get("version") for v in ex.data or [] if isinstance(v, dict)]
    if wanted not in versions:
        raise Finding(
            f"the versions list does not offer {wanted}",
            check="versions_offered",
            spec="version_information_endpoint.versions",
            expected=f'an entry with version "{wanted}"',
            actual=f"versions {versions}",
            exchanges=[ex],
        )
    others = [v for v in versions if v != wanted]
    if others:
        ocpi_context.note(f"the target also offers {', '.join(map(str, others))}")


@then("the details name the version under test")
def details_version(ocpi_context: ScenarioContext) -> None:
    ex = _details_exchange(ocpi_context)
    judged("details_version", ex)
    wanted = ocpi_versions.current()
    got = ex.data.get("version") if isinstance(ex.data, dict) else None
    if got != wanted:
        raise Finding(
            f"the {wanted} details name another version",
            check="details_version",
            spec="version_information_endpoint.details",
            expected=f'version "{wanted}"',
            actual=f"version {got!r}",
            exchanges=[ex],
        )


@then("every endpoint has an identifier, a role SENDER or RECEIVER and an absolute URL")
def details_endpoints(ocpi_context: ScenarioContext) -> None:
    ex = _details_exchange(ocpi_context)
    judged("details_endpoints", ex)
    eps = ex.data.get("endpoints") if isinstance(ex.data, dict) else None
    if not isinstance(eps, list) or not eps:
        raise Finding(
            "the details list no endpoints",
            check="details_endpoints",
            spec="version_information_endpoint.details",
            expected="a non-empty endpoints list",
            actual=repr(eps),
            exchanges=[ex],
        )
    bad = []
    unknown = []
    for i, ep in enumerate(eps):
        if not isinstance(ep, dict):
            bad.append(f"endpoints[{i}] is not an object")
            continue
        ident = ep.get("identifier")
        if not isinstance(ident, str) or not ident:
            bad.append(f"endpoints[{i}].identifier {ident!r} is not a module identifier")
        elif ident not in KNOWN_MODULES[ocpi_versions.current()]:
            unknown.append(ident)
        if ep.get("role") not in ("SENDER", "RECEIVER"):
            bad.append(f"endpoints[{i}].role {ep.get('role')!r} is not SENDER or RECEIVER")
        if not _absolute(ep.get("url")):
            bad.append(f"endpoints[{i}].url {ep.get('url')!r} is not an absolute URL")
    listed = sorted({f"{e.get('identifier')} {e.get('role')}" for e in eps if isinstance(e, dict)})
    ocpi_context.note("advertised: " + ", ".join(listed))
    if unknown:
        ocpi_context.note(
            f"module identifiers not defined by OCPI {ocpi_versions.current()} (allowed, open list): "
            + ", ".join(unknown)
        )
    if bad:
        raise Finding(
            "the details list malformed endpoints",
            check="details_endpoints",
            spec="version_information_endpoint.details",
            expected="identifier, role SENDER|RECEIVER, absolute url",
            actual="; ".join(bad),
            exchanges=[ex],
        )


@then("the credentials module is listed")
def credentials_listed(ocpi_context: ScenarioContext) -> None:
    """Credentials is the one module every platform implements, in every version."""
    ex = _details_exchange(ocpi_context)
    judged("details_credentials", ex)
    eps = ex.data.get("endpoints") if isinstance(ex.data, dict) else []
    if not any(isinstance(e, dict) and e.get("identifier") == "credentials" for e in eps or []):
        raise Finding(
            f"the {ocpi_versions.current()} details list no credentials endpoint",
            check="details_credentials",
            spec="version_information_endpoint.details",
            expected="an endpoint with identifier credentials",
            actual="identifiers: " + ", ".join(str(e.get("identifier")) for e in eps or [] if isinstance(e, dict)),
            exchanges=[ex],
        )


@then("every module interface and the credentials module are listed once")
def listed_once(ocpi_context: ScenarioContext) -> None:
    ex = _details_exchange(ocpi_context)
    judged("details_listed_once", ex)
    eps = [e for e in (ex.data.get("endpoints") if isinstance(ex.data, dict) else None) or [] if isinstance(e, dict)]
    seen: dict[str, list[str]] = {}
    for e in eps:
        ident = str(e.get("identifier"))
        key = ident if ident == "credentials" else f"{ident} {e.get('role')}"
        seen.setdefault(key, []).append(str(e.get("url")))
    twice = {k: v for k, v in seen.items() if len(v) > 1}
    if twice:
        raise Finding(
            f"the {ocpi_versions.current()} details list a module interface more than once",
            check="details_listed_once",
            spec="version_information_endpoint.details",
            expected="each (module, role) once; credentials once whatever its role",
            actual="; ".join(f"{k} listed {len(v)} times ({', '.join(v)})" for k, v in twice.items()),
            exchanges=[ex],
        )


@then("the harness notes whether the unencoded token was accepted")
def note_raw(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    ex = _last(ocpi_context)
    require_response(ex)
    accepted = ex.status is not None and 200 <= ex.status < 300  # served (a wrong status_code is judged elsewhere)
    if accepted:
        text = "the target also accepts an unencoded token (Token <token>), a 2.1.1/2.2 tolerance"
    elif ex.status in (401, 403):
        text = f"the target refuses an unencoded token (HTTP {ex.status}); it requires base64, as 2.3.0 says"
    else:  # a rate limit, a server error: this answer says nothing about the encoding
        pytest.skip(f"the answer to the unencoded token tells nothing about its encoding ({describe_answer(ex)})")
    judged("raw_token_observed", ex)
    ocpi_context.note(text)
    harness.observations.append(text)


@then("no module of a later version is listed")
def no_later_modules(ocpi_context: ScenarioContext) -> None:
    """2.2.1 details name the nine 2.2.1 modules (and custom ones); Payments, Bookings and Invoice Reconciliation
    came with 2.3.0: listed in 2.2.1 details they are 2.3.0 leaking into the 2.2.1 side."""
    ex = _details_exchange(ocpi_context)
    judged("details_no_later_modules", ex)
    eps = [e for e in (ex.data.get("endpoints") if isinstance(ex.data, dict) else None) or [] if isinstance(e, dict)]
    later = sorted({str(e.get("identifier")) for e in eps if e.get("identifier") in NOT_IN_221})
    if later:
        raise Finding(
            "the 2.2.1 details list modules that 2.2.1 does not have",
            check="details_no_later_modules",
            spec="version_information_endpoint.details",
            expected="the nine 2.2.1 modules (and custom modules agreed bilaterally)",
            actual=f"also listed: {', '.join(later)}",
            exchanges=[ex],
        )
