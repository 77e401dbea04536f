"""Invoice Reconciliation through the hub, rule by rule, in process (tests/hub/recording_hub.py: the real services,
SQLite in memory, a recording stand-in for the parties). Direct billing: the CPO NL/CPO invoices the eMSP DE/MSP;
reverse billing: the eMSP issues credit invoices to the CPO. DE/OTH is a third party that must see nothing."""

from __future__ import annotations

from typing import Any

from reference_hub.faults import Fault
from reference_hub.ocpi.models import Role
from tests.hub.recording_hub import Platform, World, run
from tests.support import examples as ex

POST = "invoicereconciliationReceiverPostRecord"
PUT = "invoicereconciliationReceiverPutRecord"
GET = "invoicereconciliationReceiverGetRecord"
DELETE = "invoicereconciliationReceiverDeleteRecord"
LIST = "invoicereconciliationSenderGetList"
IR_FAULTS = (Fault.IR_SERVED_TO_ALL, Fault.IR_BROADCAST, Fault.IR_PUT_MERGES_CDRS)
"""The fault switches the last tests here show breaking their rule."""


async def network(w: World, **options: Any) -> tuple[Platform, Platform, Platform]:
    """A CPO, its eMSP and a third party; the CPO's CDRs C1, C2 went to DE/MSP and C9 to DE/OTH through the hub."""
    cpo = await w.platform("NL", "CPO", Role.CPO)
    msp = await w.platform("DE", "MSP", Role.EMSP, **options)
    oth = await w.platform("DE", "OTH", Role.EMSP)
    for cdr_id, emsp in (("C1", msp), ("C2", msp), ("C9", oth)):
        result = await w.call(cpo, "cdrsReceiverPostCdr", body=ex.cdr("NL", "CPO", emsp.cc, emsp.pid, cdr_id), to=None)
        assert result.ok, result
    w.client.calls.clear()
    return cpo, msp, oth


def params(record: dict[str, Any]) -> dict[str, str]:
    return {"country_code": record["country_code"], "party_id": record["party_id"], "id": record["id"]}


def test_direct_billing_routes_by_the_cdrs_and_only_issuer_and_counterparty_read_the_copy() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, oth = await network(w)
        record = ex.ir_record("NL", "CPO", "R1", ["C1", "C2", "C-NOT-YET-SENT"])
        assert (await w.call(cpo, POST, body=record, to=None)).ok  # no OCPI-to-*: the CDRs name DE/MSP
        [sent] = w.client.calls
        assert (sent.method, sent.url, sent.body) == ("POST", f"{msp.base}/receiver/invoicereconciliation", record)
        assert (sent.headers["ocpi-to-party-id"], sent.headers["ocpi-from-party-id"]) == ("MSP", "CPO")

        assert (await w.call(cpo, GET, params(record), to=None)).data == record
        assert (await w.call(msp, LIST)).data == [record]
        assert (await w.call(cpo, LIST)).data == [record]
        third = await w.call(oth, LIST)
        assert (third.data, third.total) == ([], 0)
        assert await w.deliveries() == []  # never broadcast

    run(scenario)


def test_reverse_billing_goes_to_the_cpo_whose_cdrs_the_emsp_lists() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, oth = await network(w)
        credit = ex.ir_record("DE", "MSP", "SELF-1", ["C1"], invoice_id="CREDIT-7")
        assert (await w.call(msp, POST, body=credit, to=("NL", "HUB"))).ok  # TO = the hub: routed all the same
        [sent] = w.client.calls
        assert sent.url == f"{cpo.base}/receiver/invoicereconciliation" and sent.headers["ocpi-to-party-id"] == "CPO"
        assert (await w.call(cpo, LIST)).data == [credit]
        # C9 is the CPO's, but it went to DE/OTH: DE/MSP cannot credit-invoice it, and the hub cannot route it
        result = await w.call(msp, POST, body=ex.ir_record("DE", "MSP", "SELF-2", ["C9"]), to=None)
        assert result.status_code == 4001 and "OCPI-to" in (result.message or "")
        assert (await w.call(oth, LIST)).data == []

    run(scenario)


def test_what_the_hub_cannot_route_is_refused_with_4001_and_changes_nothing() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, _ = await network(w)
        unknown = await w.call(cpo, POST, body=ex.ir_record("NL", "CPO", "R1", ["NEVER-SEEN"]), to=None)
        assert unknown.status_code == 4001 and "routed none of the CDRs" in (unknown.message or "")
        mixed = await w.call(cpo, POST, body=ex.ir_record("NL", "CPO", "R2", ["C1", "C9"]), to=None)
        assert mixed.status_code == 4001 and "DE/MSP, DE/OTH" in (mixed.message or "")
        assert w.client.calls == [] and await w.deliveries() == []
        assert (
            await w.call(cpo, GET, {"country_code": "NL", "party_id": "CPO", "id": "R1"}, to=None)
        ).http_status == 404
        assert (await w.call(msp, LIST)).data == []
        # named in OCPI-to-*, the record goes there whatever the CDRs say
        assert (await w.call(cpo, POST, body=ex.ir_record("NL", "CPO", "R3", ["C9"]), to=msp)).ok
        assert [c.url for c in w.client.calls] == [f"{msp.base}/receiver/invoicereconciliation"]

    run(scenario)


def test_a_refusal_by_the_counterparty_is_relayed_and_keeps_no_copy() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, _ = await network(w)
        w.client.answer("POST", msp.base, {"status_code": 2001, "status_message": "unknown CDR", "timestamp": "x"})
        result = await w.call(cpo, POST, body=ex.ir_record("NL", "CPO", "R1", ["C1"]), to=None)
        assert (result.status_code, result.message, result.relayed) == (2001, "unknown CDR", True)
        assert (
            await w.call(cpo, GET, {"country_code": "NL", "party_id": "CPO", "id": "R1"}, to=None)
        ).http_status == 404

    run(scenario)


def test_put_replaces_the_list_goes_where_the_record_went_and_delete_follows() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, _ = await network(w)
        record = ex.ir_record("NL", "CPO", "R1", ["C1", "C2"])
        assert (await w.call(cpo, POST, body=record, to=None)).ok
        corrected = ex.ir_record("NL", "CPO", "R1", ["C2"], invoice_id="INV-1b", updated="2026-02-02T00:00:00Z")
        # even CDRs that name no one: the hub remembers where R1 went
        corrected["cdrs"] = ["C2"]
        put = await w.call(cpo, PUT, params(corrected), corrected, to=None)
        assert put.ok and put.relayed
        assert w.client.calls[-1].url == f"{msp.base}/receiver/invoicereconciliation/NL/CPO/R1"
        assert w.client.calls[-1].method == "PUT" and w.client.calls[-1].body == corrected
        stored = (await w.call(cpo, GET, params(record), to=None)).data
        assert stored["cdrs"] == ["C2"] and stored["invoice_id"] == "INV-1b"  # replaced, not merged
        assert stored["last_updated"] == "2026-02-02T00:00:00Z"  # as the issuer sent it

        assert (await w.call(cpo, DELETE, params(record), to=None)).ok
        assert (w.client.calls[-1].method, w.client.calls[-1].url) == (
            "DELETE",
            f"{msp.base}/receiver/invoicereconciliation/NL/CPO/R1",
        )
        assert (await w.call(msp, LIST)).data == []
        gone = await w.call(cpo, DELETE, params(record), to=None)
        assert (gone.http_status, gone.status_code) == (404, 2000)

    run(scenario)


def test_a_post_again_is_a_replay_only_with_the_same_content() -> None:
    async def scenario(w: World) -> None:
        cpo, _msp, _ = await network(w)
        record = ex.ir_record("NL", "CPO", "R1", ["C1"])
        assert (await w.call(cpo, POST, body=record, to=None)).ok
        assert (await w.call(cpo, POST, body=record, to=None)).ok
        other = await w.call(cpo, POST, body={**record, "invoice_id": "INV-2"}, to=None)
        assert other.status_code == 2001 and "PUT" in (other.message or "")
        assert len(w.client.calls) == 2
        assert (await w.call(cpo, GET, params(record), to=None)).data == record

    run(scenario)


def test_bad_records_and_wrong_owners_are_refused_before_anything_is_sent() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, _ = await network(w)
        nsp = await w.platform("FR", "NSP", Role.NSP)
        good = ex.ir_record("NL", "CPO", "R1", ["C1"])
        for bad, word in (
            ({**good, "cdrs": []}, "cdrs"),
            ({k: v for k, v in good.items() if k != "invoice_id"}, "invoice_id"),
            ({**good, "id": "x" * 37}, "id"),
            ({**good, "cdrs": ["x" * 40]}, "cdrs"),
            ({**good, "last_updated": "2026-02-01T00:00:00+00:00"}, "last_updated"),
        ):
            result = await w.call(cpo, POST, body=bad, to=None)
            assert result.status_code == 2001 and word in (result.message or ""), (bad, result)
        elsewhere = await w.call(msp, POST, body=good, to=cpo)  # NL/CPO's record, sent by DE/MSP's platform
        assert (elsewhere.http_status, elsewhere.status_code) == (404, 2000)
        role = await w.call(nsp, POST, body=ex.ir_record("FR", "NSP", "R9", ["C1"]), to=cpo)
        assert role.status_code == 2000 and "CPO or EMSP" in (role.message or "")
        mismatch = await w.call(cpo, PUT, {"country_code": "NL", "party_id": "CPO", "id": "R2"}, good, to=msp)
        assert mismatch.status_code == 2001
        assert w.client.calls == []
        # unknown fields are taken (2.3.0), and the record is forwarded byte for byte
        assert (await w.call(cpo, POST, body={**good, "x_note": 1}, to=None)).ok
        assert w.client.calls[-1].body["x_note"] == 1

    run(scenario)


def test_a_counterparty_without_a_receiver_pulls_the_record_from_the_hub() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, _ = await network(w, senders_only=["invoicereconciliation"])
        record = ex.ir_record("NL", "CPO", "R1", ["C1"])
        result = await w.call(cpo, POST, body=record, to=None)
        assert (result.status_code, result.http_status, result.relayed) == (1000, 201, False)
        assert w.client.calls == []
        assert (await w.call(msp, LIST)).data == [record]
        # the issuer's own list, asked of the issuer through the hub (OCPI-to-* = the CPO), is forwarded
        assert (await w.call(msp, LIST, to=cpo, query="offset=0")).relayed
        assert w.client.calls[-1].url == f"{cpo.base}/sender/invoicereconciliation?offset=0"

    run(scenario)


def test_fault_ir_served_to_all_shows_records_to_a_third_party() -> None:
    async def scenario(w: World) -> None:
        cpo, _msp, oth = await network(w)
        record = ex.ir_record("NL", "CPO", "R1", ["C1"])
        assert (await w.call(cpo, POST, body=record, to=None)).ok
        assert (await w.call(oth, LIST)).data == [record]

    run(scenario, Fault.IR_SERVED_TO_ALL)


def test_fault_ir_broadcast_sends_what_cannot_be_routed_to_everyone() -> None:
    async def scenario(w: World) -> None:
        cpo, _msp, _oth = await network(w)
        assert (await w.call(cpo, POST, body=ex.ir_record("NL", "CPO", "R1", ["NEVER-SEEN"]), to=None)).ok
        receivers = sorted(d.receiver for d in await w.deliveries())
        assert receivers == ["DE-MSP", "DE-OTH"]

    run(scenario, Fault.IR_BROADCAST)


def test_fault_ir_put_merges_cdrs_keeps_the_old_list() -> None:
    async def scenario(w: World) -> None:
        cpo, _msp, _ = await network(w)
        record = ex.ir_record("NL", "CPO", "R1", ["C1", "C2"])
        assert (await w.call(cpo, POST, body=record, to=None)).ok
        assert (await w.call(cpo, PUT, params(record), {**record, "cdrs": ["C2"]}, to=None)).ok
        assert (await w.call(cpo, GET, params(record), to=None)).data["cdrs"] == ["C1", "C2"]

    run(scenario, Fault.IR_PUT_MERGES_CDRS)
