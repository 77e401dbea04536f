"""Invoice Reconciliation and Bookings through a real hub process between real party processes: a CPO (NL/CPO), two
eMSPs (DE/MSP, DE/OTH) and an eMSP platform that does not implement bookings (FR/NOB). Each party records what it
receives; the rules one by one are in tests/hub/, these prove them on the wire: pushes, reads back, direct and open
routing, broadcast, visibility and refusals."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.test_objects import Platform, V, ok, refused, register
from tests.e2e.test_routing import received
from tests.support import examples as ex
from tests.support.processes import HubProcess, PartyProcess

# The tests below are one story told in order on one hub (each builds on what the ones before it stored): one worker
# runs them all (make test distributes with --dist loadgroup).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("addon-world")]

IR = "/receiver/invoicereconciliation"


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    hub = HubProcess(tmp_path_factory.mktemp("addons") / "hub.db").start()
    parties = {
        "cpo": PartyProcess("NL", "CPO").start(),
        "msp": PartyProcess("DE", "MSP", "--role", "EMSP").start(),
        "oth": PartyProcess("DE", "OTH", "--role", "EMSP").start(),
        "nob": PartyProcess("FR", "NOB", "--role", "EMSP", "--disable", "bookings").start(),
    }
    try:
        found: dict[str, Any] = {"hub": hub, "parties": parties}
        for name, p in parties.items():
            found[name] = Platform(hub, p.country, p.party, register(hub, p), p)
        # the CDRs an invoice will cover: C1 and C2 went to DE/MSP, C9 to DE/OTH (open routing by cdr_token)
        cpo = found["cpo"]
        for cdr_id, emsp in (("C1", "MSP"), ("C2", "MSP"), ("C9", "OTH")):
            ok(
                cpo.call(
                    "POST", "/receiver/cdrs", ex.cdr("NL", "CPO", "DE", emsp, cdr_id), headers=cpo.headers(to=None)
                ),
                201,
            )
        yield found
    finally:
        for p in parties.values():
            p.stop()
        hub.stop()


def at(party: PartyProcess, method: str, path: str) -> list[dict[str, Any]]:
    """What ``party`` received with this method at this path (waiting up to 10 s for one)."""
    return received(party, lambda r: r["method"] == method and r["path"] == f"{V}{path}")


def nothing_more(party: PartyProcess, path_part: str, before: int) -> bool:
    return len([r for r in party.http.get("/control/received").json() if path_part in r["path"]]) == before


def test_version_details_list_both_interfaces_of_both_modules(net: dict[str, Any]) -> None:
    hub, msp = net["hub"], net["msp"]
    details = httpx.get(f"{hub.base_url}{V}", headers=msp.headers(to=None)).json()["data"]["endpoints"]
    advertised = {(e["identifier"], e["role"]): e["url"] for e in details}
    for module in ("invoicereconciliation", "bookings"):
        for role in ("SENDER", "RECEIVER"):
            assert advertised[(module, role)] == f"{hub.base_url}{V}/{role.lower()}/{module}"


def test_an_invoice_record_goes_to_the_emsp_its_cdrs_went_to_and_only_they_read_it(net: dict[str, Any]) -> None:
    cpo, msp, oth, parties = net["cpo"], net["msp"], net["oth"], net["parties"]
    record = ex.ir_record("NL", "CPO", "R1", ["C1", "C2"])
    ok(cpo.call("POST", IR, record, headers=cpo.headers(to=None)), 201)  # no OCPI-to-*: the CDRs name DE/MSP
    [got] = at(parties["msp"], "POST", IR)
    assert got["body"] == record
    assert (got["headers"]["ocpi-to-party-id"], got["headers"]["ocpi-from-party-id"]) == ("MSP", "CPO")

    assert ok(cpo.call("GET", f"{IR}/NL/CPO/R1", headers=cpo.headers(to=None)))["data"] == record
    assert ok(msp.call("GET", "/sender/invoicereconciliation"))["data"] == [record]
    listed = oth.call("GET", "/sender/invoicereconciliation")
    assert ok(listed)["data"] == [] and listed.headers["X-Total-Count"] == "0"

    corrected = ex.ir_record("NL", "CPO", "R1", ["C2"], invoice_id="INV-1b", updated="2026-02-02T00:00:00Z")
    ok(cpo.call("PUT", f"{IR}/NL/CPO/R1", corrected, headers=cpo.headers(to=None)))  # where R1 went before
    [put] = at(parties["msp"], "PUT", f"{IR}/NL/CPO/R1")
    assert put["body"] == corrected
    # the CPO reads back what the eMSP stored (its Receiver, through the hub)
    assert ok(cpo.call("GET", f"{IR}/NL/CPO/R1", headers=cpo.headers(to=("DE", "MSP"))))["data"] == corrected
    assert ok(msp.call("GET", "/sender/invoicereconciliation"))["data"][0]["cdrs"] == ["C2"]

    ok(cpo.call("DELETE", f"{IR}/NL/CPO/R1", headers=cpo.headers(to=None)))
    assert at(parties["msp"], "DELETE", f"{IR}/NL/CPO/R1")
    assert ok(msp.call("GET", "/sender/invoicereconciliation"))["data"] == []
    refused(cpo.call("GET", f"{IR}/NL/CPO/R1", headers=cpo.headers(to=None)), 2000, 404)


def test_reverse_billing_and_what_cannot_be_routed(net: dict[str, Any]) -> None:
    cpo, msp, parties = net["cpo"], net["msp"], net["parties"]
    credit = ex.ir_record("DE", "MSP", "SELF-1", ["C1"], invoice_id="CREDIT-1")
    ok(msp.call("POST", IR, credit), 201)  # OCPI-to-* = the hub: routed by its CDRs all the same, never broadcast
    [got] = at(parties["cpo"], "POST", IR)
    assert got["body"] == credit and got["headers"]["ocpi-to-party-id"] == "CPO"
    assert ok(cpo.call("GET", "/sender/invoicereconciliation"))["data"] == [credit]

    seen = {name: len(p.http.get("/control/received").json()) for name, p in parties.items()}
    unknown = refused(
        cpo.call("POST", IR, ex.ir_record("NL", "CPO", "R7", ["NOPE"]), headers=cpo.headers(to=None)), 4001
    )
    assert "OCPI-to" in unknown
    assert "DE/MSP, DE/OTH" in refused(
        cpo.call("POST", IR, ex.ir_record("NL", "CPO", "R8", ["C1", "C9"]), headers=cpo.headers(to=None)), 4001
    )
    assert "cdrs" in refused(
        cpo.call("POST", IR, ex.ir_record("NL", "CPO", "R9", []), headers=cpo.headers(to=None)), 2001
    )
    refused(
        msp.call("POST", IR, ex.ir_record("NL", "CPO", "R10", ["C1"]), headers=msp.headers(to=("NL", "CPO"))), 2000, 404
    )
    time.sleep(0.3)  # a broadcast would have been sent by now
    assert {name: len(p.http.get("/control/received").json()) for name, p in parties.items()} == seen
    refused(cpo.call("GET", f"{IR}/NL/CPO/R7", headers=cpo.headers(to=None)), 2000, 404)


def test_booking_locations_are_broadcast_to_emsps_with_the_module_and_read_back_with_a_window(
    net: dict[str, Any],
) -> None:
    cpo, msp, parties = net["cpo"], net["msp"], net["parties"]
    bl = ex.booking_location("NL", "CPO")
    path = "/receiver/bookings/NL/CPO/booking_locations/BL1"
    ok(cpo.call("PUT", path, bl), 201)
    for name in ("msp", "oth"):
        [got] = at(parties[name], "PUT", path)
        assert got["body"] == bl and got["headers"]["ocpi-from-party-id"] == "HUB"
    patch = {"timeslot_increment": 30, "last_updated": "2026-03-02T00:00:00Z"}
    ok(cpo.call("PATCH", f"{path}/CAL1", patch))
    [got] = at(parties["msp"], "PATCH", f"{path}/CAL1")
    assert got["body"] == patch
    assert at(parties["oth"], "PATCH", f"{path}/CAL1")
    assert nothing_more(parties["nob"], "/bookings", 0) and nothing_more(parties["cpo"], "/receiver/bookings", 0)

    window = {"timeslot_from": "2026-03-10T09:00:00Z", "timeslot_to": "2026-03-10T16:00:00Z"}
    [served] = ok(msp.call("GET", "/sender/bookings/booking_locations", params=window))["data"]
    assert served["last_updated"] == "2026-03-02T00:00:00Z"  # the Calendar's change is the BookingLocation's
    assert served["calendars"][0]["available_timeslots"] == [bl["calendars"][0]["available_timeslots"][1]]
    calendar = ok(msp.call("GET", "/sender/bookings/booking_locations/BL1/CAL1"))["data"]
    assert calendar["timeslot_increment"] == 30 and len(calendar["available_timeslots"]) == 2
    assert "last_updated" in refused(cpo.call("PATCH", f"{path}/CAL1", {"timeslot_increment": 5}), 2001)
    refused(msp.call("GET", "/sender/bookings/booking_locations/NOPE"), 2000, 404)


def test_a_booking_request_goes_to_the_cpo_and_its_booking_comes_back_to_the_emsp(net: dict[str, Any]) -> None:
    cpo, msp, oth, parties = net["cpo"], net["msp"], net["oth"], net["parties"]
    parties["cpo"].control("set", {"serve": {"bookings/booking_locations": [ex.booking_location("NL", "CPO")]}})
    request = ex.booking_request("DE", "MSP", "REQ1")
    booking = ok(msp.call("POST", "/sender/bookings", request, headers=msp.headers(to=None)))[
        "data"
    ]  # by its BookingLocation
    [got] = at(parties["cpo"], "POST", "/sender/bookings")
    assert got["body"] == request and got["headers"]["ocpi-from-party-id"] == "MSP"
    assert booking["reservation_status"] == "RESERVED" and booking["request_id"] == "REQ1"
    assert ok(msp.call("GET", "/sender/bookings"))["data"] == [booking]
    assert ok(oth.call("GET", "/sender/bookings"))["data"] == []

    # a timeslot the CPO does not offer: its refusal, relayed
    late = ex.booking_request("DE", "MSP", "REQ2", start="2026-03-10T11:00:00Z", end="2026-03-10T12:00:00Z")
    assert (
        ok(msp.call("POST", "/sender/bookings", late, headers=msp.headers(to=None)))["data"]["reservation_status"]
        == "REJECTED"
    )

    # the CPO's later change of REQ1's Booking, without OCPI-to-*: to the eMSP that booked it
    update = {"reservation_status": "FULFILLED", "last_updated": "2026-03-10T09:00:00Z"}
    ok(cpo.call("PATCH", f"/receiver/bookings/NL/CPO/{booking['id']}", update, headers=cpo.headers(to=None)))
    [patched] = at(parties["msp"], "PATCH", f"/receiver/bookings/NL/CPO/{booking['id']}")
    assert patched["body"] == update and patched["headers"]["ocpi-to-party-id"] == "MSP"
    assert nothing_more(parties["oth"], f"/{booking['id']}", 0)
    assert ok(msp.call("GET", "/sender/bookings"))["data"][0]["reservation_status"] == "FULFILLED"

    before = len(parties["cpo"].http.get("/control/received").json())
    v10 = {k: v for k, v in request.items() if k != "booking_location_id"} | {
        "period": {"start_from": "2026-03-10T08:00:00Z", "end_before": "2026-03-10T09:00:00Z"}
    }
    assert "Bookings 1.0" in refused(msp.call("POST", "/sender/bookings", v10, headers=msp.headers(to=None)), 2001)
    assert "OCPI-to" in refused(
        msp.call(
            "POST",
            "/sender/bookings",
            ex.booking_request("DE", "MSP", booking_location_id="X", location_id="Y"),
            headers=msp.headers(to=None),
        ),
        4001,
    )
    assert "DE/OTH" in refused(
        msp.call("POST", "/sender/bookings", ex.booking_request("DE", "OTH"), headers=msp.headers(to=("NL", "CPO"))),
        2001,
    )
    assert len(parties["cpo"].http.get("/control/received").json()) == before
