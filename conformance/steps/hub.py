"""Steps for what a hub owes the parties around a routed request: hub errors, HubClientInfo pushes, broadcasts that
stay away from their sender, and next-page links that survive the relay.

As in ``conformance/steps/routing.py``, the harness plays a CPO and an eMSP identity, each registered on its own with
its own peer, and judges what those peers received (every peer records into the run's one recorder). Waits are bounded
by the run's timeout.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from pytest_bdd import given, then, when

from conformance import objects as ob
from conformance.checks._registry import judged
from conformance.checks.envelope import describe_answer, require_response
from conformance.model import Blocked, Exchange, Finding
from conformance.plan import Plays, check_needs
from conformance.session import HarnessSession
from conformance.steps.context import ScenarioContext
from conformance.steps.objects import _actor, _new_id, _ok, _retire, _undeliverable
from conformance.steps.routing import _require_delivery

__all__ = ()

_ROUTING = "transport_and_format.message_routing"
_LINK = re.compile(r"<([^>]*)>\s*;\s*rel=\"?next\"?", re.IGNORECASE)
_STATUSES = frozenset({"CONNECTED", "OFFLINE", "PLANNED", "SUSPENDED"})
_ECHO_GRACE = 1.0
"""Seconds to keep watching the sender's peer after the broadcast reached the other party (a hub sends a broadcast's
copies at about the same time; a later echo would go unseen, never be blamed wrongly)."""


def _party(session: HarnessSession) -> tuple[str, str]:
    return session.config.party.country_code, session.config.party.party_id


def _at(peer_url: str, method: str, path: str) -> Callable[[Exchange], bool]:
    """Matches a request with ``method`` at the peer of ``peer_url`` whose path is ``path`` (case-insensitive: the
    party segments are CiStrings)."""
    netloc = urlsplit(peer_url).netloc
    want = path.rstrip("/").lower()

    def match(e: Exchange) -> bool:
        u = urlsplit(e.url)
        return e.method == method and u.netloc == netloc and u.path.rstrip("/").lower() == want

    return match


# ## unknown receiver ----------------------------------------------------------------------------------------------


def _unknown_party(session: HarnessSession) -> tuple[str, str]:
    """A party no hub can know: country code ZZ (reserved, never a country) and a party id not among the parties the
    target's Credentials list as reachable."""
    session.target_party()  # reads the target's Credentials when the registration did not leave them
    known = {
        (str(r.get("country_code", "")).upper(), str(r.get("party_id", "")).upper())
        for r in (session._target_credentials or {}).get("roles") or []
        if isinstance(r, dict)
    }
    for n in range(100):
        candidate = ("ZZ", f"Q{n:02d}")
        if candidate not in known:
            return candidate
    pytest.skip("every party id the harness would invent is listed by the target")


@when("the harness GETs the list addressed to a party the hub does not know")
def get_unknown_receiver(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    to = _unknown_party(actor.session)
    ex = actor.send(
        "GET", actor.url, label=f"GET the {actor.module} list addressed to unknown party {to[0]}/{to[1]}", to=to
    )
    ocpi_context.objects.update(answer=ex, to=to)
    ocpi_context.note(f"the harness addressed {to[0]}/{to[1]}, a party the target does not list in its Credentials")


@then("the hub answers with status_code 4001")
def answered_4001(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    ex: Exchange = o["answer"]
    require_response(ex)
    if ex.ocpi_status is None and (ex.status is None or not 200 <= ex.status < 300):
        raise Blocked(f"the refusal (HTTP {ex.status}) has no OCPI envelope", "transport.envelope-error")
    judged("unknown_receiver_4001", ex)
    if ex.ocpi_status != 4001:
        to = o["to"]
        raise Finding(
            f"a request addressed to {to[0]}/{to[1]}, a party the hub does not know, was not answered 4001",
            check="unknown_receiver_4001",
            spec="status_codes.ocpi",
            expected="status_code 4001 (hub: unknown receiver), with any HTTP status",
            actual=describe_answer(ex),
            exchanges=[ex],
        )


# ## HubClientInfo pushes ------------------------------------------------------------------------------------------


@given("both of the harness's identities are registered with the hub")
def both_registered(harness: HarnessSession, ocpi_context: ScenarioContext) -> None:
    needs = (Plays("EMSP", "hubclientinfo", "SENDER"), Plays("CPO", "hubclientinfo", "SENDER"))
    reason = check_needs(harness, needs)
    if reason:
        pytest.skip(reason)
    emsp, cpo = harness.as_role("EMSP"), harness.as_role("CPO")
    assert emsp is not None and cpo is not None
    ocpi_context.objects.update(identities=(emsp, cpo))


@then("the identity registered first receives a ClientInfo PUT for the party registered second")
def clientinfo_pushed(ocpi_context: ScenarioContext) -> None:
    emsp, cpo = ocpi_context.objects["identities"]
    handshakes = [(s, s.registration) for s in (emsp, cpo)]
    # (a registration answered with a wrong status_code still connected the party: credentials.registration judges it)
    if any(hs is None or not s.registered_by_harness for s, hs in handshakes):
        pytest.skip(
            "an identity came with a configured token C: the harness did not see it connect in this run, so there is "
            "no connection whose ClientInfo it could wait for"
        )
    if any(s.config.carried for s, _ in handshakes):
        pytest.skip(
            "the identities connected in the run's previous pass and moved to this version by a credentials PUT: no "
            "party connected in this pass, so there is no connection whose ClientInfo it could wait for (judged in "
            "the pass where they connected)"
        )
    (watcher, seen), (newcomer, joined) = sorted(handshakes, key=lambda p: p[1].exchange.started)
    assert seen is not None and joined is not None
    if "hubclientinfo" not in watcher.peer.state.receiver_modules:
        pytest.skip("the peer of the identity registered first implements no hubclientinfo Receiver")
    if not seen.callbacks:
        raise Blocked(
            "the hub never fetched the endpoints of the identity registered first, so it cannot know its hubclientinfo "
            "Receiver",
            "credentials.registration-callback",
        )
    cc, pid = _party(newcomer)
    path = f"{urlsplit(watcher.peer.receiver_url('hubclientinfo')).path}/{cc}/{pid}"
    deadline = time.monotonic() + watcher.config.timeout
    arrived = watcher.received(_at(watcher.peer.base_url, "PUT", path), until=deadline, since=joined.exchange.started)
    found = arrived[0] if arrived else None
    ocpi_context.note(
        f"{'/'.join(_party(watcher))} registered first, {cc}/{pid} second; watched for PUT {path} at the first "
        "one's peer"
    )
    judged("clientinfo_pushed", found or joined.exchange)
    if found is None:
        raise Finding(
            f"no ClientInfo for {cc}/{pid} reached the platform already connected when {cc}/{pid} registered",
            check="clientinfo_pushed",
            spec="mod_hub_client_info.receiver",
            expected=f"a PUT of {path} at the hubclientinfo Receiver of {'/'.join(_party(watcher))} within "
            f"{watcher.config.timeout:g}s",
            actual="nothing arrived",
            exchanges=[joined.exchange],
        )
    ocpi_context.evidence.append(found)
    try:
        info = json.loads(found.request_body or "null")
    except ValueError:
        info = None
    named = (
        isinstance(info, dict)
        and str(info.get("country_code", "")).upper() == cc.upper()
        and str(info.get("party_id", "")).upper() == pid.upper()
        and info.get("status") in _STATUSES
    )
    if not named:
        raise Finding(
            f"the ClientInfo pushed for {cc}/{pid} does not describe that party",
            check="clientinfo_pushed",
            spec="mod_hub_client_info.receiver",
            expected=f"a ClientInfo with country_code {cc}, party_id {pid} and a ConnectionStatus",
            actual=(found.request_body or "an empty body")[:300],
            exchanges=[joined.exchange, found],
        )


# ## broadcast not echoed ------------------------------------------------------------------------------------------


@then("the broadcast reaches the harness's eMSP identity but not the CPO identity that sent it")
def not_echoed(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    delivery = _require_delivery(ocpi_context)  # the broadcast went out (else broadcast-delivered owns the cause)
    sender = _actor(ocpi_context).session
    if "locations" not in sender.peer.state.receiver_modules:
        pytest.skip("the CPO identity's peer implements no locations Receiver: an echo could not be seen")
    path = f"{urlsplit(sender.peer.receiver_url('locations')).path}/{o['body']['country_code']}/"
    path += f"{o['body']['party_id']}/{o['id']}"
    answer: Exchange = o["answer"]
    echoes = sender.received(
        _at(sender.peer.base_url, "PUT", path),
        until=max(time.monotonic(), delivery.finished) + _ECHO_GRACE,
        since=answer.started,
    )
    echo = echoes[0] if echoes else None
    judged("broadcast_not_echoed", answer)
    ocpi_context.note(f"watched the CPO identity's own locations Receiver for {_ECHO_GRACE:g}s after the delivery")
    if echo is not None:
        raise Finding(
            "the hub sent the broadcast back to the party that sent it",
            check="broadcast_not_echoed",
            spec=_ROUTING,
            expected="the Location delivered to the other parties (of the opposite role) only",
            actual=f"PUT {path} at the CPO identity, TO {echo.request_header('OCPI-to-country-code')}/"
            f"{echo.request_header('OCPI-to-party-id')}",
            exchanges=[answer, delivery, echo],
        )


# ## a relayed Link ------------------------------------------------------------------------------------------------


@when("the harness GETs the locations list of its CPO identity through the hub")
def get_cpo_list(harness: HarnessSession, ocpi_context: ScenarioContext) -> None:
    reason = check_needs(harness, (Plays("CPO", "locations", "RECEIVER"),))
    if reason:
        pytest.skip(reason)
    cpo = harness.as_role("CPO")
    assert cpo is not None
    if "locations" not in cpo.peer.state.sender_modules:
        pytest.skip("the CPO identity's peer serves no locations list")
    actor = _actor(ocpi_context)
    to = _party(cpo)
    ex = actor.send("GET", actor.url, label=f"GET the locations list of {to[0]}/{to[1]} through the hub", to=to)
    ocpi_context.objects.update(page=ex, to=to, cpo=cpo)


def _ids(ex: Exchange) -> list[str] | None:
    data = ex.data if ex.status is not None and 200 <= ex.status < 300 and ex.ocpi_status == 1000 else None
    if not isinstance(data, list):
        return None
    return [str(d.get("id")) for d in data if isinstance(d, dict)]


@then("the relayed page's Link leads the eMSP identity to the CPO's next page")
def link_usable(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    page: Exchange = o["page"]
    cpo: HarnessSession = o["cpo"]
    to = o["to"]
    require_response(page)
    _undeliverable(ocpi_context, page)
    served = [loc["id"] for loc in cpo.peer.served_locations()]
    first = _ids(page)
    if first is None:
        pytest.skip(
            f"the hub did not relay the GET addressed to {to[0]}/{to[1]} ({describe_answer(page)}): no page to follow"
        )
    if not first or not set(first) <= set(served):
        pytest.skip(
            "the page the hub answered is not the CPO identity's list (the hub answered the GET itself instead of "
            "relaying it to the party addressed): no relayed Link to judge"
        )
    relayed = [
        e
        for e in ocpi_context.harness.recorder.inbound_between(page.started, page.finished)
        if urlsplit(e.url).netloc == urlsplit(cpo.peer.base_url).netloc and e.method == "GET"
    ]
    ocpi_context.evidence.extend(relayed)
    rest = [i for i in served if i not in first]
    link = _LINK.search(page.header("link") or "")
    judged("relayed_link_usable", page)
    if link is None:
        if not rest:
            pytest.skip("the first relayed page held the CPO identity's whole list: there is no next page")
        raise Finding(
            "the hub relayed the first page of a party's list without a Link to the next page",
            check="relayed_link_usable",
            spec="transport_and_format.pagination",
            expected=f'Link: <...>; rel="next" (the party sent one; {len(rest)} more object(s) remain)',
            actual=f"Link: {page.header('link')}" if page.header("link") else "no Link header",
            exchanges=[page, *relayed],
        )
    url = link.group(1)
    nxt = _actor(ocpi_context).send("GET", url, label="follow the relayed Link to the next page", to=to)
    got = _ids(nxt)
    if got and set(got) <= set(rest):
        ocpi_context.note(f"the relayed Link {url} gave the next {len(got)} Location(s) of the CPO identity")
        return
    own = urlsplit(url).netloc == urlsplit(cpo.peer.base_url).netloc
    where = " (the CPO identity's own endpoint, which the requester has no token for)" if own else ""
    raise Finding(
        "the Link the hub relayed does not lead the requester to the next page",
        check="relayed_link_usable",
        spec="transport_and_format.pagination",
        expected=f"GET of the Link with the requester's token answers the next page ({', '.join(rest)})",
        actual=f"Link <{url}>{where}: {describe_answer(nxt) if nxt.status is not None else nxt.error}"
        + (f", objects {', '.join(got)}" if got else ""),
        exchanges=[page, *relayed, nxt],
    )


# ## what a GET-all shows one eMSP -----------------------------------------------------------------------------------

_MAX_PAGES = 10
"""Pages of the eMSP identity's sessions list read at most (a hub that ignores offset would repeat its first page)."""


def _second_emsp(harness: HarnessSession, ocpi_context: ScenarioContext) -> tuple[str, str] | None:
    """A second eMSP identity of target.toml (registered here on first need): a party the hub surely delivers to.
    None when target.toml gives none, or it could not register (the scenario then invents a party)."""
    first = harness.config.identity_for("EMSP")
    ident = next(
        (
            i
            for i in harness.config.identities
            if i.party.role == "EMSP" and first is not None and i.party != first.party
        ),
        None,
    )
    if ident is None:
        return None
    second = harness.as_identity(ident)
    if not second.registered:
        hs = second.ensure_registered()
        if not second.registered:
            ocpi_context.note(f"the second eMSP identity {ident.key} could not register: {hs.problem if hs else ''}")
            return None
    return _party(second)


@when("the harness PUTs a new Session for an eMSP other than its own, leaving the hub to route it")
def put_foreign_session(harness: HarnessSession, ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    other = _second_emsp(harness, ocpi_context) or _unknown_party(actor.session)
    object_id = _new_id(actor, "Session")
    cc, pid = actor.party
    body = ob.session(cc, pid, object_id, other, updated=ob.now(-120), periods=[ob.period(ob.now(-600), 1.5)])
    url = actor.object_url(object_id)
    # open routing: no OCPI-to-*, the hub routes by the cdr_token's eMSP (and may keep a copy for GET-all)
    headers = {k: v for k, v in actor.session.routing_headers(actor.module).items() if not k.startswith("OCPI-to-")}
    ex = actor.session.client.request(
        "PUT",
        url,
        token=actor.session.token,
        json_body=body,
        headers=headers,
        label=f"PUT a new Session {object_id} for eMSP {other[0]}/{other[1]} (open routing)",
    )
    ocpi_context.objects.update(kind="Session", id=object_id, url=url, body=body, answer=ex, other=other)
    if _ok(ex):
        _retire(actor, "Session", url, body)


@then("the hub lists to the harness's eMSP identity only the Sessions whose cdr_token names it")
def sessions_visible_to_their_emsp(harness: HarnessSession, ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    write: Exchange = o["answer"]
    require_response(write)
    emsp = harness.as_role("EMSP")
    if emsp is None:
        pytest.skip("target.toml gives no eMSP identity to read the sessions list as")
    url = harness.discover().url("sessions", "SENDER")
    assert url is not None  # the plan checked the target advertises it
    me = tuple(p.upper() for p in _party(emsp))
    taken = write.status is not None and 200 <= write.status < 300 and write.ocpi_status != 2001
    if taken:
        ocpi_context.note(
            f"the hub took Session {o['id']} for {o['other'][0]}/{o['other'][1]} ({describe_answer(write)})"
        )
    else:
        ocpi_context.note(
            f"the hub did not take a Session for {o['other'][0]}/{o['other'][1]} ({describe_answer(write)}): only the "
            "Sessions already on it are judged"
        )
    pages: list[Exchange] = []
    listed: list[dict[str, Any]] = []
    next_url: str | None = url
    params: dict[str, str] | None = {"date_from": ob.now(-3600)}
    headers = emsp.routing_headers("sessions")
    seen: set[str] = set()
    while next_url and len(pages) < _MAX_PAGES:
        ex = emsp.client.request(
            "GET", next_url, token=emsp.token, params=params, headers=headers, label="GET the sessions list as the eMSP"
        )
        pages.append(ex)
        require_response(ex)
        data = ex.data if ex.status is not None and 200 <= ex.status < 300 else None
        if not isinstance(data, list):
            break
        for s in data:
            if isinstance(s, dict) and f"{s.get('country_code')}/{s.get('party_id')}/{s.get('id')}" not in seen:
                seen.add(f"{s.get('country_code')}/{s.get('party_id')}/{s.get('id')}")
                listed.append(s)
        link = _LINK.search(ex.header("link") or "")
        next_url, params = (link.group(1) if link else None), None
    first = pages[0]
    if not isinstance(first.data, list) or not (first.status is not None and 200 <= first.status < 300):
        pytest.skip(f"the target did not answer the sessions list ({describe_answer(first)}): nothing to judge")
    if not taken and not listed:
        pytest.skip("the hub took no Session for another eMSP and lists none: nothing to judge")

    def owner(s: dict[str, Any]) -> tuple[str, str]:
        tok = s.get("cdr_token")
        if not isinstance(tok, dict):
            return "", ""
        return str(tok.get("country_code", "")).upper(), str(tok.get("party_id", "")).upper()

    foreign = [s for s in listed if owner(s) != me]
    judged("sessions_visible_to_their_emsp", first)
    ocpi_context.note(f"read {len(pages)} page(s), {len(listed)} Session(s) since {ob.now(-3600)}")
    if foreign:
        shown = ", ".join(f"{s.get('id')} (cdr_token {'/'.join(owner(s))})" for s in foreign[:5])
        raise Finding(
            f"the hub listed to eMSP {me[0]}/{me[1]} Sessions of other eMSPs",
            check="sessions_visible_to_their_emsp",
            spec=_ROUTING,
            expected=f"only Sessions whose cdr_token names {me[0]}/{me[1]}",
            actual=f"{len(foreign)} of {len(listed)} name another party: {shown}",
            exchanges=[write, *pages],
        )
