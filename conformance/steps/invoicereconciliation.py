"""Steps for Invoice Reconciliation (OCPI 2.3.0 edition 2): records the harness issues as a CPO (direct billing).

A record names the CDRs one invoice covers; its ``country_code``/``party_id`` are the issuer's, and nothing in it
names the receiver. The harness's CPO identity POSTs records to the target's Receiver: against a hub addressed to the
harness's own eMSP identity (``OCPI-to-*``), so the record reaches no real party, except in the scenarios that test
what a hub does with a record that names no receiver. Those list either CDRs the hub never saw or a CDR the CPO
identity issued for a party that cannot exist (country ``ZZ``), and judge what the eMSP identity's peer received or
what the hub lists to that identity. Each record is deleted at the end of the run (the module's one way to retire
one).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from pytest_bdd import given, then, when

from conformance import objects as ob
from conformance.checks import run_check
from conformance.checks._registry import judged
from conformance.checks.envelope import describe_answer, require_response
from conformance.model import Blocked, Exchange, Finding
from conformance.oracle import get_oracle
from conformance.plan import Plays, check_needs
from conformance.steps.context import ScenarioContext, collect_findings
from conformance.steps.hub import _unknown_party
from conformance.steps.objects import (
    Actor,
    _accepted,
    _actor,
    _diff,
    _fail,
    _needed,
    _new_id,
    _ok,
    _send_new,
    _stored,
    _undeliverable,
    _write,
)

__all__ = ()

MODULE = "invoicereconciliation"
_RECEIVER = "mod_invoice_reconciliation.receiver"
_SENDER = "mod_invoice_reconciliation.sender"
_ROUTING = "transport_and_format.message_routing"
_QUIET = 3.0
"""Seconds the eMSP identity's peer is watched for a record the hub took that must not reach it (a hub delivers at
once or from its outbox within a second or two; a later delivery would go unseen, never be blamed wrongly)."""
_QUIET_REFUSED = 0.5
"""The same watch after the hub refused the write: it promised nothing, so nothing should be on its way."""


def quiet_for(answer: Exchange) -> float:
    """How long to watch for a delivery that must not happen, after ``answer`` to the write that could cause it."""
    taken = answer.status is not None and 200 <= answer.status < 300 and (answer.ocpi_status or 0) < 2000
    return _QUIET if taken else _QUIET_REFUSED


_PAGES = 10


def read_pages(
    send: Callable[[dict[str, str]], Exchange], params: dict[str, str], *, limit: int = 2
) -> tuple[list[Exchange], list[dict[str, Any]]]:
    """A Sender list read page by page with ``offset``/``limit`` (not by its ``Link``: where a next link leads is
    pagination.link-next's to judge, and these scenarios judge what the pages hold). Stops at an answer that is not
    a list, at X-Total-Count, at a short page, or after ``_PAGES`` pages."""
    pages: list[Exchange] = []
    listed: list[dict[str, Any]] = []
    offset = 0
    while len(pages) < _PAGES:
        ex = send({**params, "offset": str(offset), "limit": str(limit)})
        pages.append(ex)
        require_response(ex)
        if not (ex.status is not None and 200 <= ex.status < 300 and isinstance(ex.data, list)):
            break
        listed += [x for x in ex.data if isinstance(x, dict)]
        offset += len(ex.data)
        total = ex.header("X-Total-Count")
        if len(ex.data) < limit or (total is not None and total.isdigit() and offset >= int(total)):
            break
    return pages, listed


def _emsp_party(actor: Actor) -> tuple[str, str] | None:
    emsp = actor.session.config.identity_for("EMSP")
    return (emsp.party.country_code, emsp.party.party_id) if emsp is not None else None


def _addressed(actor: Actor) -> tuple[str, str] | None:
    """Whom a record is addressed to: against a hub the harness's eMSP identity (a record is one counterparty's, and
    the harness's must reach no real party); against a platform, the platform itself (the default headers)."""
    if "HUB" not in actor.session.config.roles:
        return None
    emsp = _emsp_party(actor)
    if emsp is None:
        pytest.skip(
            "a record goes to one counterparty: against a hub the harness needs an eMSP identity of its own to address "
            'it to (add an [[identities]] table with role = "EMSP")'
        )
    return emsp


def _record_url(actor: Actor, record: dict[str, Any]) -> str:
    return actor.object_url(record["id"])


def _retire(actor: Actor, record: dict[str, Any], to: tuple[str, str] | None) -> None:
    what = f"invoice reconciliation record {record['id']} deleted"
    undo = actor.undo(what, "DELETE", _record_url(actor, record))
    if to is not None:
        undo.headers["OCPI-to-country-code"], undo.headers["OCPI-to-party-id"] = to
    actor.session.on_cleanup(what, undo)


def _post_record(
    ctx: ScenarioContext, cdrs: list[str], label: str, *, to: tuple[str, str] | None, open_routing: bool = False
) -> tuple[Exchange, dict[str, Any]]:
    """POST a new record of the CPO identity listing ``cdrs`` (``open_routing``: without ``OCPI-to-*``)."""
    actor = _actor(ctx)
    record_id = _new_id(actor, "Invoice")
    cc, pid = actor.party

    def build(full: bool) -> dict[str, Any]:
        record = ob.invoice_record(cc, pid, record_id, cdrs, updated=ob.now(-120))
        return ob.fullest("InvoiceReconciliationRecord", record) if full else record

    if open_routing:  # in the form the Receiver took when the run knows it (a refusal of another form is not this)
        form = ctx.harness.object_forms.get(MODULE)
        headers = {k: v for k, v in actor.headers("POST").items() if not k.startswith("OCPI-to-")}
        body = build(form is not None and form.decided and (form.full or form.refused is not None))
        ex = actor.session.client.request(
            "POST", actor.url, token=actor.session.token, json_body=body, headers=headers, label=label
        )
        ctx.objects.setdefault("writes", []).append(ex)
    else:
        ex, body = _send_new(ctx, actor, "invoice reconciliation record", "POST", actor.url, build, label, to=to)
    if _ok(ex) and (ex.ocpi_status is None or ex.ocpi_status < 3000):  # a hub error (4001) kept nothing
        _retire(actor, body, to)
    return ex, body


def _post_cdr(ctx: ScenarioContext, emsp: tuple[str, str]) -> tuple[str, Exchange]:
    """The CPO identity POSTs a CDR for ``emsp`` to the target's cdrs Receiver (open routing: the hub sends a CDR to
    the eMSP of its cdr_token); its id, and the answer."""
    harness = ctx.harness
    reason = check_needs(harness, (Plays("CPO", "cdrs", "RECEIVER", writes=True),))
    if reason:
        pytest.skip(f"the record must list a CDR the hub routed: {reason}")
    session = harness.as_role("CPO")
    url = harness.discover().url("cdrs", "RECEIVER")
    assert session is not None and url is not None
    cdrs = Actor(session, "cdrs", url)
    cdr_id = _new_id(cdrs, "CDR")
    cc, pid = cdrs.party

    def build(full: bool) -> dict[str, Any]:
        body = ob.cdr(cc, pid, cdr_id, emsp, updated=ob.now(-120))
        return ob.fullest("CDR", body) if full else body

    # addressed as the cdrs scenarios address theirs: the hub sends a CDR to the eMSP of its cdr_token
    ex, _ = _send_new(ctx, cdrs, "CDR", "POST", url, build, f"POST a new CDR {cdr_id} for {emsp[0]}/{emsp[1]}")
    ctx.evidence.append(ex)
    note = "CDRs the harness POSTed stay on the target: OCPI has no way to remove a CDR"
    if _ok(ex) and note not in session.observations:
        session.observations.append(note)
    return cdr_id, ex


def _cdr_for_records(ctx: ScenarioContext, to: tuple[str, str] | None) -> list[str]:
    """A CDR the record's counterparty holds: the CPO identity POSTs one for the eMSP the record goes to (its own
    eMSP identity through a hub, else the target's eMSP party), so the record names a CDR the receiver knows, and a
    platform that routes records by their CDRs finds the counterparty. Empty when the harness may not write CDRs or
    the target did not take the CDR (the record then lists only CDRs the receiver has not got, which is allowed)."""
    emsp = to or ctx.harness.target_party("cdrs", "RECEIVER")
    if emsp is None or check_needs(ctx.harness, (Plays("CPO", "cdrs", "RECEIVER", writes=True),)):
        return []
    cdr_id, ex = _post_cdr(ctx, emsp)
    return [cdr_id] if _ok(ex) else []


# ## When ----------------------------------------------------------------------------------------


@when("the harness POSTs a new invoice reconciliation record under its own party id")
def post_record(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    to = _addressed(actor)
    cdrs = [*_cdr_for_records(ocpi_context, to), f"CT{actor.session.run_tag}X2", f"CT{actor.session.run_tag}X3"]
    whom = f" to {to[0]}/{to[1]}" if to else ""
    ex, body = _post_record(ocpi_context, cdrs, f"POST a new invoice reconciliation record{whom}", to=to)
    ocpi_context.objects.update(
        kind="invoice reconciliation record", body=body, url=_record_url(actor, body), answer=ex, to=to
    )
    _needed(ocpi_context, ex, "the POST of a new invoice reconciliation record", creates=True)


@when("the harness PUTs the record again with another invoice id and fewer CDRs")
def put_fewer_cdrs(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    body = {**o["body"], "invoice_id": f"{o['body']['invoice_id']}-2", "cdrs": o["body"]["cdrs"][:1]}
    body["last_updated"] = ob.now(-60)
    ex = _write(ocpi_context, "PUT", o["url"], body, "PUT the record with one CDR instead of three", to=o["to"])
    o.update(body=body, put=ex)
    _needed(ocpi_context, ex, "the PUT of the corrected record")


@when("the harness POSTs a new record listing only CDRs the hub never saw, naming no receiver")
def post_unroutable(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    if _emsp_party(actor) is None:
        pytest.skip('target.toml gives no eMSP identity to watch (add an [[identities]] table with role = "EMSP")')
    cdrs = [f"CT{actor.session.run_tag}N{n}" for n in (1, 2)]
    ex, body = _post_record(
        ocpi_context, cdrs, "POST a new record of unknown CDRs (no OCPI-to-*)", to=None, open_routing=True
    )
    ocpi_context.objects.update(body=body, answer=ex, since=ex.started)


@when("the harness POSTs a CDR for its eMSP identity, then a new record listing it, naming no receiver")
def post_routable(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    emsp = _emsp_party(actor)
    if emsp is None:
        pytest.skip('target.toml gives no eMSP identity to receive the record (add one with role = "EMSP")')
    cdr_id, cdr = _post_cdr(ocpi_context, emsp)
    require_response(cdr)
    _undeliverable(ocpi_context, cdr)
    if not _ok(cdr):
        raise Blocked(
            f"the hub did not take the CDR the record lists ({describe_answer(cdr)})", "cdrs.receiver-post-location"
        )
    ex, body = _post_record(
        ocpi_context, [cdr_id], f"POST a new record of CDR {cdr_id} (no OCPI-to-*)", to=None, open_routing=True
    )
    ocpi_context.objects.update(body=body, answer=ex, cdr=cdr, since=ex.started)


@when("the harness POSTs a new record listing a CDR it issued for an eMSP other than its own, naming no receiver")
def post_for_another(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    other = _unknown_party(actor.session)
    cdr_id, cdr = _post_cdr(ocpi_context, other)
    require_response(cdr)
    ex, body = _post_record(
        ocpi_context,
        [cdr_id],
        f"POST a new record of CDR {cdr_id} for {other[0]}/{other[1]} (no OCPI-to-*)",
        to=None,
        open_routing=True,
    )
    ocpi_context.objects.update(body=body, answer=ex, cdr=cdr, other=other)


# ## Then ----------------------------------------------------------------------------------------


@then("a GET of the record returns what was sent, its cdrs list exactly")
def get_returns_record(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    stored = _stored(ocpi_context, o["url"], "invoice reconciliation record")
    read = o["reads"][-1]
    diffs = _diff(o["body"], stored)
    if stored.get("cdrs") != o["body"]["cdrs"] and not any(d.lstrip(".").startswith("cdrs") for d in diffs):
        diffs.append(f"cdrs: sent {o['body']['cdrs']}, stored {stored.get('cdrs')}")
    judged("stored_as_sent", read)
    if diffs:
        _fail(
            "the stored invoice reconciliation record differs from what the harness sent"
            + (" (a PUT's cdrs replace the stored list)" if "put" in o else ""),
            [*o.get("writes", []), read],
            spec=_RECEIVER,
            expected="the record as last sent, its cdrs list exactly (extra fields allowed)",
            actual="; ".join(diffs[:8]),
            check="stored_as_sent",
        )


def _peer_got(ctx: ScenarioContext, record: dict[str, Any], since: float, until: float) -> list[Exchange]:
    emsp = ctx.harness.as_role("EMSP")
    assert emsp is not None
    wanted = f'"{record["id"]}"'

    def match(e: Exchange) -> bool:
        return (
            e.method in ("POST", "PUT")
            and urlsplit(e.url).path.rstrip("/").startswith(emsp.peer_path(emsp.peer.receiver_url(MODULE)))
            and wanted in (e.request_body or "")
        )

    return emsp.received(match, since=since, until=until)


@then("the record reaches the harness's eMSP identity, from the CPO identity")
def routed_to_emsp(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    answer: Exchange = o["answer"]
    require_response(answer)
    _undeliverable(ocpi_context, answer)
    got = _peer_got(ocpi_context, o["body"], o["since"], time.monotonic() + ocpi_context.harness.config.timeout)
    judged("routed_to_counterparty", answer)
    if not got:
        raise Finding(
            "a record listing a CDR the hub delivered to the harness's eMSP identity did not reach that identity",
            check="routed_to_counterparty",
            spec=_ROUTING,
            expected="the record at the eMSP identity's invoicereconciliation Receiver (the party its CDR names)",
            actual=f"the hub answered {describe_answer(answer)}; nothing arrived",
            exchanges=[o["cdr"], answer],
        )
    delivery = got[0]
    ocpi_context.evidence.append(delivery)
    cpo = (o["body"]["country_code"].upper(), o["body"]["party_id"].upper())
    sender = (
        (delivery.request_header("OCPI-from-country-code") or "").upper(),
        (delivery.request_header("OCPI-from-party-id") or "").upper(),
    )
    if sender != cpo:
        raise Finding(
            "the record reached the eMSP identity, but not FROM the CPO that issued it",
            check="routed_to_counterparty",
            spec=_ROUTING,
            expected=f"OCPI-from-* {cpo[0]}/{cpo[1]}",
            actual=f"OCPI-from-* {sender[0]}/{sender[1]}",
            exchanges=[answer, delivery],
        )


@then("the record reaches none of the harness's other identities")
def not_broadcast(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    answer: Exchange = o["answer"]
    require_response(answer)
    quiet = quiet_for(answer)
    got = _peer_got(ocpi_context, o["body"], o["since"], time.monotonic() + quiet)
    judged("not_broadcast", answer)
    ocpi_context.note(f"the hub answered {describe_answer(answer)}; the eMSP identity was watched for {quiet:.1f} s")
    if got:
        raise Finding(
            "a record naming no receiver, whose CDRs the hub never routed, reached the harness's eMSP identity",
            check="not_broadcast",
            spec=_ROUTING,
            expected="the record refused (the hub cannot tell its counterparty) or kept, never sent to a party its "
            "CDRs do not name",
            actual=f"{got[0].method} {urlsplit(got[0].url).path} at the eMSP identity",
            exchanges=[answer, *got],
        )


def _read_list(ctx: ScenarioContext, since: str) -> tuple[list[Exchange], list[dict[str, Any]]]:
    emsp = ctx.harness.as_role("EMSP")
    assert emsp is not None
    url = ctx.harness.discover().url(MODULE, "SENDER")
    assert url is not None  # the plan checked the target advertises it
    headers = emsp.routing_headers(MODULE)

    def send(params: dict[str, str]) -> Exchange:
        return emsp.client.request(
            "GET", url, token=emsp.token, params=params, headers=headers, label="GET the records list as the eMSP"
        )

    return read_pages(send, {"date_from": since})


@then("the hub does not list that record to the harness's eMSP identity")
def not_listed_to_others(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    answer: Exchange = o["answer"]
    require_response(answer)
    if ocpi_context.harness.as_role("EMSP") is None:
        pytest.skip('target.toml gives no eMSP identity to read the list as (add one with role = "EMSP")')
    if not _ok(answer):
        pytest.skip(f"the hub did not take the record for another eMSP ({describe_answer(answer)}): nothing to judge")
    pages, listed = _read_list(ocpi_context, ob.now(-3600))
    first = pages[0]
    if not (first.status is not None and 200 <= first.status < 300 and isinstance(first.data, list)):
        pytest.skip(f"the target did not answer the list ({describe_answer(first)}): nothing to judge")
    judged("records_shown_to_their_parties", first)
    other = o["other"]
    ocpi_context.note(
        f"read {len(pages)} page(s), {len(listed)} record(s); the record was issued for {other[0]}/{other[1]}"
    )
    mine = o["body"]
    shown = [
        r
        for r in listed
        if (r.get("country_code"), r.get("party_id"), r.get("id"))
        == (mine["country_code"], mine["party_id"], mine["id"])
    ]
    if shown:
        raise Finding(
            "the hub listed to the harness's eMSP identity a record issued to another party",
            check="records_shown_to_their_parties",
            spec=_ROUTING,
            expected=f"record {mine['id']} (its CDR went to {other[0]}/{other[1]}) shown to its issuer and "
            "counterparty only",
            actual=f"listed to the eMSP identity among {len(listed)} record(s)",
            exchanges=[answer, *pages],
        )


@when("the harness reads every page of the invoice reconciliation list since an hour ago")
def read_records(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    pages, _ = read_pages(
        lambda params: actor.send("GET", actor.url, params=params, label="GET the records the target lists"),
        {"date_from": ob.now(-3600)},
    )
    ocpi_context.objects["pages"] = pages


@then("every page answers records that match openapi.yaml")
def records_valid(ocpi_context: ScenarioContext) -> None:
    pages: list[Exchange] = ocpi_context.objects["pages"]
    operation = get_oracle().find(MODULE, "SENDER", "GET")
    listed = sum(len(p.data) for p in pages if isinstance(p.data, list))
    if listed == 0 and all(p.status is not None and 200 <= p.status < 300 for p in pages):
        pytest.skip("the target lists no invoice reconciliation record of the last hour (0 listed): nothing to judge")

    def judge(ex: Exchange) -> None:
        _accepted(ex, "the GET of the list", _SENDER)
        run_check("response_schema", ex, operation=operation)

    collect_findings(pages, judge, lambda e: f"page {pages.index(e) + 1}", ocpi_context.notes)
    ocpi_context.note(f"{len(pages)} page(s), {listed} record(s)")


@given("the harness's CPO identity has issued an invoice reconciliation record to its eMSP identity")
def issued_to_emsp(ocpi_context: ScenarioContext) -> None:
    """Data for the list: a record the eMSP identity is the counterparty of (none when the harness may not write or
    has no CPO identity: the list is then judged on what the target holds)."""
    harness = ocpi_context.harness
    reader = ocpi_context.objects.get("actor")
    if "HUB" not in harness.config.roles:  # a platform's Sender lists the records it issued, not the harness's
        ocpi_context.note("no record issued first: the target's Sender lists the records the target issued")
        return
    reason = check_needs(harness, (Plays("CPO", MODULE, "RECEIVER", writes=True),))
    if reason:
        ocpi_context.note(f"no record issued first: {reason}")
        return
    session = harness.as_role("CPO")
    url = harness.discover().url(MODULE, "RECEIVER")
    assert session is not None and url is not None
    writer = Actor(session, MODULE, url)
    ocpi_context.objects["actor"] = writer
    try:
        to = _addressed(writer)
        cdrs = [*_cdr_for_records(ocpi_context, to), f"CT{session.run_tag}Y1"]
        ex, _ = _post_record(ocpi_context, cdrs, "POST a new invoice reconciliation record for the list", to=to)
    finally:
        ocpi_context.objects["actor"] = reader
    _needed(ocpi_context, ex, "the POST of a new invoice reconciliation record", creates=True)
