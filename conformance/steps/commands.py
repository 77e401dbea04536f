"""Steps for Commands and ChargingProfiles: a request answered at once, its result POSTed later to a response_url.

The harness plays the eMSP: it sends a command (or a charging-profile request) to the target's Receiver with a
``response_url`` on its eMSP identity's peer, judges the synchronous answer (a CommandResponse or a
ChargingProfileResponse) and waits, up to the announced ``timeout`` bounded by the run's timeout, for the result to
arrive at that URL.

Against a pure CPO (roles without HUB) the target itself posts the result. Against a hub the request is addressed to
the harness's own CPO identity (``OCPI-to-*``); that identity's peer answers ACCEPTED, and the harness, as that CPO,
POSTs the result to the ``response_url`` the peer received (the hub's own URL), with TO = the eMSP identity, FROM =
the CPO identity and the command's X-Correlation-ID. What the eMSP identity's peer then receives is the hub's doing.
A hub that passes the eMSP's own URL through instead (a design the spec leaves open) cannot be judged here: the
harness's CPO identity holds no credentials for its eMSP identity, as a real CPO behind a hub would not.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from pytest_bdd import then, when

from conformance import objects as ob
from conformance.checks import run_check
from conformance.checks._registry import judged
from conformance.checks.envelope import describe_answer, require_response
from conformance.checks.shape import one_object
from conformance.model import Blocked, Exchange, Finding
from conformance.oracle import get_oracle
from conformance.plan import Plays, check_needs
from conformance.session import HarnessSession
from conformance.steps.context import ScenarioContext, collect_findings
from conformance.steps.objects import _actor, _new_id
from conformance.urls import endpoint_url

__all__ = ()

_CMD_SPEC = "mod_commands.receiver"
_CP_SPEC = "mod_chargingprofiles.receiver"
_ROUTING = "transport_and_format.message_routing"
_DELIVERED = "commands.result-delivered"
_NOT_REACHED = "the request never reached the harness's CPO identity"
_SETTLE = 1.0
"""Seconds the harness keeps listening after a result arrived, to see whether another one follows."""

_RESULT_SCHEMA = {
    "commands": "CommandResult",
    "GET": "ActiveChargingProfileResult",
    "PUT": "ChargingProfileResult",
    "DELETE": "ClearProfileResult",
}


@dataclass
class AsyncRequest:
    """One request whose result comes later, and what became of it."""

    module: str
    kind: str
    """The command type, or GET / PUT / DELETE for a charging-profile request."""
    ref: str
    response_url: str
    """The eMSP identity's own URL, as sent."""
    correlation_id: str
    answer: Exchange
    forwarded: Exchange | None = None
    """Hub: the request as the harness's CPO identity received it."""
    result_body: dict[str, Any] | None = None
    """Hub: the result the harness posted as the CPO."""
    result_post: Exchange | None = None
    posted_at: float = field(default_factory=time.monotonic)
    skip: str | None = None
    """Why no result can be expected or judged (a refusal, a response_url passed through)."""
    marker: str = ""
    """Hub: what identifies the forwarded request at the CPO identity's peer (in its URL or body)."""
    sent_at: float = 0.0

    @property
    def accepted(self) -> bool:
        data = one_object(self.answer, quiet=True)
        return (
            self.answer.status is not None
            and 200 <= self.answer.status < 300
            and self.answer.ocpi_status == 1000
            and isinstance(data, dict)
            and data.get("result") == "ACCEPTED"
        )

    @property
    def timeout(self) -> float | None:
        data = one_object(self.answer, quiet=True)
        t = data.get("timeout") if isinstance(data, dict) else None
        return float(t) if isinstance(t, int | float) and not isinstance(t, bool) and t > 0 else None


# -- who plays what ------------------------------------------------------------------------------------------------


def _is_hub(harness: HarnessSession) -> bool:
    return "HUB" in harness.config.roles


def _cpo(ctx: ScenarioContext) -> HarnessSession | None:
    """Against a hub: the harness's CPO identity, registered (the scenario is skipped without one)."""
    harness = ctx.harness
    if not _is_hub(harness):
        return None
    module = _actor(ctx).module
    reason = check_needs(harness, (Plays("CPO", module, "SENDER"),))
    if reason:
        pytest.skip(f"against a hub the harness's CPO identity receives the request and posts its result: {reason}")
    cpo = harness.as_role("CPO")
    assert cpo is not None
    return cpo


def _party(session: HarnessSession) -> tuple[str, str]:
    return session.config.party.country_code, session.config.party.party_id


def _send(
    ctx: ScenarioContext,
    module: str,
    kind: str,
    method: str,
    url: str,
    *,
    body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
    ref: str,
    response_url: str,
    marker: str,
) -> AsyncRequest:
    """Send one request as the eMSP identity (to the harness's CPO identity through a hub)."""
    actor = _actor(ctx)
    cpo = _cpo(ctx)
    headers = actor.session.routing_headers(module, "RECEIVER")
    if cpo is not None:
        headers["OCPI-to-country-code"], headers["OCPI-to-party-id"] = _party(cpo)
    correlation_id = str(uuid.uuid4())
    sent_at = time.monotonic()
    ex = actor.session.client.request(
        method,
        url,
        token=actor.session.token,
        json_body=body,
        params=params,
        headers=headers,
        correlation_id=correlation_id,
        label=f"{module} {kind} {ref}",
    )
    req = AsyncRequest(module, kind, ref, response_url, correlation_id, ex, marker=marker, sent_at=sent_at)
    ctx.objects.setdefault("requests", []).append(req)
    if cpo is not None:
        _play_cpo(ctx, cpo, req)
    return req


def _request_body(ex: Exchange) -> Any:
    try:
        return json.loads(ex.request_body or "null")
    except ValueError:
        return None


def _result_for(req: AsyncRequest) -> dict[str, Any]:
    """The result the harness's CPO identity posts (a text naming the request, so its arrival is recognisable)."""
    text = {"language": "en", "text": f"conformance harness result {req.ref}"}
    if req.module == "commands":
        return {"result": "ACCEPTED", "message": [text]}
    if req.kind == "GET":
        profile = {"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0, "limit": 11000.0}]}
        return {"result": "ACCEPTED", "profile": {"start_date_time": ob.now(), "charging_profile": profile}}
    return {"result": "ACCEPTED"}


def _play_cpo(ctx: ScenarioContext, cpo: HarnessSession, req: AsyncRequest) -> None:
    """Hub: find the request at the CPO identity's peer and post the result to the response_url it carried."""
    answer = req.answer
    if answer.status is not None:
        require_response(answer)  # a redirect stands aside, naming transport.no-redirects
    method = "POST" if req.module == "commands" else req.kind

    def match(e: Exchange) -> bool:
        return e.method == method and e.started >= req.sent_at and req.marker in (e.request_body or "") + e.url

    # The CPO identity's peer answers ACCEPTED to everything: any other answer is the hub's own (nothing was
    # forwarded), so only an ACCEPTED one is worth waiting for; the forward itself came before that answer.
    deadline = time.monotonic() + (5.0 if req.accepted else 0.5)
    arrived = cpo.received(match, until=deadline)
    hs = cpo.registration
    if not arrived:
        if hs is not None and hs.ok and not hs.callbacks:
            raise Blocked(
                "the hub could not reach the harness's CPO identity: it never fetched that identity's endpoints when "
                "it registered",
                "credentials.registration-callback",
            )
        req.skip = _NOT_REACHED
        return
    req.forwarded = arrived[0]
    ctx.evidence.append(arrived[0])
    if not req.accepted:
        req.skip = f"the hub did not relay the CPO identity's ACCEPTED ({describe_answer(answer)})"
        return
    if req.module == "commands":
        sent = _request_body(arrived[0])
        url = sent.get("response_url") if isinstance(sent, dict) else None
    else:
        from urllib.parse import parse_qs

        query = parse_qs(urlsplit(arrived[0].url).query).get("response_url", [])
        sent = _request_body(arrived[0])
        url = query[0] if query else (sent.get("response_url") if isinstance(sent, dict) else None)
    if not isinstance(url, str) or not url:
        req.skip = "the request the hub forwarded carries no response_url"
        return
    if url == req.response_url:
        req.skip = (
            "the hub passed the eMSP's own response_url through (a design the spec leaves to the hub); the "
            "harness's CPO identity holds no credentials for its eMSP identity, so it cannot post the result there"
        )
        return
    headers = cpo.routing_headers(req.module)
    emsp = _actor(ctx).session
    headers["OCPI-to-country-code"], headers["OCPI-to-party-id"] = _party(emsp)
    req.result_body = _result_for(req)
    req.posted_at = time.monotonic()
    req.result_post = cpo.client.request(
        "POST",
        url,
        token=cpo.token,
        json_body=req.result_body,
        headers=headers,
        correlation_id=req.correlation_id,
        label=f"as the CPO: the {req.kind} result to the hub's response_url",
    )


# -- what arrived at the eMSP identity's response_url ---------------------------------------------------------------


def _arrivals(ctx: ScenarioContext, req: AsyncRequest, deadline: float) -> list[Exchange]:
    """What arrived at the request's response_url, waiting (until ``deadline``) for the result itself."""
    path = urlsplit(req.response_url).path
    emsp = _actor(ctx).session
    return emsp.received(
        lambda e: e.method == "POST" and urlsplit(e.url).path == path,
        until=deadline,
        done=lambda found: _the_result(req, found) is not None,
    )


def _wait_deadline(ctx: ScenarioContext, req: AsyncRequest) -> float:
    """The announced timeout after the result could first be sent, bounded by the run's timeout."""
    limit = ctx.harness.config.timeout
    announced = req.timeout
    return req.posted_at + (min(announced, limit) if announced is not None else limit)


def _the_result(req: AsyncRequest, arrived: list[Exchange]) -> Exchange | None:
    """The arrival that is the result: the one the harness posted (hub), else the first."""
    if req.result_body is None:
        return arrived[0] if arrived else None
    return next((e for e in arrived if _request_body(e) == req.result_body), None)


def _no_result(req: AsyncRequest) -> str | None:
    """Why no result of ``req`` can be judged (raises Blocked when another scenario owns the cause); None when one is
    due."""
    if req.answer.status is not None:
        require_response(req.answer)  # a redirect stands aside, naming transport.no-redirects
    if (req.result_body is None and req.forwarded is not None and not req.accepted) or req.skip == _NOT_REACHED:
        # the harness's CPO identity answered ACCEPTED (or never got the request): what the hub answered instead is
        # judged by the scenario about the synchronous answers
        raise Blocked(req.skip or "the hub did not relay the CPO identity's ACCEPTED", _responses_owner(req))
    if req.skip:
        return req.skip
    if not req.accepted:
        return f"the target did not accept the {req.kind} ({describe_answer(req.answer)}): no result is expected"
    return None


def _judged_request(ctx: ScenarioContext) -> AsyncRequest:
    """The scenario's request whose result is judged (its first), skipped with the reason when none can come."""
    reqs: list[AsyncRequest] = ctx.objects.get("requests", [])
    if not reqs:
        pytest.skip("no request was sent")
    why = _no_result(reqs[0])
    if why:
        pytest.skip(why)
    return reqs[0]


def _delivery(ctx: ScenarioContext) -> tuple[AsyncRequest, Exchange | None, list[Exchange]]:
    o = ctx.objects
    if "delivery" not in o:
        req = _judged_request(ctx)
        arrived = _arrivals(ctx, req, _wait_deadline(ctx, req))
        found = _the_result(req, arrived)
        o["delivery"] = (req, found, arrived)
        for e in arrived:
            if all(e is not x for x in ctx.evidence):
                ctx.evidence.append(e)
    result: tuple[AsyncRequest, Exchange | None, list[Exchange]] = o["delivery"]
    return result


def _require_result(ctx: ScenarioContext) -> tuple[AsyncRequest, Exchange]:
    req, found, _ = _delivery(ctx)
    if found is None:
        raise Blocked("the result never reached the harness's eMSP identity", _owner(req))
    return req, found


def _responses_owner(req: AsyncRequest) -> str:
    return "commands.command-responses" if req.module == "commands" else "chargingprofiles.responses"


def _owner(req: AsyncRequest) -> str:
    return _DELIVERED if req.module == "commands" else "chargingprofiles.results-delivered"


# ## When ----------------------------------------------------------------------------------------


def _command_fields(ctx: ScenarioContext, kind: str, ref: str, reservation: str) -> dict[str, Any] | None:
    """The body of a ``kind`` command (without response_url); None when the harness cannot build one here."""
    actor = _actor(ctx)
    emsp_cc, emsp_pid = actor.party
    token = ob.token(emsp_cc, emsp_pid, f"{ref}TOK", updated=ob.now(-60))
    if _is_hub(ctx.harness):
        location, evse, connector = f"{ref}LOC", f"{ref}EVSE", "1"
    else:
        found = _a_location_of_the_target(ctx)
        if found is None:
            return None
        location, evse, connector = found
    session_id = f"{ref}SES"
    bodies: dict[str, dict[str, Any]] = {
        "START_SESSION": {
            "token": token,
            "location_id": location,
            "evse_uid": evse,
            "authorization_reference": ref,
        },
        "STOP_SESSION": {"session_id": session_id},
        "RESERVE_NOW": {
            "token": token,
            "expiry_date": ob.now(900),
            "reservation_id": reservation,
            "location_id": location,
            "evse_uid": evse,
        },
        "CANCEL_RESERVATION": {"reservation_id": reservation},
        "UNLOCK_CONNECTOR": {"location_id": location, "evse_uid": evse, "connector_id": connector},
    }
    return bodies[kind]


def _a_location_of_the_target(ctx: ScenarioContext) -> tuple[str, str, str] | None:
    """A pure CPO: the first Location with an EVSE and a connector its locations Sender lists (cached); a Location
    of one of the harness's own identities (a platform that also receives Locations may list them) is not the
    target's."""
    o = ctx.objects
    if "location" in o:
        found: tuple[str, str, str] | None = o["location"]
        return found
    emsp = _actor(ctx).session
    url = ctx.harness.discover().url("locations", "SENDER")
    found = None
    if url is not None:
        ex = emsp.client.request(
            "GET",
            url,
            token=emsp.token,
            params={"limit": "10"},
            headers=emsp.routing_headers("locations"),
            label="GET a Location of the target to command",
        )
        own = {(i.party.country_code, i.party.party_id) for i in ctx.harness.config.identities}
        listed = [
            loc
            for loc in (ex.data if isinstance(ex.data, list) else [])
            if not (isinstance(loc, dict) and (str(loc.get("country_code")), str(loc.get("party_id"))) in own)
        ]
        for loc in listed:
            evses = loc.get("evses") if isinstance(loc, dict) else None
            if isinstance(loc, dict) and isinstance(loc.get("id"), str) and evses and evses[0].get("connectors"):
                found = (loc["id"], str(evses[0].get("uid")), str(evses[0]["connectors"][0].get("id")))
                break
    o["location"] = found
    return found


def _command(ctx: ScenarioContext, kind: str, reservation: str = "") -> AsyncRequest | None:
    actor = _actor(ctx)
    ref = _new_id(actor, "Command")
    fields = _command_fields(ctx, kind, ref, reservation or f"{ref}RES")
    if fields is None:
        ctx.note(f"{kind} not sent: the target's locations Sender lists no Location with an EVSE and a connector")
        return None
    response_url = actor.session.peer.response_url("commands", kind, ref)
    body = {"response_url": response_url, **fields}
    url = endpoint_url(actor.url, kind)
    # how the forwarded request is recognised at the CPO identity's peer: a hub replaces the response_url (which
    # carries ``ref``), so a CANCEL_RESERVATION is known by the reservation it names
    marker = fields.get("reservation_id", ref) if kind == "CANCEL_RESERVATION" else ref
    return _send(ctx, "commands", kind, "POST", url, body=body, ref=ref, response_url=response_url, marker=marker)


def _stop_started(ctx: ScenarioContext, req: AsyncRequest) -> None:
    """A pure CPO that accepted a START_SESSION: stop the session it reports for the harness's authorization
    reference at the end of the run."""
    actor = _actor(ctx)
    session = actor.session

    def stop() -> Exchange | None:
        held = [
            v
            for v in session.peer.state.objects.values()
            if isinstance(v, dict) and v.get("authorization_reference") == req.ref and isinstance(v.get("id"), str)
        ]
        if not held:
            session.observations.append(
                f"START_SESSION {req.ref} was accepted; the target reported no session for it, so none was stopped"
            )
            return None
        url = session.peer.response_url("commands", "STOP_SESSION", req.ref + "CLEANUP")
        return session.client.request(
            "POST",
            endpoint_url(actor.url, "STOP_SESSION"),
            token=session.token,
            json_body={"response_url": url, "session_id": held[0]["id"]},
            headers=session.routing_headers("commands", "RECEIVER"),
            label="clean-up: stop the session the harness started",
        )

    session.on_cleanup(f"the session of START_SESSION {req.ref} looked for, and stopped when reported", stop)


def _cancel_at_cleanup(ctx: ScenarioContext, reserve: AsyncRequest, reservation: str) -> None:
    """A reservation the scenario's CANCEL_RESERVATION did not end: cancel it again at the end of the run (else it
    ends at its expiry_date, 15 minutes after it was made)."""
    actor = _actor(ctx)
    session = actor.session
    headers = session.routing_headers("commands", "RECEIVER")
    cpo = session.config.identity_for("CPO") if _is_hub(ctx.harness) else None
    if cpo is not None:
        headers["OCPI-to-country-code"], headers["OCPI-to-party-id"] = cpo.party.country_code, cpo.party.party_id
    body = {
        "response_url": session.peer.response_url("commands", "CANCEL_RESERVATION", reserve.ref + "CLEANUP"),
        "reservation_id": reservation,
    }
    session.on_cleanup(
        f"reservation {reservation} cancelled",
        lambda: session.client.request(
            "POST",
            endpoint_url(actor.url, "CANCEL_RESERVATION"),
            token=session.token,
            json_body=body,
            headers=headers,
            label="clean-up: cancel the reservation the harness made",
        ),
    )


@when("the harness as eMSP sends a START_SESSION with its own response_url")
def send_start_session(ocpi_context: ScenarioContext) -> None:
    req = _command(ocpi_context, "START_SESSION")
    if req is None:
        pytest.skip("the harness knows no Location of the target to start a session at")
    if not _is_hub(ocpi_context.harness) and req.accepted:
        _stop_started(ocpi_context, req)


@when("the harness as eMSP sends each command type it can build with its own response_url")
def send_each_command(ocpi_context: ScenarioContext) -> None:
    hub = _is_hub(ocpi_context.harness)
    kinds = ["START_SESSION", "STOP_SESSION", "RESERVE_NOW", "CANCEL_RESERVATION"]
    if hub:
        kinds.append("UNLOCK_CONNECTOR")
    else:
        ocpi_context.note(
            "UNLOCK_CONNECTOR is not sent to a CPO: it acts on a physical connector and is for operators only"
        )
    reservation = _new_id(_actor(ocpi_context), "Reservation")  # RESERVE_NOW makes it, CANCEL_RESERVATION ends it
    sent = {kind: _command(ocpi_context, kind, reservation) for kind in kinds}
    start = sent.get("START_SESSION")
    if not hub and start is not None and start.accepted:
        _stop_started(ocpi_context, start)
    reserve, cancel = sent.get("RESERVE_NOW"), sent.get("CANCEL_RESERVATION")
    if reserve is not None and reserve.accepted and (cancel is None or not cancel.accepted):
        ocpi_context.note("the reservation the harness made was not cancelled yet: the clean-up asks again")
        _cancel_at_cleanup(ocpi_context, reserve, reservation)
    if not any(sent.values()):
        pytest.skip("the harness could build no command for this target")


@when("the harness as eMSP sends a command about a Location the target does not know")
def send_unknown_location(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    ref = _new_id(actor, "Command")
    cc, pid = actor.party
    url = actor.session.peer.response_url("commands", "START_SESSION", ref)
    body = {
        "response_url": url,
        "token": ob.token(cc, pid, f"{ref}TOK", updated=ob.now(-60)),
        "location_id": f"{ref}NOWHERE",
    }
    ocpi_context.objects["unknown"] = actor.send(
        "POST", endpoint_url(actor.url, "START_SESSION"), body, label="START_SESSION at an unknown Location"
    )


@when("the harness as eMSP sends a STOP_SESSION for a session the target does not know")
def send_unknown_session(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    ref = _new_id(actor, "Command")
    url = actor.session.peer.response_url("commands", "STOP_SESSION", ref)
    body = {"response_url": url, "session_id": f"{ref}NOSESSION"}
    ocpi_context.objects["unknown"] = actor.send(
        "POST", endpoint_url(actor.url, "STOP_SESSION"), body, label="STOP_SESSION of an unknown session"
    )


@when("the harness as eMSP asks for the active profile, sets a profile and clears it, each with its own response_url")
def send_profile_requests(ocpi_context: ScenarioContext) -> None:
    if not _is_hub(ocpi_context.harness):
        pytest.skip(
            "a charging profile is set on a session the eMSP's own token started; the harness has no such session "
            "at a CPO target"
        )
    actor = _actor(ocpi_context)
    base = _new_id(actor, "Profile")
    session_id = f"{base}SES"
    url = endpoint_url(actor.url, session_id)
    profile = {
        "charging_rate_unit": "W",
        "min_charging_rate": 1400.0,
        "charging_profile_period": [{"start_period": 0, "limit": 7400.0}, {"start_period": 900, "limit": 3700.0}],
    }
    for method in ("GET", "PUT", "DELETE"):
        ref = f"{base}{method[0]}"
        response_url = actor.session.peer.response_url("chargingprofiles", method, ref)
        if method == "PUT":
            body: dict[str, Any] | None = {"charging_profile": profile, "response_url": response_url}
            params = None
        else:
            body = None
            params = {"response_url": response_url, **({"duration": "900"} if method == "GET" else {})}
        _send(
            ocpi_context,
            "chargingprofiles",
            method,
            method,
            url,
            body=body,
            params=params,
            ref=ref,
            response_url=response_url,
            marker=session_id,
        )


# ## Then ----------------------------------------------------------------------------------------


def _suffix(req: AsyncRequest) -> str:
    return "/{command}" if req.module == "commands" else "/{session_id}"


def _judge_answer(req: AsyncRequest) -> None:
    """The synchronous answer: HTTP 200, status_code 1000 and the response object, per openapi.yaml."""
    ex = req.answer
    require_response(ex)  # (a redirect stands aside there, naming transport.no-redirects)
    what = "CommandResponse" if req.module == "commands" else "ChargingProfileResponse"
    spec = _CMD_SPEC if req.module == "commands" else _CP_SPEC
    judged("async_response", ex)
    data = one_object(ex)
    # a refusal may come with an error status_code (2003 for an unknown location); an ACCEPTED needs a success one
    accepted_as_error = data is not None and data.get("result") == "ACCEPTED" and ex.ocpi_status != 1000
    if ex.status != 200 or ex.ocpi_status is None or data is None or accepted_as_error:
        raise Finding(
            f"the {req.kind} was not answered with a {what}",
            check="async_response",
            spec=spec,
            expected=f"HTTP 200 with a {what} in data (result, timeout); status_code 1000 when it is ACCEPTED",
            actual=describe_answer(ex) + (f", data {str(ex.data)[:120]}" if ex.data is not None else ", no data"),
            exchanges=[ex],
        )
    method = "POST" if req.module == "commands" else req.kind
    run_check("response_schema", ex, operation=get_oracle().find(req.module, "RECEIVER", method, _suffix(req)))


@then("every answer is a CommandResponse that matches openapi.yaml")
@then("every answer is a ChargingProfileResponse that matches openapi.yaml")
def answers_are_responses(ocpi_context: ScenarioContext) -> None:
    reqs: list[AsyncRequest] = ocpi_context.objects.get("requests", [])
    if not reqs:
        pytest.skip("no request was sent")
    for r in reqs:
        if r.skip and r.forwarded is None:
            ocpi_context.note(f"{r.kind}: {r.skip}")
    collect_findings(reqs, _judge_answer, lambda r: f"{r.module} {r.kind}", ocpi_context.notes)


def _judge_delivered(ctx: ScenarioContext, req: AsyncRequest) -> None:
    arrived = _arrivals(ctx, req, _wait_deadline(ctx, req))
    found = _the_result(req, arrived)
    for e in arrived:
        if all(e is not x for x in ctx.evidence):
            ctx.evidence.append(e)
    evidence = [req.answer, *([req.result_post] if req.result_post else [])]
    judged("result_delivered", req.answer)
    schema = _RESULT_SCHEMA["commands" if req.module == "commands" else req.kind]
    hub = req.result_body is not None
    if found is None:
        waited = time.monotonic() - req.posted_at
        posted = f" (the harness, as the CPO, posted {json.dumps(req.result_body)})" if hub else ""
        raise Finding(
            f"the {schema} of the {req.kind} never reached the response_url{posted}",
            check="result_delivered",
            spec=_ROUTING if hub else (_CMD_SPEC if req.module == "commands" else _CP_SPEC),
            expected=f"a POST of the {schema} at {req.response_url}",
            actual=f"after {waited:.1f}s: "
            + (f"{len(arrived)} other request(s) arrived there" if arrived else "nothing arrived"),
            exchanges=evidence + arrived,
        )
    body = _request_body(found)
    errors = get_oracle().validate_component(schema, body)
    if errors:
        raise Finding(
            f"what arrived at the response_url is not a {schema}",
            check="result_delivered",
            spec="openapi",
            expected=f"a {schema}",
            actual="; ".join(errors)[:400],
            exchanges=[found],
        )


@then("the CommandResult arrives at that response_url within the announced timeout")
def result_delivered(ocpi_context: ScenarioContext) -> None:
    req = _judged_request(ocpi_context)
    _judge_delivered(ocpi_context, req)


@then("each result arrives at its response_url within the announced timeout")
def results_delivered(ocpi_context: ScenarioContext) -> None:
    reqs: list[AsyncRequest] = ocpi_context.objects.get("requests", [])
    if not reqs:
        pytest.skip("no request was sent")
    waiting = []
    for r in reqs:
        why = _no_result(r)
        if why:
            ocpi_context.note(f"{r.kind} not judged: {why}")
        else:
            waiting.append(r)
    if not waiting:
        pytest.skip(f"no result to wait for: {ocpi_context.notes[-1]}")
    collect_findings(waiting, lambda r: _judge_delivered(ocpi_context, r), lambda r: f"{r.module} {r.kind}")


@then("the result arrives with the eMSP as TO and the CPO as FROM")
def result_routing(ocpi_context: ScenarioContext) -> None:
    req, found = _require_result(ocpi_context)
    emsp = _actor(ocpi_context).session
    cpo = ocpi_context.harness.as_role("CPO") if req.result_body is not None else None
    sender = _party(cpo) if cpo is not None else ocpi_context.harness.target_party("commands", "RECEIVER")
    want = {
        "OCPI-to-country-code": emsp.config.party.country_code,
        "OCPI-to-party-id": emsp.config.party.party_id,
        "OCPI-from-country-code": sender[0] if sender else None,
        "OCPI-from-party-id": sender[1] if sender else None,
    }
    judged("result_routing_headers", found)
    wrong = [
        f"{k}: {found.request_header(k)} (expected {v})"
        for k, v in want.items()
        if (v is not None and (found.request_header(k) or "").upper() != v.upper()) or not found.request_header(k)
    ]
    if wrong:
        raise Finding(
            "the result did not come addressed TO the eMSP that sent the command, FROM the CPO that executed it",
            check="result_routing_headers",
            spec=_ROUTING,
            expected="; ".join(f"{k}: {v}" for k, v in want.items() if v),
            actual="; ".join(wrong),
            exchanges=[x for x in (req.result_post, found) if x is not None],
        )


@then("the result keeps the command's X-Correlation-ID")
def result_correlation(ocpi_context: ScenarioContext) -> None:
    req, found = _require_result(ocpi_context)
    got = found.request_header("X-Correlation-ID")
    judged("result_keeps_correlation_id", found)
    if got != req.correlation_id:
        raise Finding(
            "the result the hub delivered does not carry the X-Correlation-ID of the command and of the result the "
            "CPO posted",
            check="result_keeps_correlation_id",
            spec="transport_and_format.unique_message_ids",
            expected=f"X-Correlation-ID: {req.correlation_id}",
            actual=f"X-Correlation-ID: {got}" if got else "no X-Correlation-ID",
            exchanges=[x for x in (req.answer, req.result_post, found) if x is not None],
        )


@then("nothing but that one result arrives at the response_url")
def result_once(ocpi_context: ScenarioContext) -> None:
    req, found = _require_result(ocpi_context)
    time.sleep(max(0.0, _SETTLE - (time.monotonic() - found.finished)))
    arrived = _arrivals(ocpi_context, req, 0)
    for e in arrived:
        if all(e is not x for x in ocpi_context.evidence):
            ocpi_context.evidence.append(e)
    judged("result_once", found)
    others = [e for e in arrived if e is not found]
    if others:
        bodies = "; ".join((e.request_body or "")[:160] for e in others)
        what = "the result the CPO posted" if req.result_body is not None else "the first result"
        raise Finding(
            f"{len(arrived)} requests arrived at the response_url of one {req.kind}, not only {what}",
            check="result_once",
            spec=_ROUTING if req.result_body is not None else _CMD_SPEC,
            expected=f"one POST: {found.request_body}",
            actual=f"also: {bodies}",
            exchanges=[x for x in (req.answer, req.result_post) if x is not None] + arrived,
        )


@then("the answer is status_code 2003 with a CommandResponse REJECTED")
def unknown_location_answer(ocpi_context: ScenarioContext) -> None:
    ex: Exchange = ocpi_context.objects["unknown"]
    require_response(ex)  # (a redirect stands aside there, naming transport.no-redirects)
    data = one_object(ex) or {}
    judged("unknown_location_2003", ex)
    if ex.ocpi_status != 2003 or data.get("result") != "REJECTED":
        raise Finding(
            "a command about a Location the CPO does not know was not answered 2003 with REJECTED",
            check="unknown_location_2003",
            spec=_CMD_SPEC,
            expected="status_code 2003, data.result REJECTED",
            actual=describe_answer(ex) + f", data.result {data.get('result')}",
            exchanges=[ex],
        )


@then("the answer is a CommandResponse UNKNOWN_SESSION")
def unknown_session_answer(ocpi_context: ScenarioContext) -> None:
    ex: Exchange = ocpi_context.objects["unknown"]
    require_response(ex)  # (a redirect stands aside there, naming transport.no-redirects)
    data = one_object(ex) or {}
    judged("unknown_session", ex)
    if data.get("result") != "UNKNOWN_SESSION":
        raise Finding(
            "a STOP_SESSION for a session the CPO does not know was not answered UNKNOWN_SESSION",
            check="unknown_session",
            spec=_CMD_SPEC,
            expected="a CommandResponse with result UNKNOWN_SESSION",
            actual=describe_answer(ex) + f", data.result {data.get('result')}",
            exchanges=[ex],
        )
