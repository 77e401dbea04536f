"""Invoice Reconciliation through the hub, rule by rule, in process (tests/hub/inprocess.py). Direct billing: the CPO
NL/CPO invoices the eMSP DE/MSP; reverse billing: the eMSP issues credit invoices to the CPO. DE/OTH is a third party
that must see nothing. The module's fault switches are checked in test_faults.py with the others."""

from __future__ import annotations

from typing import Any

import pytest

from reference_hub.ocpi.models import InterfaceRole, Role
from tests.hub.inprocess import INTERFACES, Hub, World, ocpi, world_of
from tests.support import examples as ex

pytestmark = pytest.mark.anyio

POST = "invoicereconciliationReceiverPostRecord"
PUT = "invoicereconciliationReceiverPutRecord"
GET = "invoicereconciliationReceiverGetRecord"
DELETE = "invoicereconciliationReceiverDeleteRecord"
LIST = "invoicereconciliationSenderGetList"


async def routed_cdrs(w: World) -> World:
    """The CPO's CDRs C1, C2 went to DE/MSP and C9 to DE/OTH through the hub (what routes a record by its CDRs)."""
    for cdr_id, emsp in (("C1", w.msp), ("C2", w.msp), ("C9", w.oth)):
        answer = await w.hub.send(
            "cdrsReceiverPostCdr", w.cpo, body=ex.cdr("NL", "CPO", emsp.cc, emsp.pid, cdr_id), to=None
        )
        assert answer.ok, answer
    w.hub.client.calls.clear()
    return w


@pytest.fixture
async def net(world: World) -> World:
    return await routed_cdrs(world)


def ids(record: dict[str, Any]) -> tuple[str, str, str]:
    return record["country_code"], record["party_id"], record["id"]


async def test_direct_billing_routes_by_the_cdrs_and_only_issuer_and_counterparty_read_the_copy(net: World) -> None:
    hub, cpo, msp, oth = net.hub, net.cpo, net.msp, net.oth
    record = ex.ir_record("NL", "CPO", "R1", ["C1", "C2", "C-NOT-YET-SENT"])
    assert (await hub.send(POST, cpo, body=record, to=None)).ok  # no OCPI-to-*: the CDRs name DE/MSP
    [sent] = hub.client.calls
    assert (sent.method, sent.url, sent.json()) == ("POST", msp.url("RECEIVER", "invoicereconciliation"), record)
    assert (sent.header("OCPI-to-party-id"), sent.header("OCPI-from-party-id")) == ("MSP", "CPO")

    assert (await hub.send(GET, cpo, *ids(record), to=None)).data == record
    assert (await hub.send(LIST, msp)).data == [record]
    assert (await hub.send(LIST, cpo)).data == [record]
    third = await hub.send(LIST, oth)
    assert (third.data, third.total) == ([], 0)
    assert await hub.outbox() == []  # never broadcast


async def test_reverse_billing_goes_to_the_cpo_whose_cdrs_the_emsp_lists(net: World) -> None:
    hub, cpo, msp, oth = net.hub, net.cpo, net.msp, net.oth
    credit = ex.ir_record("DE", "MSP", "SELF-1", ["C1"], invoice_id="CREDIT-7")
    assert (await hub.send(POST, msp, body=credit, to="hub")).ok  # TO = the hub: routed all the same
    [sent] = hub.client.calls
    assert sent.url == cpo.url("RECEIVER", "invoicereconciliation") and sent.header("OCPI-to-party-id") == "CPO"
    assert (await hub.send(LIST, cpo)).data == [credit]
    # C9 is the CPO's, but it went to DE/OTH: DE/MSP cannot credit-invoice it, and the hub cannot route it
    answer = await hub.send(POST, msp, body=ex.ir_record("DE", "MSP", "SELF-2", ["C9"]), to=None)
    assert answer.status_code == 4001 and "OCPI-to" in (answer.message or "")
    assert (await hub.send(LIST, oth)).data == []


async def test_what_the_hub_cannot_route_is_refused_with_4001_and_changes_nothing(net: World) -> None:
    hub, cpo, msp = net.hub, net.cpo, net.msp
    unknown = await hub.send(POST, cpo, body=ex.ir_record("NL", "CPO", "R1", ["NEVER-SEEN"]), to=None)
    assert unknown.status_code == 4001 and "routed none of the CDRs" in (unknown.message or "")
    mixed = await hub.send(POST, cpo, body=ex.ir_record("NL", "CPO", "R2", ["C1", "C9"]), to=None)
    assert mixed.status_code == 4001 and "DE/MSP, DE/OTH" in (mixed.message or "")
    assert hub.client.calls == [] and await hub.outbox() == []
    assert (await hub.send(GET, cpo, "NL", "CPO", "R1", to=None)).http_status == 404
    assert (await hub.send(LIST, msp)).data == []
    # named in OCPI-to-*, the record goes there whatever the CDRs say
    assert (await hub.send(POST, cpo, body=ex.ir_record("NL", "CPO", "R3", ["C9"]), to=msp)).ok
    assert [c.url for c in hub.client.calls] == [msp.url("RECEIVER", "invoicereconciliation")]


async def test_a_refusal_by_the_counterparty_is_relayed_and_keeps_no_copy(net: World) -> None:
    hub, cpo, msp = net.hub, net.cpo, net.msp
    hub.client.answer("POST", msp.base, ocpi(status_code=2001, message="unknown CDR"))
    answer = await hub.send(POST, cpo, body=ex.ir_record("NL", "CPO", "R1", ["C1"]), to=None)
    assert (answer.status_code, answer.message, answer.relayed) == (2001, "unknown CDR", True)
    assert (await hub.send(GET, cpo, "NL", "CPO", "R1", to=None)).http_status == 404


async def test_put_replaces_the_list_goes_where_the_record_went_and_delete_follows(net: World) -> None:
    hub, cpo, msp = net.hub, net.cpo, net.msp
    record = ex.ir_record("NL", "CPO", "R1", ["C1", "C2"])
    assert (await hub.send(POST, cpo, body=record, to=None)).ok
    corrected = ex.ir_record("NL", "CPO", "R1", ["C2"], invoice_id="INV-1b", updated="2026-02-02T00:00:00Z")
    # even CDRs that name no one: the hub remembers where R1 went
    corrected["cdrs"] = ["C2"]
    put = await hub.send(PUT, cpo, *ids(corrected), body=corrected, to=None)
    assert put.ok and put.relayed
    last = hub.client.calls[-1]
    assert (last.method, last.url, last.json()) == (
        "PUT",
        msp.url("RECEIVER", "invoicereconciliation", "/NL/CPO/R1"),
        corrected,
    )
    stored = (await hub.send(GET, cpo, *ids(record), to=None)).data
    assert stored["cdrs"] == ["C2"] and stored["invoice_id"] == "INV-1b"  # replaced, not merged
    assert stored["last_updated"] == "2026-02-02T00:00:00Z"  # as the issuer sent it

    assert (await hub.send(DELETE, cpo, *ids(record), to=None)).ok
    last = hub.client.calls[-1]
    assert (last.method, last.url) == ("DELETE", msp.url("RECEIVER", "invoicereconciliation", "/NL/CPO/R1"))
    assert (await hub.send(LIST, msp)).data == []
    gone = await hub.send(DELETE, cpo, *ids(record), to=None)
    assert (gone.http_status, gone.status_code) == (404, 2000)


async def test_a_post_again_is_a_replay_only_with_the_same_content(net: World) -> None:
    hub, cpo = net.hub, net.cpo
    record = ex.ir_record("NL", "CPO", "R1", ["C1"])
    assert (await hub.send(POST, cpo, body=record, to=None)).ok
    assert (await hub.send(POST, cpo, body=record, to=None)).ok
    other = await hub.send(POST, cpo, body={**record, "invoice_id": "INV-2"}, to=None)
    assert other.status_code == 2001 and "PUT" in (other.message or "")
    assert len(hub.client.calls) == 2
    assert (await hub.send(GET, cpo, *ids(record), to=None)).data == record


async def test_bad_records_and_wrong_owners_are_refused_before_anything_is_sent(net: World) -> None:
    hub, cpo, msp = net.hub, net.cpo, net.msp
    nsp = await hub.register("FR", "NSP", Role.NSP)
    good = ex.ir_record("NL", "CPO", "R1", ["C1"])
    for bad, word in (
        ({**good, "cdrs": []}, "cdrs"),
        ({k: v for k, v in good.items() if k != "invoice_id"}, "invoice_id"),
        ({**good, "id": "x" * 37}, "id"),
        ({**good, "cdrs": ["x" * 40]}, "cdrs"),
        ({**good, "last_updated": "2026-02-01T00:00:00+00:00"}, "last_updated"),
    ):
        answer = await hub.send(POST, cpo, body=bad, to=None)
        assert answer.status_code == 2001 and word in (answer.message or ""), (bad, answer)
    elsewhere = await hub.send(POST, msp, body=good, to=cpo)  # NL/CPO's record, sent by DE/MSP's platform
    assert (elsewhere.http_status, elsewhere.status_code) == (404, 2000)
    role = await hub.send(POST, nsp, body=ex.ir_record("FR", "NSP", "R9", ["C1"]), to=cpo)
    assert role.status_code == 2000 and "CPO or EMSP" in (role.message or "")
    mismatch = await hub.send(PUT, cpo, "NL", "CPO", "R2", body=good, to=msp)
    assert mismatch.status_code == 2001
    assert hub.client.calls == [] and await hub.stored("invoicereconciliation", "NL/CPO", "R1") is None
    # unknown fields are taken (2.3.0), and the record is forwarded byte for byte
    assert (await hub.send(POST, cpo, body={**good, "x_note": 1}, to=None)).ok
    assert hub.client.calls[-1].json()["x_note"] == 1


async def test_a_counterparty_without_a_receiver_pulls_the_record_from_the_hub(hub: Hub) -> None:
    pulls_only = [i for i in INTERFACES[Role.EMSP] if i != ("invoicereconciliation", InterfaceRole.RECEIVER)]
    w = await world_of(hub)
    msp = await hub.register("DE", "PUL", Role.EMSP, interfaces=pulls_only)
    cdr = await hub.send("cdrsReceiverPostCdr", w.cpo, body=ex.cdr("NL", "CPO", "DE", "PUL", "C5"), to=None)
    assert cdr.ok
    hub.client.calls.clear()
    record = ex.ir_record("NL", "CPO", "R1", ["C5"])
    answer = await hub.send(POST, w.cpo, body=record, to=None)
    assert (answer.status_code, answer.http_status, answer.relayed) == (1000, 201, False)
    assert hub.client.calls == []
    assert (await hub.send(LIST, msp)).data == [record]
    # the issuer's own list, asked of the issuer through the hub (OCPI-to-* = the CPO), is forwarded
    assert (await hub.send(LIST, msp, to=w.cpo, query="offset=0")).relayed
    assert hub.client.calls[-1].url == w.cpo.url("SENDER", "invoicereconciliation", "?offset=0")
