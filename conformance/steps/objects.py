"""Steps for the functional modules' Receiver interfaces: the harness writes client-owned objects and reads them back.

The harness writes only under its own identities' ``country_code``/``party_id`` (target.toml ``[[identities]]``),
with ids that carry the run's tag, and registers how to retire each object it creates (EVSE ``REMOVED``, tariff
DELETE, token ``valid: false``, session ``COMPLETED``); the session runs those at the end of the run. The acting
identity is the one whose role the module needs, chosen by ``Given the harness plays a CPO towards the target's
locations Receiver`` (conformance/plan.py has already checked the target advertises that interface and the identity is
registered). Requests go to the advertised Receiver URL plus the spec's suffix, with the acting identity's token and
routing headers.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from pytest_bdd import given, parsers, then, when

from conformance import objects as ob
from conformance.checks import run_check
from conformance.checks._registry import judged
from conformance.checks.envelope import describe_answer, require_response
from conformance.checks.pagination import next_link
from conformance.checks.shape import one_object
from conformance.journal import Undo
from conformance.model import Blocked, Exchange, Finding, NotJudged
from conformance.plan import Plays as PlaysNeed
from conformance.plan import check_needs
from conformance.session import HarnessSession, ObjectForm
from conformance.steps.context import ScenarioContext
from conformance.urls import endpoint_url

__all__ = ()

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_KINDS = {"Location": "locations", "Tariff": "tariffs", "Session": "sessions", "CDR": "cdrs", "Token": "tokens"}


@dataclass
class Actor:
    """The harness identity writing to one module's Receiver interface of the target."""

    session: HarnessSession
    module: str
    url: str
    """The interface's URL exactly as the target advertises it."""
    interface: str = "RECEIVER"
    """The target's interface this identity talks to (its owner role is the party addressed)."""

    @property
    def party(self) -> tuple[str, str]:
        return self.session.config.party.country_code, self.session.config.party.party_id

    def object_url(self, *ids: str) -> str:
        cc, pid = self.party
        return endpoint_url(self.url, "/".join((cc, pid, *ids)))

    def send(
        self,
        method: str,
        url: str,
        body: Any = None,
        *,
        params: dict[str, str] | None = None,
        label: str,
        to: tuple[str, str] | None = None,
    ) -> Exchange:
        """One request with this identity's token and routing headers (``to``: address that party, not the target)."""
        return self.session.client.request(
            method,
            url,
            token=self.session.token,
            json_body=body,
            params=params,
            headers=self.headers(method, to),
            label=label,
        )

    def headers(self, method: str, to: tuple[str, str] | None = None) -> dict[str, str]:
        """The routing headers of a request by this identity (``to``: address that party, not the target)."""
        headers = self.session.routing_headers(self.module, self.interface)
        if to is None and method in ("PUT", "PATCH", "DELETE"):  # writes to a Receiver, not authorization requests
            to = _instead_of_broadcast(self.session, self.module)
        if to is not None:
            headers["OCPI-to-country-code"], headers["OCPI-to-party-id"] = to
        return headers

    def undo(self, what: str, method: str, url: str, body: Any = None, *, params: dict[str, str] | None = None) -> Undo:
        """A clean-up request of this identity (a PATCH body's ``last_updated`` is set when it is sent)."""
        stamp = isinstance(body, dict) and "last_updated" in body
        return Undo(what, method, url, body, params, self.headers(method), f"clean-up: {what}", stamp=stamp)


BROADCAST_BY_DEFAULT = {"locations": "EMSP", "tariffs": "EMSP", "tokens": "CPO", "bookings": "EMSP"}
"""Client-owned modules a hub broadcasts when a write is addressed to the hub itself, with the role receiving them
(Sessions and CDRs go to the eMSP their cdr_token names; of Bookings, the BookingLocations are broadcast)."""


def _instead_of_broadcast(session: HarnessSession, module: str) -> tuple[str, str] | None:
    """With broadcasts off (``--no-broadcast``), the harness's own identity a write to a hub is addressed to instead
    of the hub itself; None when broadcasts are allowed or the target is not a hub."""
    receiver_role = BROADCAST_BY_DEFAULT.get(module)
    config = session.config
    if config.broadcast or receiver_role is None or "HUB" not in config.roles:
        return None
    other = config.identity_for(receiver_role)
    if other is None:
        pytest.skip(
            f"no-broadcast run: a {module} write to the hub would reach every connected party, and target.toml gives "
            f"no {receiver_role} identity of the harness's to address it to instead"
        )
    return other.party.country_code, other.party.party_id


def _actor(ctx: ScenarioContext) -> Actor:
    actor = ctx.objects.get("actor")
    if actor is None:
        raise RuntimeError("the scenario has no 'Given the harness plays ... towards the target's ... Receiver' step")
    return actor


def _new_id(actor: Actor, kind: str) -> str:
    n = actor.session.__dict__.setdefault("_object_counter", 0) + 1
    actor.session.__dict__["_object_counter"] = n
    return f"CT{actor.session.run_tag}{kind[0]}{n}"


# -- failing with evidence ------------------------------------------------------------------------------------------


def _fail(message: str, exchanges: list[Exchange], *, spec: str, expected: str, actual: str, check: str) -> None:
    raise Finding(message, check=check, spec=spec, expected=expected, actual=actual, exchanges=exchanges)


def _undeliverable(ctx: ScenarioContext, ex: Exchange) -> None:
    """A hub error (4xxx) on a write the hub had to deliver to another of the harness's identities is a knock-on
    when that identity's registration showed the hub never fetched its endpoints: the hub cannot know where to
    deliver, and credentials.registration-callback has judged that once."""
    if ex.ocpi_status is None or not 4000 <= ex.ocpi_status < 5000:
        return
    for role in ("EMSP", "CPO"):
        other = ctx.harness.as_role(role)
        hs = other.registration if other is not None else None
        if other is not None and other is not _actor(ctx).session and hs is not None and hs.ok and not hs.callbacks:
            party = f"{other.config.party.country_code}/{other.config.party.party_id}"
            raise Blocked(
                f"the hub could not deliver to the harness's {role} identity {party} (status_code {ex.ocpi_status}): "
                "it never fetched that identity's endpoints when it registered",
                "credentials.registration-callback",
            )


def _accepted(ex: Exchange, what: str, spec: str, ctx: ScenarioContext | None = None) -> None:
    """The write succeeded: HTTP 2xx and a 1xxx status_code."""
    require_response(ex)
    if ctx is not None:
        _undeliverable(ctx, ex)
    if ex.status is None or not 200 <= ex.status < 300 or ex.ocpi_status is None or not 1000 <= ex.ocpi_status < 2000:
        _fail(
            f"{what} was not accepted",
            [ex],
            spec=spec,
            expected="HTTP 200/201 with a 1xxx status_code",
            actual=describe_answer(ex),
            check="write_accepted",
        )
    judged("write_accepted", ex)


def _stored(ctx: ScenarioContext, url: str, what: str, *, params: dict[str, str] | None = None) -> dict[str, Any]:
    """GET ``url`` on the Receiver (the object as the target stored it); fails unless it answers the object."""
    actor = _actor(ctx)
    ex = actor.send("GET", url, params=params, label=f"GET the {what} back")
    ctx.objects.setdefault("reads", []).append(ex)
    require_response(ex)
    if ex.status != 200 or not isinstance(ex.data, dict):
        _fail(
            f"the {what} the target accepted cannot be read back from its Receiver interface",
            [*ctx.objects.get("writes", []), ex],
            spec=f"mod_{actor.module}.receiver",
            expected="HTTP 200 with the stored object in data",
            actual=describe_answer(ex),
            check="stored_object",
        )
    return ex.data


def _write(
    ctx: ScenarioContext, method: str, url: str, body: Any, label: str, *, actor: Actor | None = None, **kw: Any
) -> Exchange:
    """A write by the scenario's acting identity (or ``actor``), kept as evidence (``kw``: params, to)."""
    ex = (actor or _actor(ctx)).send(method, url, body, label=label, **kw)
    ctx.objects.setdefault("writes", []).append(ex)
    return ex


def _diff(sent: Any, stored: Any, path: str = "") -> list[str]:
    """Where ``stored`` lacks or changes what ``sent`` holds (extra fields in ``stored`` are allowed; a field sent as
    null may be left out)."""
    if isinstance(sent, dict):
        if not isinstance(stored, dict):
            return [f"{path or '(object)'}: sent an object, got {stored!r}"]
        out: list[str] = []
        for key, value in sent.items():
            if key not in stored:
                if value is not None:  # an optional field sent as null is the same as one left out
                    out.append(f"{path}.{key}: missing (sent {value!r})")
            else:
                out += _diff(value, stored[key], f"{path}.{key}")
        return out
    if isinstance(sent, list):
        if not isinstance(stored, list) or len(stored) != len(sent):
            return [f"{path}: sent {len(sent)} item(s), got {stored!r}"[:200]]
        return [d for i, (a, b) in enumerate(zip(sent, stored, strict=True)) for d in _diff(a, b, f"{path}[{i}]")]
    if isinstance(sent, float | int) and isinstance(stored, float | int) and not isinstance(stored, bool):
        return [] if abs(float(sent) - float(stored)) < 1e-9 else [f"{path}: sent {sent!r}, got {stored!r}"]
    if isinstance(sent, str) and isinstance(stored, str) and _DATETIME.match(sent) and _DATETIME.match(stored):
        # the same instant may be written with milliseconds (or in a form transport.timestamp-format judges): compare
        # the seconds
        return [] if sent[:19] == stored[:19] else [f"{path}: sent {sent!r}, got {stored!r}"]
    return [] if sent == stored else [f"{path}: sent {sent!r}, got {stored!r}"]


def _ok(ex: Exchange) -> bool:
    """The target may have taken the write, so the harness must retire what it made: HTTP 2xx and not the explicit
    2001 refusal (a success dressed in another code is judged elsewhere, and retiring too much only adds a note)."""
    return ex.status is not None and 200 <= ex.status < 300 and ex.ocpi_status != 2001


# -- retiring what the harness created ------------------------------------------------------------------------------


def _retire(actor: Actor, kind: str, url: str, body: dict[str, Any]) -> None:
    """Register how to leave the target as found for an object the harness created."""
    session = actor.session
    stamp = {"last_updated": ""}  # set when the clean-up is sent: it must be newer than any change of the run
    if kind == "Location":
        for evse in body.get("evses") or []:
            what = f"EVSE {evse['uid']} REMOVED"
            session.on_cleanup(
                what, actor.undo(what, "PATCH", endpoint_url(url, evse["uid"]), {"status": "REMOVED", **stamp})
            )
    elif kind == "Tariff":
        what = f"tariff {body['id']} deleted"
        session.on_cleanup(what, actor.undo(what, "DELETE", url))
    elif kind == "Token":
        what = f"token {body['uid']} ({body['type']}) invalidated"
        session.on_cleanup(
            what, actor.undo(what, "PATCH", url, {"valid": False, **stamp}, params={"type": body["type"]})
        )
    elif kind == "Session":
        what = f"session {body['id']} COMPLETED"
        undo = actor.undo(what, "PATCH", url, {"status": "COMPLETED", "end_date_time": ob.now(), **stamp})
        session.on_cleanup(what, undo)
    else:  # CDRs are immutable: nothing removes one; say so once
        note = "CDRs the harness POSTed stay on the target: OCPI has no way to remove a CDR"
        if note not in session.observations:
            session.observations.append(note)


def _token_owner(actor: Actor) -> tuple[str, str]:
    """The eMSP a Session or CDR of the harness names in its cdr_token: the harness's own eMSP identity; without one,
    the target itself when it is a plain eMSP platform. Against a hub without an eMSP identity the scenario is
    skipped: the hub would deliver the session to a real eMSP."""
    emsp = actor.session.config.identity_for("EMSP")
    if emsp is not None:
        return emsp.party.country_code, emsp.party.party_id
    creds = actor.session._target_credentials or {}
    target = actor.session.target_party("sessions", "RECEIVER")  # the target's eMSP
    if target is not None and not creds.get("hub_party_id"):
        return target
    pytest.skip(
        "a Session or CDR names the eMSP of its token, and the target routes it there: against a hub the harness needs "
        'an eMSP identity of its own (add an [[identities]] table with role = "EMSP")'
    )


def _build(actor: Actor, kind: str, object_id: str) -> dict[str, Any]:
    cc, pid = actor.party
    emsp_party = _token_owner(actor) if kind in ("Session", "CDR") else (cc, pid)
    updated = ob.now(-120)
    if kind == "Location":
        return ob.location(cc, pid, object_id, updated=updated)
    if kind == "Tariff":
        return ob.tariff(cc, pid, object_id, updated=updated)
    if kind == "Session":
        return ob.session(cc, pid, object_id, emsp_party, updated=updated, periods=[ob.period(ob.now(-600), 1.5)])
    if kind == "CDR":
        return ob.cdr(cc, pid, object_id, emsp_party, updated=updated)
    return ob.token(cc, pid, object_id, updated=updated)


CREATES = {
    "locations": "locations.receiver-put-get",
    "tariffs": "tariffs.receiver-put-get-delete",
    "sessions": "sessions.receiver-put-get",
    "cdrs": "cdrs.receiver-post-location",
    "tokens": "tokens.receiver-put-get-by-type",
    "invoicereconciliation": "invoicereconciliation.receiver-post-get",
    "bookings": "bookings.receiver-put-get",
}
"""The scenario that judges whether a module's Receiver takes a new object at all. A write another scenario needs and
the target refuses stops that scenario at the refused step; it stands aside naming this one (which meets the same
refusal as its own finding), or fails with that step when this one is not in the run."""

SCHEMA_OF = {"EVSE": "EVSE", "Connector": "Connector", **{k: ob.OBJECT_SCHEMAS[m] for k, m in _KINDS.items()}}


def _taken(ex: Exchange) -> bool:
    return (
        ex.status is not None
        and 200 <= ex.status < 300
        and ex.ocpi_status is not None
        and 1000 <= ex.ocpi_status < 2000
    )


def _refused_for_its_body(ex: Exchange) -> bool:
    """Refused for what the object holds (HTTP 400/422, or status_code 2001), not for the token, the URL or a
    routing problem: the refusal a fuller object may cure."""
    return ex.status in (400, 422) or (ex.status is not None and 200 <= ex.status < 300 and ex.ocpi_status == 2001)


def _shape(kind: str, body: dict[str, Any], full: bool) -> dict[str, Any]:
    return ob.fullest(SCHEMA_OF[kind], body) if full else body


def _send_new(
    ctx: ScenarioContext,
    actor: Actor,
    kind: str,
    method: str,
    url: str,
    build: Callable[[bool], dict[str, Any]],
    label: str,
    **kw: Any,
) -> tuple[Exchange, dict[str, Any]]:
    """Write a new object (``build(full)`` makes it) in the form the module's Receiver takes. The run's first write to
    a module finds that form out: the smallest conforming object; when the target refuses it for its body, the
    fullest one (every optional field present), and the refusal is judged once, by transport.minimal-objects-accepted.
    Returns the answer that counts and the body it answered."""
    forms = ctx.harness.object_forms
    form = forms.get(actor.module)
    if form is not None and form.decided:
        body = build(form.full or form.refused is not None)
        return _write(ctx, method, url, body, label, actor=actor, **kw), body
    body = build(False)
    ex = _write(ctx, method, url, body, label, actor=actor, **kw)
    if _taken(ex):
        forms[actor.module] = ObjectForm(actor.module, accepted=ex)
    elif _refused_for_its_body(ex):
        fuller = build(True)
        retry = _write(ctx, method, url, fuller, f"{label}, every optional field present", actor=actor, **kw)
        if _taken(retry):
            forms[actor.module] = ObjectForm(actor.module, full=True, minimal_refusal=ex, accepted=retry)
            ctx.note(
                f"the target refused the smallest conforming {kind} ({describe_answer(ex)}) and took it with every "
                "optional field present: the run goes on with such objects (judged by "
                "transport.minimal-objects-accepted)"
            )
        else:
            forms[actor.module] = ObjectForm(actor.module, full=True, minimal_refusal=ex, refused=retry)
        return retry, fuller
    return ex, body


def _needed(ctx: ScenarioContext, ex: Exchange, what: str, *, creates: bool = False) -> None:
    """A write the scenario depends on (a new object, a change it then reads): the scenario stops here unless it was
    taken. The refusal of a new object (``creates``) is this scenario's finding when it owns the module's basic write
    (or that scenario is not in the run); otherwise the scenario stands aside naming the one that owns it."""
    require_response(ex)
    _undeliverable(ctx, ex)
    if _taken(ex):
        return
    module = _actor(ctx).module
    owner = CREATES.get(module)
    if creates and owner and owner != ctx.scenario and owner in ctx.harness.selected:
        raise Blocked(f"{what} was not accepted ({describe_answer(ex)})", owner)
    _fail(
        f"{what} was not accepted",
        [ex],
        spec=f"mod_{module}.receiver",
        expected="HTTP 200/201 with a 1xxx status_code",
        actual=describe_answer(ex),
        check="write_accepted",
    )


def _known_form(ctx: ScenarioContext, actor: Actor, kind: str) -> bool:
    """Whether the module's Receiver takes only the fullest form (True) or the smallest (False), for a scenario whose
    object differs from a taken one in the one thing it tests; when no write of this run told yet, a new object of
    the harness's own is written first (and retired at the end). A Receiver that takes neither form stands aside
    naming the module's basic scenario."""
    form = ctx.harness.object_forms.get(actor.module)
    if form is None or not form.decided:
        object_id = _new_id(actor, kind)
        url = actor.object_url(object_id)
        params = {"type": "RFID"} if kind == "Token" else None
        ex, body = _send_new(
            ctx,
            actor,
            kind,
            "PUT",
            url,
            lambda full: _shape(kind, _build(actor, kind, object_id), full),
            f"PUT a new {kind} {object_id} (which form does the target take?)",
            params=params,
        )
        if _ok(ex):
            _retire(actor, kind, url, body)
        form = ctx.harness.object_forms.get(actor.module)
        if form is None:
            require_response(ex)
            _undeliverable(ctx, ex)
            raise Blocked(f"the target took no {kind} of the harness's ({describe_answer(ex)})", CREATES[actor.module])
    if form.refused is not None:
        raise Blocked(
            f"the target took no {kind} of the harness's ({describe_answer(form.refused)})", CREATES[actor.module]
        )
    return form.full


# ## Given ---------------------------------------------------------------------------------------


@given(
    parsers.re(
        r"the harness plays an? (?P<role>CPO|eMSP) towards the target's (?P<module>\w+) (?P<side>Receiver|Sender)"
    )
)
def plays(role: str, module: str, side: str, harness: HarnessSession, ocpi_context: ScenarioContext) -> None:
    """The identity with ``role`` calls the target's ``module`` Receiver (registered by the plan on first need; whether
    the scenario may write was judged from its needs in conformance/plan.py before it started)."""
    role = role.upper()
    interface = side.upper()
    reason = check_needs(harness, (PlaysNeed(role, module, interface),))
    if reason:
        pytest.skip(reason)
    session = harness.as_role(role)
    assert session is not None
    url = harness.discover().url(module, interface)
    assert url is not None
    ocpi_context.objects["actor"] = Actor(session, module, url, interface)
    cc, pid = session.config.party.country_code, session.config.party.party_id
    ocpi_context.note(f"the harness speaks as {cc}/{pid} ({role}) to {url}")


# ## When ----------------------------------------------------------------------------------------


@when(
    parsers.re(
        r"the harness (?P<method>PUTs|POSTs) a new (?P<kind>Location|Tariff|Session|CDR|Token) under its own party id"
    )
)
def put_new(method: str, kind: str, ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    object_id = _new_id(actor, kind)

    def build(full: bool) -> dict[str, Any]:
        return _shape(kind, _build(actor, kind, object_id), full)

    if kind == "CDR":
        url = actor.url
        ex, body = _send_new(ocpi_context, actor, kind, "POST", url, build, f"POST a new CDR {object_id}")
    else:
        url = actor.object_url(object_id)
        params = {"type": "RFID"} if kind == "Token" else None
        ex, body = _send_new(
            ocpi_context, actor, kind, "PUT", url, build, f"PUT a new {kind} {object_id}", params=params
        )
    ocpi_context.objects.update(kind=kind, id=object_id, url=url, body=body, answer=ex)
    if kind == "Token":  # the harness's eMSP answers authorization requests for every token it issued
        actor.session.peer.issue(body)
    if _ok(ex):
        _retire(actor, kind, url, body)
    _needed(ocpi_context, ex, f"the {method.removesuffix('s')} of a new {kind}", creates=True)


@when("the harness PUTs a new Session addressed to its eMSP identity through the hub")
def put_session_direct(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    emsp = actor.session.config.identity_for("EMSP")
    if emsp is None:
        pytest.skip('target.toml gives no eMSP identity to address (add an [[identities]] table with role = "EMSP")')
    object_id = _new_id(actor, "Session")
    url = actor.object_url(object_id)
    to = (emsp.party.country_code, emsp.party.party_id)
    ex, body = _send_new(
        ocpi_context,
        actor,
        "Session",
        "PUT",
        url,
        lambda full: _shape("Session", _build(actor, "Session", object_id), full),
        f"PUT a new Session {object_id} to {to[0]}/{to[1]}",
        to=to,
    )
    ocpi_context.objects.update(kind="Session", id=object_id, url=url, body=body, answer=ex, to=to)
    if _ok(ex):
        _retire(actor, "Session", url, body)


@when("the harness PATCHes the Location without last_updated")
def patch_without_last_updated(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    o["patch"] = _write(
        ocpi_context, "PATCH", o["url"], {"name": "Renamed without last_updated"}, "PATCH without last_updated"
    )


@when("the harness PATCHes the Token without last_updated")
def patch_token_without_last_updated(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    o["patch"] = _write(
        ocpi_context,
        "PATCH",
        o["url"],
        {"whitelist": "NEVER"},
        "PATCH without last_updated",
        params={"type": o["body"]["type"]},
    )


@when("the harness PATCHes the status of one of the Location's EVSEs with a newer last_updated")
def patch_evse(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    evse = o["body"]["evses"][0]
    stamp = ob.now(-30)
    o["evse_stamp"] = stamp
    o["patch"] = _write(
        ocpi_context,
        "PATCH",
        endpoint_url(o["url"], evse["uid"]),
        {"status": "CHARGING", "last_updated": stamp},
        f"PATCH EVSE {evse['uid']} status CHARGING",
    )
    _needed(ocpi_context, o["patch"], "the EVSE PATCH")


@when("the harness PATCHes the Session with one more charging period")
def patch_session_period(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    extra = ob.period(ob.now(-300), 3.0)
    o["extra_period"] = extra
    o["patch"] = _write(
        ocpi_context,
        "PATCH",
        o["url"],
        {"charging_periods": [extra], "kwh": 3.0, "last_updated": ob.now(-30)},
        "PATCH the session with one more charging period",
    )
    _needed(ocpi_context, o["patch"], "the Session PATCH")


@when("the harness PUTs a Location whose body id differs from the id in the URL")
def put_mismatch(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    full = _known_form(ocpi_context, actor, "Location")
    url_id, body_id = _new_id(actor, "Location"), _new_id(actor, "Location")
    body = _shape("Location", _build(actor, "Location", body_id), full)
    url = actor.object_url(url_id)
    ex = _write(ocpi_context, "PUT", url, body, f"PUT Location body id {body_id} at URL id {url_id}")
    ocpi_context.objects.update(kind="Location", id=url_id, url=url, body=body, answer=ex, other_id=body_id)
    if _ok(ex):  # stored anyway: retire it under both ids
        _retire(actor, "Location", url, body)
        _retire(actor, "Location", actor.object_url(body_id), body)


@when("the harness POSTs the same CDR id again with other values")
def post_cdr_again(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    changed = dict(o["body"])
    changed["total_energy"] = 99.0
    changed["total_cost"] = {"before_taxes": 24.75, "taxes": []}
    changed["last_updated"] = ob.now(-10)
    o["second"] = _write(ocpi_context, "POST", _actor(ocpi_context).url, changed, f"POST CDR {o['id']} again")


@when("the harness DELETEs the Tariff")
def delete_tariff(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    o["delete"] = _write(ocpi_context, "DELETE", o["url"], None, f"DELETE tariff {o['id']}")
    if _ok(o["delete"]):  # nothing left to retire
        _actor(ocpi_context).session.drop_cleanup(f"tariff {o['id']} deleted")


@when("the harness PUTs a Token with the same uid and another type")
def put_same_uid_other_type(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    actor = _actor(ocpi_context)
    cc, pid = actor.party
    full = _known_form(ocpi_context, actor, "Token")
    other = _shape("Token", ob.token(cc, pid, o["id"], updated=ob.now(-60), type_="APP_USER"), full)
    other["contract_id"] = o["body"]["contract_id"] + "A"
    o["other"] = other
    o["other_answer"] = ex = _write(
        ocpi_context, "PUT", o["url"], other, f"PUT token {o['id']} type APP_USER", params={"type": "APP_USER"}
    )
    actor.session.peer.issue(other)
    if _ok(ex):
        _retire(actor, "Token", o["url"], other)


@when("the harness PUTs a new Tariff under the party id of its other identity")
def put_foreign(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    mine = actor.party
    other = next((i for i in actor.session.config.identities if (i.party.country_code, i.party.party_id) != mine), None)
    if other is None:
        pytest.skip(
            "target.toml gives the harness one identity: a second one (another party id of the harness) is needed to "
            "write under a party the writing identity does not serve"
        )
    full = _known_form(ocpi_context, actor, "Tariff")
    object_id = _new_id(actor, "Tariff")
    cc, pid = other.party.country_code, other.party.party_id
    body = _shape("Tariff", ob.tariff(cc, pid, object_id, updated=ob.now(-120)), full)
    url = endpoint_url(actor.url, f"{cc}/{pid}/{object_id}")
    ex = _write(ocpi_context, "PUT", url, body, f"PUT a Tariff under {cc}/{pid} as {mine[0]}/{mine[1]}")
    ocpi_context.objects.update(kind="Tariff", id=object_id, url=url, body=body, answer=ex, foreign=f"{cc}/{pid}")
    if _ok(ex):
        _retire(actor, "Tariff", url, body)


@when("the harness GETs a Location id it never created")
def get_unknown(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    url = actor.object_url(_new_id(actor, "Location") + "NONE")
    ocpi_context.objects["unknown"] = actor.send("GET", url, label="GET a Location the harness never created")


# ## Then ----------------------------------------------------------------------------------------


@then("the target accepts the write")
def accepts(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    what = o.get("what", f"the {o['kind']} write")
    _accepted(o["answer"], what, f"mod_{_actor(ocpi_context).module}.receiver", ocpi_context)


@then(parsers.re(r"a GET of the (?P<kind>Location|Tariff|Session|Token) returns what was PUT, last_updated included"))
def get_returns_put(kind: str, ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    params = {"type": o["body"]["type"]} if kind == "Token" else None
    stored = _stored(ocpi_context, o["url"], kind, params=params)
    diffs = _diff(o["body"], stored)
    judged("stored_as_sent", o["reads"][-1])
    if diffs:
        _fail(
            f"the stored {kind} differs from what the harness PUT",
            [o["answer"], o["reads"][-1]],
            spec=f"mod_{_actor(ocpi_context).module}.receiver",
            expected=f"the {kind} as PUT (extra fields allowed)",
            actual="; ".join(diffs[:8]),
            check="stored_as_sent",
        )


@then("the PATCH is refused with status_code 2001 and the stored Location is unchanged")
def patch_refused_location(ocpi_context: ScenarioContext) -> None:
    _refused_unchanged(ocpi_context, "transport_and_format.client_owned_objects")


@then("the PATCH is refused with status_code 2001 and the stored Token is unchanged")
def patch_refused_token(ocpi_context: ScenarioContext) -> None:
    _refused_unchanged(ocpi_context, "transport_and_format.client_owned_objects", params={"type": "RFID"})


def _require_envelope(ex: Exchange) -> None:
    """A refusal without the OCPI envelope has no status_code to judge: transport.envelope-error owns that."""
    require_response(ex)
    if ex.ocpi_status is None and (ex.status is None or not 200 <= ex.status < 300):
        raise Blocked(f"the refusal (HTTP {ex.status}) has no OCPI envelope", "transport.envelope-error")


def _refused_unchanged(ctx: ScenarioContext, spec: str, params: dict[str, str] | None = None) -> None:
    o = ctx.objects
    ex: Exchange = o["patch"]
    _require_envelope(ex)
    stored = _stored(ctx, o["url"], o["kind"], params=params)
    changed = _diff(o["body"], stored)
    judged("patch_refused", ex)
    if ex.ocpi_status != 2001 or changed:
        actual = describe_answer(ex)
        if changed:
            actual += "; the stored object changed: " + "; ".join(changed[:4])
        _fail(
            "a PATCH without last_updated was not refused with status_code 2001"
            + (" (and the target merged it)" if changed else ""),
            [ex, o["reads"][-1]],
            spec=spec,
            expected="status_code 2001, the stored object unchanged",
            actual=actual,
            check="patch_refused",
        )


@then("the Location's last_updated is the EVSE's new last_updated")
def parent_bumped(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    _accepted(o["patch"], "the EVSE PATCH", "mod_locations.receiver", ocpi_context)
    stored = _stored(ocpi_context, o["url"], "Location")
    judged("parent_last_updated", o["reads"][-1])
    got = str(stored.get("last_updated", ""))
    if got[:19] != o["evse_stamp"][:19]:
        _fail(
            "after an EVSE changed, its Location's last_updated was not moved to the EVSE's",
            [o["patch"], o["reads"][-1]],
            spec="mod_locations.receiver",
            expected=f"Location last_updated {o['evse_stamp']}",
            actual=f"Location last_updated {got or '(missing)'}",
            check="parent_last_updated",
        )


@then("the stored Session holds the PUT charging periods followed by the PATCHed one")
def periods_appended(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    _accepted(o["patch"], "the Session PATCH", "mod_sessions.receiver", ocpi_context)
    stored = _stored(ocpi_context, o["url"], "Session")
    judged("periods_appended", o["reads"][-1])
    expected = [*o["body"]["charging_periods"], o["extra_period"]]
    diffs = _diff(expected, stored.get("charging_periods"), ".charging_periods")
    if diffs:
        _fail(
            "a Session PATCH with charging_periods did not append them to the stored ones",
            [o["patch"], o["reads"][-1]],
            spec="mod_sessions.receiver",
            expected=f"{len(expected)} charging periods: the PUT ones, then the PATCHed one",
            actual="; ".join(diffs[:4]),
            check="periods_appended",
        )


@then("the answer carries a Location header whose GET returns the same CDR")
def cdr_location(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    ex: Exchange = o["answer"]
    _accepted(ex, "the CDR POST", "mod_cdrs.receiver", ocpi_context)
    where = ex.header("location")
    judged("cdr_location_header", ex)
    if not where or not where.startswith(("http://", "https://")):
        _fail(
            "the CDR POST was answered without an absolute Location header",
            [ex],
            spec="mod_cdrs.receiver",
            expected="a Location header with the URL of the stored CDR",
            actual=f"Location: {where}" if where else "no Location header",
            check="cdr_location_header",
        )
    assert where is not None  # (failed above otherwise)
    o["url"] = where
    stored = _stored(ocpi_context, where, "CDR")
    diffs = _diff(o["body"], stored)
    if diffs:
        _fail(
            "the CDR at the Location header differs from the one POSTed",
            [ex, o["reads"][-1]],
            spec="mod_cdrs.receiver",
            expected="the CDR as POSTed",
            actual="; ".join(diffs[:6]),
            check="cdr_location_header",
        )


@then("the stored CDR is still the first one")
def cdr_unchanged(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    first: Exchange = o["answer"]
    _accepted(first, "the first CDR POST", "mod_cdrs.receiver", ocpi_context)
    where = first.header("location")
    if not where:
        raise Blocked("the first POST gave no Location header to read the CDR back", "cdrs.receiver-post-location")
    o["url"] = where
    stored = _stored(ocpi_context, where, "CDR")
    judged("cdr_immutable", o["reads"][-1])
    diffs = _diff(o["body"], stored)
    if diffs:
        _fail(
            "a second POST of the same CDR id changed the stored CDR (CDRs are never updated)",
            [first, o["second"], o["reads"][-1]],
            spec="mod_cdrs.receiver",
            expected="the first CDR, unchanged (a correction is a credit CDR with a new id)",
            actual="; ".join(diffs[:6]) + f"; second POST: {describe_answer(o['second'])}",
            check="cdr_immutable",
        )


@then("the DELETE is accepted and a GET of the Tariff answers HTTP 404")
def tariff_deleted(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    _accepted(o["delete"], "the Tariff DELETE", "mod_tariffs.receiver", ocpi_context)
    ex = _actor(ocpi_context).send("GET", o["url"], label="GET the deleted tariff")
    require_response(ex)
    judged("tariff_deleted", ex)
    if ex.status == 200 and isinstance(ex.data, dict) and ex.ocpi_status == 1000:
        _fail(
            "the deleted Tariff is still served",
            [o["delete"], ex],
            spec="mod_tariffs.receiver",
            expected="HTTP 404 (or a refusal): the tariff is gone",
            actual=describe_answer(ex),
            check="tariff_deleted",
        )


@then("both Tokens are stored apart, each under its type")
def tokens_apart(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    _accepted(o["other_answer"], "the second Token PUT", "mod_tokens.receiver", ocpi_context)
    for body in (o["body"], o["other"]):
        stored = _stored(ocpi_context, o["url"], f"Token of type {body['type']}", params={"type": body["type"]})
        judged("token_by_type", o["reads"][-1])
        diffs = _diff(body, stored)
        if diffs:
            _fail(
                f"the Token {body['uid']} of type {body['type']} was not kept apart from the other type",
                [o["answer"], o["other_answer"], o["reads"][-1]],
                spec="mod_tokens.receiver",
                expected=f"the {body['type']} token as PUT",
                actual="; ".join(diffs[:6]),
                check="token_by_type",
            )


@then("the PUT is refused with status_code 2001 and nothing is stored under either id")
def mismatch_refused(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    ex: Exchange = o["answer"]
    _require_envelope(ex)
    judged("id_mismatch_refused", ex)
    if ex.ocpi_status != 2001:
        _fail(
            "a PUT whose body id differs from the URL id was not refused with status_code 2001",
            [ex],
            spec="transport_and_format.client_owned_objects",
            expected="status_code 2001 (the object is not stored)",
            actual=describe_answer(ex),
            check="id_mismatch_refused",
        )


@then("the PUT is refused")
def foreign_refused(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    ex: Exchange = o["answer"]
    require_response(ex)
    judged("foreign_party_refused", ex)
    code = ex.ocpi_status
    if ex.status is not None and 200 <= ex.status < 300 and code is not None and 1000 <= code < 2000:
        actor = _actor(ocpi_context)
        _fail(
            f"the target accepted a Tariff pushed under {o['foreign']}, a party the writing platform does not serve",
            [ex],
            spec="transport_and_format.client_owned_objects",
            expected=f"a refusal (HTTP 404, or a 2xxx status_code): {actor.party[0]}/{actor.party[1]} does not serve "
            f"{o['foreign']}",
            actual=describe_answer(ex),
            check="foreign_party_refused",
        )


@then("the answer is HTTP 404")
def unknown_404(ocpi_context: ScenarioContext) -> None:
    ex: Exchange = ocpi_context.objects["unknown"]
    require_response(ex)
    judged("unknown_object_404", ex)
    if ex.status != 404:
        _fail(
            "a GET of an object the target does not hold was not answered HTTP 404",
            [ex],
            spec="status_codes.http",
            expected="HTTP 404",
            actual=describe_answer(ex),
            check="unknown_object_404",
        )
    run_check("refusal_not_success", ex)


# -- real-time authorization (the harness as a CPO asking the target's tokens Sender) -----------------------------


def _authorize(ctx: ScenarioContext, uid: str, token_type: str, label: str) -> Exchange:
    actor = _actor(ctx)
    ex = actor.send("POST", endpoint_url(actor.url, f"{uid}/authorize"), params={"type": token_type}, label=label)
    ctx.objects["authorize"] = ex
    ctx.objects["uid"], ctx.objects["type"] = uid, token_type
    return ex


@when("the harness asks for real-time authorization of a token uid nobody issued")
def authorize_unknown(ocpi_context: ScenarioContext) -> None:
    uid = _new_id(_actor(ocpi_context), "Unknown") + "NOBODY"
    _authorize(ocpi_context, uid, "RFID", f"authorize unknown token {uid}")


@when("the harness asks for real-time authorization of a valid token")
def authorize_listed(harness: HarnessSession, ocpi_context: ScenarioContext) -> None:
    token = _token_to_authorize(harness, ocpi_context, "valid token", valid=True)
    ocpi_context.objects["token"] = token
    _authorize(ocpi_context, token["uid"], str(token.get("type") or "RFID"), f"authorize token {token['uid']}")


@then("the answer is HTTP 404 with status_code 2004 and no data")
def unknown_token_answer(ocpi_context: ScenarioContext) -> None:
    ex: Exchange = ocpi_context.objects["authorize"]
    _require_envelope(ex)
    judged("authorize_unknown_token", ex)
    data = ex.data
    if ex.status != 404 or ex.ocpi_status != 2004 or data not in (None, {}, []):
        _fail(
            "real-time authorization of an unknown token was not answered HTTP 404 with status_code 2004",
            [ex],
            spec="mod_tokens.sender",
            expected="HTTP 404, status_code 2004, no data",
            actual=describe_answer(ex) + (f", data {str(data)[:80]}" if data not in (None, {}, []) else ""),
            check="authorize_unknown_token",
        )


@then("the answer is an AuthorizationInfo for that token that matches openapi.yaml")
def authorization_info(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    ex: Exchange = o["authorize"]
    _require_envelope(ex)
    if ex.ocpi_status == 2002:
        pytest.skip(
            "the target needs location information to authorize (status_code 2002) and the harness has no location "
            "of the target's to name"
        )
    _undeliverable(ocpi_context, ex)
    _accepted(ex, "the real-time authorization", "mod_tokens.sender", ocpi_context)
    from conformance.oracle import get_oracle

    run_check("response_schema", ex, operation=get_oracle().find("tokens", "SENDER", "POST", "/{token_uid}/authorize"))
    data: dict[str, Any] = one_object(ex) or {}
    token: dict[str, Any] = data["token"] if isinstance(data.get("token"), dict) else {}
    if token.get("uid") != o["uid"] or (token.get("type") or "RFID") != o["type"]:
        _fail(
            "the AuthorizationInfo is not about the token the harness asked for",
            [ex],
            spec="mod_tokens.sender",
            expected=f"token.uid {o['uid']}, token.type {o['type']}",
            actual=f"token.uid {token.get('uid')}, token.type {token.get('type')}",
            check="authorization_info_token",
        )


# -- Sender single-object GETs (the harness as an eMSP reading the target's locations Sender) ----------------------


@when("the harness GETs the first Location the target lists, then that Location, its first EVSE and connector alone")
def get_single_location(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)

    def whole(x: dict[str, Any]) -> bool:
        return bool(isinstance(x.get("id"), str) and x.get("evses") and (x["evses"][0] or {}).get("connectors"))

    fresh, left = _listed(ocpi_context, "Locations", whole, limit=10)
    loc = next((x for x in fresh if whole(x)), None)
    if loc is None:
        others = f", and {left} left by earlier runs of the harness, not used" if left else ""
        pytest.skip(
            f"the locations Sender list holds no Location with an EVSE and a connector ({len(fresh)} listed{others})"
        )
    evse = loc["evses"][0]
    connector = evse["connectors"][0]
    gets = []
    for suffix, what, listed_obj in (
        ("/{location_id}", "Location", loc),
        ("/{location_id}/{evse_uid}", "EVSE", evse),
        ("/{location_id}/{evse_uid}/{connector_id}", "Connector", connector),
    ):
        path = suffix.format(location_id=loc["id"], evse_uid=evse.get("uid"), connector_id=connector.get("id"))
        one = actor.send("GET", endpoint_url(actor.url, path), label=f"GET one {what}")
        gets.append((suffix, what, listed_obj, one))
    ocpi_context.objects["single"] = gets


@then("each answer is that object alone and matches openapi.yaml")
def single_objects(ocpi_context: ScenarioContext) -> None:
    from conformance.oracle import get_oracle
    from conformance.steps.context import collect_findings

    oracle = get_oracle()

    def judge(item: tuple[str, str, dict[str, Any], Exchange]) -> None:
        suffix, what, listed_obj, ex = item
        _accepted(ex, f"the GET of one {what}", "mod_locations.sender", ocpi_context)
        run_check("response_schema", ex, operation=oracle.find("locations", "SENDER", "GET", suffix))
        key = "uid" if what == "EVSE" else "id"
        data = one_object(ex) or {}
        if data.get(key) != listed_obj.get(key):
            _fail(
                f"the GET of one {what} did not return that {what}",
                [ex],
                spec="mod_locations.sender",
                expected=f"{key} {listed_obj.get(key)}",
                actual=f"{key} {data.get(key)}",
                check="single_object",
            )

    collect_findings(ocpi_context.objects["single"], judge, lambda i: f"GET one {i[1]}", ocpi_context.notes)


# -- open enumerations, sub-objects and invalid objects (the harness as a CPO writing Locations) --------------------

UNLISTED = "X_CONFORMANCE_FUTURE"
"""A value no OCPI enumeration lists, in the form listed values take (upper case, underscores)."""


UNKNOWN_FIELDS = {"x_conformance_extension": {"note": "a field OCPI 2.3.0 does not define"}}
"""A field of the harness's own at the top of an object and inside its EVSE: receivers must take it (they need not
keep it, so reads back are compared without it)."""


@when("the harness PUTs a new Location with fields and open-enumeration values the specification does not define")
def put_unknown_values(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    full = _known_form(ocpi_context, actor, "Location")
    object_id = _new_id(actor, "Location")
    body = _shape("Location", _build(actor, "Location", object_id), full)
    body["facilities"] = ["HOTEL", f"{UNLISTED}_FACILITY"]  # Facility
    body["parking_type"] = f"{UNLISTED}_PARKING"  # ParkingType
    evse = body["evses"][0]
    evse["capabilities"] = ["RFID_READER", f"{UNLISTED}_CAPABILITY"]  # Capability
    evse["parking_restrictions"] = [f"{UNLISTED}_RESTRICTION"]  # ParkingRestriction
    evse["connectors"][0]["standard"] = f"{UNLISTED}_PLUG"  # ConnectorType
    url = actor.object_url(object_id)
    sent = {**body, **UNKNOWN_FIELDS, "evses": [{**evse, **UNKNOWN_FIELDS}]}
    ex = _write(ocpi_context, "PUT", url, sent, f"PUT a new Location {object_id} with unknown fields and values")
    # read back without the unknown fields: a receiver must take them, not keep them
    what = "a Location with fields the spec does not define and unlisted open-enumeration values"
    ocpi_context.objects.update(kind="Location", id=object_id, url=url, body=body, answer=ex, what=what)
    if _ok(ex):
        _retire(actor, "Location", url, body)


@when("the harness PUTs a new EVSE into that Location, then a new connector into that EVSE")
def put_evse_and_connector(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    actor = _actor(ocpi_context)
    full = _known_form(ocpi_context, actor, "Location")
    evse_uid = f"{o['id']}-E2"
    new_evse = _shape("EVSE", ob.evse(evse_uid, updated=ob.now(-30)), full)
    evse_url = actor.object_url(o["id"], evse_uid)
    o["evse"] = (evse_url, new_evse, _write(ocpi_context, "PUT", evse_url, new_evse, f"PUT a new EVSE {evse_uid}"))
    if _ok(o["evse"][2]):
        _retire(actor, "Location", o["url"], {"evses": [new_evse]})
    # read the EVSE back before the connector PUT changes it (its connectors and last_updated)
    o["evse_read"] = actor.send("GET", evse_url, label=f"GET the EVSE {evse_uid} back")
    new_connector = _shape("Connector", ob.connector("2", updated=ob.now(-10)), full)
    new_connector["max_amperage"] = 16
    connector_url = actor.object_url(o["id"], evse_uid, "2")
    o["connector"] = (
        connector_url,
        new_connector,
        _write(ocpi_context, "PUT", connector_url, new_connector, f"PUT a new connector 2 into EVSE {evse_uid}"),
    )


@then("a GET of the EVSE and of the connector returns what was PUT")
def subobjects_stored(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    for what, (url, body, answer) in (("EVSE", o["evse"]), ("connector", o["connector"])):
        _accepted(answer, f"the PUT of a new {what} on its own", "mod_locations.receiver", ocpi_context)
        if what == "EVSE":  # read right after its PUT, before the connector PUT changed it
            read: Exchange = o["evse_read"]
            ocpi_context.evidence.append(read)
            require_response(read)
            stored = read.data if read.status == 200 and isinstance(read.data, dict) else None
        else:
            stored = _stored(ocpi_context, url, what)
            read = o["reads"][-1]
        judged("subobject_stored", read)
        diffs = _diff(body, stored) if stored is not None else [f"no {what} served: {describe_answer(read)}"]
        if diffs:
            _fail(
                f"the {what} PUT on its own is not served back as sent",
                [answer, read],
                spec="mod_locations.receiver",
                expected=f"the {what} as PUT at {url}",
                actual="; ".join(diffs[:8]),
                check="subobject_stored",
            )


@when("the harness PUTs a new Location without its required address")
def put_invalid(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    full = _known_form(ocpi_context, actor, "Location")
    object_id = _new_id(actor, "Location")
    body = _shape("Location", _build(actor, "Location", object_id), full)
    del body["address"]
    url = actor.object_url(object_id)
    ex = _write(ocpi_context, "PUT", url, body, f"PUT a Location {object_id} without its address")
    read = actor.send("GET", url, label="GET the invalid Location (nothing may be stored)")
    ocpi_context.objects.update(kind="Location", id=object_id, url=url, body=body, answer=ex, invalid_read=read)
    if _ok(ex):
        # Taken anyway: replace it at once with a valid Location, so that no other scenario reads (and blames the
        # target for) an invalid object the harness itself planted; it is retired at the end like the others.
        valid = _shape("Location", _build(actor, "Location", object_id), full)
        _write(ocpi_context, "PUT", url, valid, f"PUT a valid Location {object_id} over the invalid one")
        _retire(actor, "Location", url, valid)


@then("the PUT is refused with a 2xxx status_code and a GET finds no such Location")
def invalid_refused(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    ex: Exchange = o["answer"]
    _require_envelope(ex)
    code = ex.ocpi_status
    read: Exchange = o["invalid_read"]
    ocpi_context.evidence.append(read)
    stored = isinstance(read.data, dict) and read.data.get("id") == o["id"] and read.ocpi_status == 1000
    judged("invalid_object_refused", ex)
    if code is None or not 2000 <= code < 3000 or stored:
        _fail(
            "a Location without its required address was "
            + ("stored" if stored else "not refused with a client-error status_code"),
            [ex, read],
            spec="status_codes.ocpi",
            expected="a 2xxx status_code (2001: invalid or missing parameters) and no Location stored",
            actual=describe_answer(ex) + ("; a GET then served it" if stored else ""),
            check="invalid_object_refused",
        )


@then("the refusal is HTTP 200 with status_code 2001")
def invalid_refused_in_envelope(ocpi_context: ScenarioContext) -> None:
    ex: Exchange = ocpi_context.objects["answer"]
    _require_envelope(ex)
    if ex.ocpi_status is None or not 2000 <= ex.ocpi_status < 3000:
        raise Blocked(
            f"the invalid Location was not refused ({describe_answer(ex)})", "locations.receiver-invalid-object-refused"
        )
    judged("invalid_object_http_200", ex)
    if ex.status != 200 or ex.ocpi_status != 2001:
        _fail(
            "the refusal of an invalid Location was not HTTP 200 with status_code 2001",
            [ex],
            spec="status_codes.http",
            expected="HTTP 200, status_code 2001 (the body is JSON and the endpoint exists: the error is an OCPI one)",
            actual=describe_answer(ex),
            check="invalid_object_http_200",
        )


# -- real-time authorization: the token type, and tokens that may not charge ------------------------------------------


_LIST_PAGES = 10
"""Pages of a Sender list the harness reads at most when it looks for an object of the target's (or of this run)."""


def _listed(
    ctx: ScenarioContext, what: str, wanted: Callable[[dict[str, Any]], bool], limit: int = 50
) -> tuple[list[dict[str, Any]], int]:
    """Objects of the acting identity's Sender list, page after page (``Link rel="next"``) until one is ``wanted``,
    without those an earlier run of the harness left there; and how many such leftovers were passed over."""
    actor = _actor(ctx)
    fresh: list[dict[str, Any]] = []
    left = 0
    url: str | None = actor.url
    params: dict[str, str] | None = {"limit": str(limit)}
    for _ in range(_LIST_PAGES):
        assert url is not None
        ex = actor.send("GET", url, params=params, label=f"GET the {what} the target lists")
        ctx.evidence.append(ex)
        require_response(ex)
        page = [x for x in ex.data if isinstance(x, dict)] if isinstance(ex.data, list) else []
        mine = [x for x in page if not ob.from_another_run(x, actor.session.run_tag)]
        left += len(page) - len(mine)
        fresh += mine
        url, params = next_link(ex), None
        if url is None or any(wanted(x) for x in mine):
            break
    return fresh, left


def _listed_tokens(ctx: ScenarioContext, wanted: Callable[[dict[str, Any]], bool] = bool) -> list[dict[str, Any]]:
    """The tokens the target lists, without those an earlier run of the harness left there."""
    tokens, _ = _listed(ctx, "tokens", lambda t: isinstance(t.get("uid"), str) and wanted(t), limit=100)
    return [t for t in tokens if isinstance(t.get("uid"), str)]


def _token_to_authorize(harness: HarnessSession, ctx: ScenarioContext, want: str, **fields: Any) -> dict[str, Any]:
    """A token in the state the scenario needs (``fields``), issued in this run by the harness's eMSP identity, so
    that nothing an earlier run left decides the verdict. Without an eMSP identity that may write (a target that is
    itself the eMSP, a read-only run), one of the target's own listed tokens in that state; else the scenario is
    skipped, saying why."""
    reason = check_needs(harness, (PlaysNeed("EMSP", "tokens", "RECEIVER", writes=True),))
    if reason is None:
        return _issue_token(harness, ctx, fields)

    def fits(t: dict[str, Any]) -> bool:
        return all((t.get(k) if k != "type" else t.get(k) or "RFID") == v for k, v in fields.items())

    tokens = _listed_tokens(ctx, fits)

    token = next((t for t in tokens if fits(t)), None)
    if token is None:
        pytest.skip(
            f"the tokens Sender list shows no {want} ({len(tokens)} listed), and the harness cannot issue one: {reason}"
        )
    ctx.note(f"the harness authorizes {token['uid']}, a token of the target's own list ({reason})")
    return token


@when(
    "the harness asks for real-time authorization of a valid token of a type other than RFID, with and without its type"
)
def authorize_by_type(harness: HarnessSession, ocpi_context: ScenarioContext) -> None:
    token = _token_to_authorize(harness, ocpi_context, "valid token of type APP_USER", valid=True, type="APP_USER")
    o = ocpi_context.objects
    o["rfid_twin"] = None  # the harness's token has a uid of its own; a listed one is read as listed
    if token["uid"] not in {t["uid"] for t in o.get("issued", [])}:
        o["rfid_twin"] = next(
            (t for t in _listed_tokens(ocpi_context) if t["uid"] == token["uid"] and t.get("type") in (None, "RFID")),
            None,
        )
    o["typed"] = _authorize(
        ocpi_context, token["uid"], token["type"], f"authorize {token['uid']} ?type={token['type']}"
    )
    actor = _actor(ocpi_context)
    o["untyped"] = actor.send(
        "POST", endpoint_url(actor.url, f"{token['uid']}/authorize"), label=f"authorize {token['uid']} without ?type="
    )
    o["token"] = token


def _about(ex: Exchange) -> tuple[str | None, str | None]:
    """(uid, type) of the token an AuthorizationInfo answer is about; (None, None) when it is none."""
    data = one_object(ex) or {}
    token = data.get("token")
    if not isinstance(token, dict):
        return None, None
    return token.get("uid"), token.get("type") or "RFID"


@then("the answer with the type is about that token, and the answer without it is not")
def by_type_judged(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    typed, untyped, token = o["typed"], o["untyped"], o["token"]
    _require_envelope(typed)
    _undeliverable(ocpi_context, typed)
    if typed.ocpi_status == 2002:
        pytest.skip("the target needs location information to authorize (status_code 2002)")
    _accepted(typed, "the real-time authorization with ?type=", "mod_tokens.sender", ocpi_context)
    judged("authorize_by_type", typed)
    problems = []
    if _about(typed) != (token["uid"], token["type"]):
        problems.append(f"with ?type={token['type']}: about {_about(typed)[1]} token {_about(typed)[0]}")
    require_response(untyped)
    judged("authorize_by_type", untyped)
    untyped_ok = untyped.ocpi_status is not None and 1000 <= untyped.ocpi_status < 2000
    if untyped_ok and _about(untyped)[1] not in (None, "RFID"):  # (a success with no AuthorizationInfo is judged
        # by the refusal scenarios: it is about no token, which is what this scenario asks)
        problems.append(f"without ?type=: about a {_about(untyped)[1]} token, not an RFID one")
    if o["rfid_twin"] is not None and not untyped_ok:
        problems.append(f"without ?type=: {describe_answer(untyped)}, though an RFID token {token['uid']} is listed")
    if problems:
        _fail(
            "real-time authorization did not take the token type from ?type= (RFID when it is absent)",
            [typed, untyped],
            spec="mod_tokens.sender",
            expected=f"with ?type={token['type']}: the {token['type']} token; without: the RFID token "
            + ("listed under the same uid" if o["rfid_twin"] else "(none is listed: an unknown token)"),
            actual="; ".join(problems),
            check="authorize_by_type",
        )


@when("the harness asks for real-time authorization of a token that is not valid")
def authorize_blocked(harness: HarnessSession, ocpi_context: ScenarioContext) -> None:
    token = _token_to_authorize(harness, ocpi_context, "token that is not valid", valid=False)
    ocpi_context.objects["token"] = token
    _authorize(
        ocpi_context, token["uid"], str(token.get("type") or "RFID"), f"authorize not-valid token {token['uid']}"
    )


def _issue_token(harness: HarnessSession, ctx: ScenarioContext, fields: dict[str, Any]) -> dict[str, Any]:
    """The harness's eMSP identity issues a token with ``fields`` in this run (a hub then authorizes it through that
    identity's peer); it is retired at the end like every object the harness creates."""
    emsp = harness.as_role("EMSP")
    url = harness.discover().url("tokens", "RECEIVER")
    assert emsp is not None and url is not None
    writer = Actor(emsp, "tokens", url)
    uid = _new_id(writer, "Token")
    token_url = writer.object_url(uid)
    ex, token = _send_new(
        ctx,
        writer,
        "Token",
        "PUT",
        token_url,
        lambda full: _shape("Token", _build(writer, "Token", uid) | fields, full),
        f"PUT a token with {fields}",
        params={"type": str(fields.get("type", "RFID"))},
    )
    ctx.evidence.append(ex)
    emsp.peer.issue(token)
    if not _ok(ex):
        raise Blocked(
            f"the target did not take the harness's token ({describe_answer(ex)})", "tokens.receiver-put-get-by-type"
        )
    _retire(writer, "Token", token_url, token)
    ctx.objects.setdefault("issued", []).append(token)
    ctx.note(f"the harness's eMSP identity issued {token['uid']} ({token['type']}) for this scenario")
    return token


@then("the answer is HTTP 200 with an AuthorizationInfo that does not allow the token")
def blocked_answer(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    ex: Exchange = o["authorize"]
    _require_envelope(ex)
    _undeliverable(ocpi_context, ex)
    if ex.ocpi_status == 2002:
        pytest.skip("the target needs location information to authorize (status_code 2002)")
    judged("authorize_blocked_token", ex)
    data = one_object(ex) or {}
    allowed = data.get("allowed")
    ok = ex.status == 200 and ex.ocpi_status is not None and 1000 <= ex.ocpi_status < 2000
    if not ok or allowed in (None, "ALLOWED") or _about(ex)[0] != o["uid"]:
        _fail(
            "real-time authorization of a token that is not valid was not answered with a refusal inside an "
            "AuthorizationInfo",
            [ex],
            spec="mod_tokens.sender",
            expected=f"HTTP 200, a 1xxx status_code, allowed BLOCKED/EXPIRED/NO_CREDIT/NOT_ALLOWED for {o['uid']}",
            actual=describe_answer(ex) + (f", allowed {allowed}" if allowed else ""),
            check="authorize_blocked_token",
        )


@when("the harness asks for real-time authorization of a valid token, at a Location and two of its EVSEs")
def authorize_at_location(harness: HarnessSession, ocpi_context: ScenarioContext) -> None:
    token = _token_to_authorize(harness, ocpi_context, "valid token", valid=True)
    actor = _actor(ocpi_context)
    ref = _new_id(actor, "Location")
    references = {"location_id": ref, "evse_uids": [f"{ref}-E1", f"{ref}-E2"]}
    o = ocpi_context.objects
    o.update(token=token, references=references, uid=token["uid"], type=str(token.get("type") or "RFID"))
    o["authorize"] = actor.send(
        "POST",
        endpoint_url(actor.url, f"{token['uid']}/authorize"),
        references,
        params={"type": o["type"]},
        label=f"authorize {token['uid']} at Location {ref}",
    )


@then("the answer keeps to that Location and those EVSEs, and a hub passed them on to the eMSP as sent")
def location_references_kept(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    o = ocpi_context.objects
    ex: Exchange = o["authorize"]
    _require_envelope(ex)
    _undeliverable(ocpi_context, ex)
    if ex.ocpi_status == 2002:
        pytest.skip("the target asks for more information than a Location and EVSEs (status_code 2002)")
    _accepted(ex, "the real-time authorization at a Location", "mod_tokens.sender", ocpi_context)
    asked = o["references"]
    problems: list[str] = []
    evidence = [ex]
    # through a hub, to the harness's own eMSP identity: what its peer received is what the hub forwarded
    emsp = harness.as_role("EMSP")
    forwarded = None
    if (
        emsp is not None
        and emsp is not _actor(ocpi_context).session
        and (o["uid"], o["type"]) in emsp.peer.state.issued
    ):
        arrived = emsp.received(  # the hub forwarded before it answered: nothing to wait for
            lambda e: e.method == "POST" and urlsplit(e.url).path.endswith(f"/{o['uid']}/authorize"),
            until=time.monotonic(),
            since=ex.started,
        )
        forwarded = arrived[0] if arrived else None
        if forwarded is not None:
            evidence.append(forwarded)
            judged("authorize_location_references", forwarded)
            try:
                got = json.loads(forwarded.request_body or "null")
            except ValueError:
                got = forwarded.request_body
            if got != asked:
                problems.append(f"the eMSP received {str(got)[:120]!r}, not the LocationReferences sent")
    location = (one_object(ex) or {}).get("location")
    if isinstance(location, dict):
        judged("authorize_location_references", ex)
        extra = sorted(set(location.get("evse_uids") or []) - set(asked["evse_uids"]))
        if location.get("location_id") != asked["location_id"]:
            problems.append(f"the answer's location is {location.get('location_id')!r}, not {asked['location_id']!r}")
        if extra:
            problems.append(f"the answer allows EVSEs the request did not name: {', '.join(map(str, extra))}")
    elif forwarded is None:
        pytest.skip("the answer carries no location to compare, and the token is not one the harness issued")
    if problems:
        _fail(
            "real-time authorization did not keep to the Location and EVSEs asked about",
            evidence,
            spec="mod_tokens.sender",
            expected=f"LocationReferences {asked} reach the eMSP as sent; any location in the answer is "
            f"{asked['location_id']} with EVSEs among {asked['evse_uids']}",
            actual="; ".join(problems),
            check="authorize_location_references",
        )


# -- the smallest conforming objects (the harness as a CPO and as an eMSP writing to every Receiver it can) ----------

WRITERS = (
    ("CPO", "locations", "Location"),
    ("CPO", "tariffs", "Tariff"),
    ("CPO", "sessions", "Session"),
    ("CPO", "cdrs", "CDR"),
    ("EMSP", "tokens", "Token"),
)
"""Every (role, module, object) a Receiver is written to by the harness."""


@given("the harness may write module objects to the target")
def may_write(harness: HarnessSession) -> None:
    if harness.config.read_only:
        pytest.skip("read-only run: this scenario writes module objects to the target")


@when("the harness has written the smallest conforming object to each module Receiver it writes to")
def smallest_objects(harness: HarnessSession, ocpi_context: ScenarioContext) -> None:
    """Each module's form is usually known from the run's earlier writes; a module no scenario wrote to yet gets one
    new object of the harness's own now (retired at the end)."""
    reached: list[str] = []
    for role, module, kind in WRITERS:
        reason = check_needs(harness, (PlaysNeed(role, module, "RECEIVER", writes=True),))
        if reason:
            ocpi_context.note(f"{module} not judged: {reason}")
            continue
        session = harness.as_role(role)
        url = harness.discover().url(module, "RECEIVER")
        assert session is not None and url is not None
        actor = Actor(session, module, url)
        ocpi_context.objects["actor"] = actor
        form = harness.object_forms.get(module)
        if form is None or not form.decided:
            object_id = _new_id(actor, kind)
            target = actor.url if kind == "CDR" else actor.object_url(object_id)

            def build(full: bool, a: Actor = actor, k: str = kind, i: str = object_id) -> dict[str, Any]:
                return _shape(k, _build(a, k, i), full)

            try:
                ex, body = _send_new(
                    ocpi_context,
                    actor,
                    kind,
                    "POST" if kind == "CDR" else "PUT",
                    target,
                    build,
                    f"{'POST' if kind == 'CDR' else 'PUT'} a new {kind} {object_id}",
                    params={"type": "RFID"} if kind == "Token" else None,
                )
                require_response(ex)
                _undeliverable(ocpi_context, ex)
            except (Blocked, NotJudged) as stood_aside:
                ocpi_context.note(f"{module} not judged: {stood_aside}")
                continue
            if _ok(ex):
                _retire(actor, kind, target, body)
            if module not in harness.object_forms:  # refused for another reason than its body
                ocpi_context.objects.setdefault("not_taken", []).append((module, ex))
        reached.append(module)
    ocpi_context.objects["reached"] = reached


@then("every Receiver took the smallest conforming object")
def smallest_taken(harness: HarnessSession, ocpi_context: ScenarioContext) -> None:
    refused: list[tuple[str, ObjectForm]] = []
    judged_any = False
    for module in ocpi_context.objects.get("reached", []):
        form = harness.object_forms.get(module)
        if form is None or not form.decided:
            ocpi_context.note(f"{module} not judged: no write of the run was taken or refused for its body")
            continue
        if form.minimal_refusal is None and form.accepted is None:
            ocpi_context.note(f"{module} not judged: the target took no {module} object at all ({CREATES[module]})")
            continue
        answer = form.minimal_refusal or form.accepted
        judged("minimal_object_accepted", answer)
        if answer is not None and all(answer is not e for e in ocpi_context.evidence):
            # made by an earlier scenario's write: shown here too, so that a pass shows the answers it judged
            ocpi_context.evidence.append(answer)
        judged_any = True
        if form.minimal_refusal is not None:
            refused.append((module, form))
    not_taken = ocpi_context.objects.get("not_taken", [])
    if not judged_any and not_taken:  # every write was refused for another cause: its module's scenario owns it
        module, ex = not_taken[0]
        raise Blocked(f"the target took no {module} object of the harness's ({describe_answer(ex)})", CREATES[module])
    if refused:
        evidence = [e for _, f in refused for e in (f.minimal_refusal, f.accepted or f.refused) if e is not None]
        _fail(
            f"{len(refused)} Receiver(s) refused an object holding only its required fields: "
            + ", ".join(m for m, _ in refused),
            evidence,
            spec="transport_and_format.client_owned_objects",
            expected="the smallest conforming object taken (optional fields may be left out)",
            actual="; ".join(
                f"{m}: {describe_answer(f.minimal_refusal)}"  # type: ignore[arg-type]
                + ("; taken with every optional field present" if f.accepted is not None else "")
                for m, f in refused
            ),
            check="minimal_object_accepted",
        )
