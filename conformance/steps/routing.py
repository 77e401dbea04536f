"""Steps for hub routing: what the harness's other identity actually received from the hub.

The harness plays two parties at a hub (a CPO and an eMSP identity, each registered on its own, each with its own
peer). A write the CPO identity addresses to the hub itself is a broadcast push; the hub delivers it, later and on
its own schedule, to the eMSP identity's peer, which records the request as it arrived. These steps wait for that
delivery (up to the run's timeout) and judge it; each rule is one scenario, and a scenario that cannot find the
delivery stands aside naming ``routing.broadcast-delivered``.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import pytest
from pytest_bdd import then

from conformance.checks._registry import judged
from conformance.model import Blocked, Exchange, Finding
from conformance.steps.context import ScenarioContext
from conformance.steps.objects import _undeliverable

__all__ = ()

_SPEC = "transport_and_format.message_routing"


def _delivery(ctx: ScenarioContext) -> Exchange | None:
    """The request the eMSP identity's peer received for the object this scenario wrote (waits up to the timeout)."""
    o = ctx.objects
    if "delivery" in o:
        return o["delivery"]
    emsp = ctx.harness.as_role("EMSP")
    if emsp is None:
        pytest.skip("target.toml gives no eMSP identity to receive the broadcast")
    answer: Exchange = o["answer"]
    _undeliverable(ctx, answer)
    if answer.status is None or not 200 <= answer.status < 300:  # (a 2xx with a wrong status_code is judged elsewhere)
        owner = "sessions.receiver-put-get" if o["kind"] == "Session" else "locations.receiver-put-get"
        raise Blocked(f"the hub did not take the {o['kind']} (HTTP {answer.status})", owner)
    cc, pid = o["body"]["country_code"], o["body"]["party_id"]
    suffix = f"/{cc}/{pid}/{o['id']}"
    arrived = emsp.received(
        lambda e: e.method == "PUT" and urlsplit(e.url).path.endswith(suffix),
        until=time.monotonic() + ctx.harness.config.timeout,
    )
    found = arrived[0] if arrived else None
    o["delivery"] = found
    if found is not None and all(found is not e for e in ctx.evidence):
        ctx.evidence.append(found)
    hs = emsp.registration
    if found is None and hs is not None and hs.ok and not hs.callbacks:
        raise Blocked(
            "nothing reached the harness's eMSP identity: the hub never fetched its endpoints when it registered",
            "credentials.registration-callback",
        )
    return found


def _require_delivery(ctx: ScenarioContext) -> Exchange:
    found = _delivery(ctx)
    if found is None:
        owner = "routing.direct-delivered" if "to" in ctx.objects else "routing.broadcast-delivered"
        raise Blocked("the request never reached the harness's eMSP identity", owner)
    return found


@then("the hub forwards the PUT to the harness's eMSP identity and relays its answer, routing headers swapped")
def direct_delivered(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    answer: Exchange = o["answer"]
    if answer.status is not None and 300 <= answer.status < 400:
        raise Blocked("the hub answered with a redirect", "transport.no-redirects")
    found = _delivery(ocpi_context)
    judged("direct_delivered", answer)
    cpo = (o["body"]["country_code"], o["body"]["party_id"])
    to = o["to"]
    if found is None:
        raise Finding(
            f"a Session addressed to {to[0]}/{to[1]} through the hub never reached that party",
            check="direct_delivered",
            spec=_SPEC,
            expected=f"a PUT of .../{cpo[0]}/{cpo[1]}/{o['id']} at the eMSP identity",
            actual=f"nothing arrived; the hub answered {answer.status}, status_code {answer.ocpi_status}",
            exchanges=[answer],
        )
    checks = [
        (found, "OCPI-to-country-code", to[0], "forwarded request"),
        (found, "OCPI-to-party-id", to[1], "forwarded request"),
        (found, "OCPI-from-country-code", cpo[0], "forwarded request"),
        (found, "OCPI-from-party-id", cpo[1], "forwarded request"),
    ]
    wrong = [
        f"{where}: {h} {ex.request_header(h)} (expected {v})"
        for ex, h, v, where in checks
        if (ex.request_header(h) or "").upper() != v.upper()
    ]
    relayed = [("OCPI-to-country-code", cpo[0]), ("OCPI-to-party-id", cpo[1])]
    relayed += [("OCPI-from-country-code", to[0]), ("OCPI-from-party-id", to[1])]
    wrong += [
        f"relayed answer: {h} {answer.header(h)} (expected {v})"
        for h, v in relayed
        if (answer.header(h) or "").upper() != v.upper()
    ]
    if wrong:
        raise Finding(
            "a request routed through the hub did not keep TO and FROM (or its answer did not swap them back)",
            check="direct_delivered",
            spec=_SPEC,
            expected=f"forwarded: TO {to[0]}/{to[1]}, FROM {cpo[0]}/{cpo[1]}; answer: TO {cpo[0]}/{cpo[1]}, "
            f"FROM {to[0]}/{to[1]}",
            actual="; ".join(wrong),
            exchanges=[answer, found],
        )


@then("the hub delivers the same PUT to the harness's eMSP identity, from the hub, at the owner's URL")
def delivered(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    found = _delivery(ocpi_context)
    hub = ocpi_context.harness.target_party()
    emsp = ocpi_context.harness.as_role("EMSP")
    assert emsp is not None
    judged("broadcast_delivered", o["answer"])
    if found is None:
        raise Finding(
            "a Location pushed to the hub (OCPI-to = the hub) never reached the harness's other party",
            check="broadcast_delivered",
            spec=_SPEC,
            expected=f"a PUT of .../{o['body']['country_code']}/{o['body']['party_id']}/{o['id']} at the eMSP identity "
            f"within {ocpi_context.harness.config.timeout:g}s",
            actual="nothing arrived",
            exchanges=[o["answer"]],
        )
    want = {
        "OCPI-from-country-code": hub[0] if hub else None,
        "OCPI-from-party-id": hub[1] if hub else None,
        "OCPI-to-country-code": emsp.config.party.country_code,
        "OCPI-to-party-id": emsp.config.party.party_id,
    }
    wrong = [
        f"{k}: {found.request_header(k)} (expected {v})"
        for k, v in want.items()
        if v is not None and (found.request_header(k) or "").upper() != v.upper()
    ]
    if wrong:
        raise Finding(
            "the broadcast did not come FROM the hub TO the receiving party",
            check="broadcast_delivered",
            spec=_SPEC,
            expected="; ".join(f"{k}: {v}" for k, v in want.items()),
            actual="; ".join(wrong),
            exchanges=[o["answer"], found],
        )


@then("the delivered request has a new X-Request-ID")
def new_request_id(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    found = _require_delivery(ocpi_context)
    sent, got = o["answer"].request_header("X-Request-ID"), found.request_header("X-Request-ID")
    judged("forward_new_request_id", found)
    if not got or got == sent or got == o["answer"].request_header("X-Correlation-ID"):
        raise Finding(
            "the hub forwarded the request without a new X-Request-ID",
            check="forward_new_request_id",
            spec="transport_and_format.unique_message_ids",
            expected=f"an X-Request-ID other than the requester's ({sent}) and its correlation id",
            actual=f"X-Request-ID: {got}" if got else "no X-Request-ID",
            exchanges=[o["answer"], found],
        )


@then("the delivered request keeps the requester's X-Correlation-ID")
def keeps_correlation(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    found = _require_delivery(ocpi_context)
    sent, got = o["answer"].request_header("X-Correlation-ID"), found.request_header("X-Correlation-ID")
    judged("forward_keeps_correlation_id", found)
    if got != sent:
        raise Finding(
            "the hub did not keep the requester's X-Correlation-ID on the forwarded request",
            check="forward_keeps_correlation_id",
            spec="transport_and_format.unique_message_ids",
            expected=f"X-Correlation-ID: {sent}",
            actual=f"X-Correlation-ID: {got}" if got else "no X-Correlation-ID",
            exchanges=[o["answer"], found],
        )


@then("the delivered object carries the last_updated the CPO sent")
def last_updated_kept(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    found = _require_delivery(ocpi_context)
    try:
        body = json.loads(found.request_body or "null")
    except ValueError:
        body = None
    got = body.get("last_updated") if isinstance(body, dict) else None
    judged("forward_keeps_last_updated", found)
    if not isinstance(got, str) or got[:19] != o["body"]["last_updated"][:19]:
        raise Finding(
            "the hub changed last_updated on the object it forwarded",
            check="forward_keeps_last_updated",
            spec=_SPEC,
            expected=f"last_updated {o['body']['last_updated']}",
            actual=f"last_updated {got}",
            exchanges=[o["answer"], found],
        )
