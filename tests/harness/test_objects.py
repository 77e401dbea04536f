"""The objects the harness writes are valid for their version's description; its peer keeps what it is sent; the plan
is static."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator

import httpx
import pytest

from conformance import objects as ob
from conformance import versions
from conformance.catalog import read_catalog
from conformance.client import Recorder
from conformance.oracle import get_oracle
from conformance.peer import PeerServer
from conformance.plan import NEEDS, Plays, static_plan, static_reason
from conformance.target import TEMPLATE, PartyIdentity, parse_target


def _all() -> list[tuple[str, dict]]:
    u = ob.now()
    place = ob.booking_location("NL", "CTC", "BL1", updated=u)
    request = ob.booking_request(("NL", "CTH"), "R1", place, start=ob.now(86400), end=ob.now(90000))
    return [
        ("Location", ob.location("NL", "CTC", "L1", updated=u)),
        ("Tariff", ob.tariff("NL", "CTC", "T1", updated=u)),
        ("Session", ob.session("NL", "CTC", "S1", ("NL", "CTH"), updated=u, periods=[ob.period(u, 1.0)])),
        ("CDR", ob.cdr("NL", "CTC", "C1", ("NL", "CTH"), updated=u)),
        ("Token", ob.token("NL", "CTH", "U1", updated=u)),
        ("EVSE", ob.evse("E1", updated=u)),
        ("Connector", ob.connector("1", updated=u)),
        ("InvoiceReconciliationRecord", ob.invoice_record("NL", "CTC", "I1", ["C1", "C2"], updated=u)),
        ("BookingLocation", place),
        ("Calendar", place["calendars"][0]),
        ("BookingRequest", request),
        ("Booking", ob.booking("NL", "CTC", "B1", request, updated=u)),
    ]


@pytest.fixture(params=versions.KNOWN)
def version(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each version the harness certifies, made the version under test for the duration of the test."""
    before = versions.current()
    versions.use(request.param)
    yield request.param
    versions.use(before)


_SCHEMAS = ("Location", "Tariff", "Session", "CDR", "Token", "EVSE", "Connector")


@pytest.mark.parametrize("index", range(len(_SCHEMAS)), ids=_SCHEMAS)
def test_every_object_the_harness_writes_is_valid_for_its_version(version: str, index: int) -> None:
    schema, obj = _all()[index]
    oracle = get_oracle()
    assert oracle.version == version
    assert oracle.validate_component(schema, obj) == []
    assert obj["last_updated"].endswith("Z") and len(obj["last_updated"]) == 20
    # and no field the version does not define (2.2.1 objects carry no 2.3.0 field: V221-10)
    properties = oracle.document["components"]["schemas"][schema].get("properties", {})
    assert set(obj) <= set(properties), set(obj) - set(properties)


_ADDONS = [(s, o) for s, o in _all() if s not in _SCHEMAS]


@pytest.mark.parametrize(("schema", "obj"), _ADDONS, ids=[s for s, _ in _ADDONS])
def test_every_add_on_object_the_harness_writes_is_valid_for_openapi(schema: str, obj: dict) -> None:
    """Invoice Reconciliation and Bookings exist in 2.3.0 only."""
    assert get_oracle().validate_component(schema, obj) == []
    stamp = obj.get("last_updated", obj.get("period", {}).get("start_date_time"))  # a BookingRequest has none
    assert stamp.endswith("Z") and len(stamp) == 20


def test_every_writing_scenario_plays_an_identity_and_read_only_skips_it() -> None:
    config = parse_target(tomllib.loads(TEMPLATE))
    ro = parse_target({**tomllib.loads(TEMPLATE), "run": {"read_only": True}})
    writers = [sid for sid, needs in NEEDS.items() if any(isinstance(n, Plays) and n.writes for n in needs)]
    assert len(writers) >= 12
    for sid in writers:
        assert static_reason(config, NEEDS[sid]) is None, sid
        assert (static_reason(ro, NEEDS[sid]) or "").startswith("read-only run: "), sid


def test_the_plan_names_a_missing_identity() -> None:
    one = parse_target({"versions_url": "http://127.0.0.1/v", "token_a": "a", "roles": ["CPO"]})  # an eMSP only
    lines = {p.id: p for p in static_plan(one, read_catalog())}
    assert not lines["locations.receiver-put-get"].runs
    assert "no CPO identity" in lines["locations.receiver-put-get"].why
    assert lines["tokens.receiver-put-get-by-type"].runs
    assert "as EMSP writes to tokens RECEIVER" in lines["tokens.receiver-put-get-by-type"].why
    assert lines["credentials.registration"].runs


def test_the_peer_keeps_what_it_is_sent_like_a_receiver() -> None:
    peer = PeerServer(Recorder(), PartyIdentity(role="EMSP"), receiver_modules=("sessions", "cdrs"))
    peer.state.sender_modules = ("tokens",)
    with peer:
        peer.accept_token("tok", "B")
        h = {"Authorization": "Token dG9r", "OCPI-from-country-code": "NL", "OCPI-from-party-id": "CPO"}
        base = peer.details_url
        u = ob.now()
        s = ob.session("NL", "CPO", "S1", ("NL", "CTH"), updated=u, periods=[ob.period(u, 1.0)])
        with httpx.Client(headers=h) as c:
            assert c.put(f"{base}/receiver/sessions/NL/CPO/S1", json=s).status_code == 201
            extra = ob.period(u, 2.0)
            c.patch(f"{base}/receiver/sessions/NL/CPO/S1", json={"charging_periods": [extra], "last_updated": u})
            held = c.get(f"{base}/receiver/sessions/NL/CPO/S1").json()["data"]
            assert held["charging_periods"] == [*s["charging_periods"], extra]
            cdr = ob.cdr("NL", "CPO", "C1", ("NL", "CTH"), updated=u)
            first = c.post(f"{base}/receiver/cdrs", json=cdr)
            assert first.status_code == 201 and first.headers["location"].endswith("/receiver/cdrs/C1")
            assert first.headers["ocpi-to-party-id"] == "CPO" and first.headers["ocpi-from-party-id"] == "CTH"
            again = c.post(f"{base}/receiver/cdrs", json={**cdr, "total_energy": 99.0})
            assert again.json()["status_code"] == 2000
            assert c.get(first.headers["location"]).json()["data"]["total_energy"] == cdr["total_energy"]
            # the tokens Sender authorizes what the identity issued, and nothing else
            peer.issue(ob.token("NL", "CTH", "U1", updated=u))
            ok = c.post(f"{base}/sender/tokens/U1/authorize", params={"type": "RFID"}).json()
            assert ok["data"]["allowed"] == "ALLOWED" and ok["data"]["token"]["uid"] == "U1"
            unknown = c.post(f"{base}/sender/tokens/NOPE/authorize")
            assert unknown.status_code == 404 and unknown.json()["status_code"] == 2004


def test_the_peer_keeps_records_and_answers_booking_requests() -> None:
    """An eMSP identity's invoicereconciliation Receiver keeps a POSTed record under its owner and id; a CPO
    identity's bookings Sender answers a BookingRequest with a PENDING Booking of its own that lists it."""
    emsp = PeerServer(Recorder(), PartyIdentity(role="EMSP"), receiver_modules=("invoicereconciliation",))
    cpo = PeerServer(Recorder(), PartyIdentity(role="CPO", party_id="CTC"), sender_modules=("bookings",))
    with emsp, cpo:
        for peer in (emsp, cpo):
            peer.accept_token("tok", "B")
        h = {"Authorization": "Token dG9r", "OCPI-from-country-code": "NL", "OCPI-from-party-id": "CTH"}
        u = ob.now()
        record = ob.invoice_record("NL", "CTC", "I1", ["C1"], updated=u)
        with httpx.Client(headers=h) as c:
            assert c.post(f"{emsp.details_url}/receiver/invoicereconciliation", json=record).status_code == 201
            held = c.get(f"{emsp.details_url}/receiver/invoicereconciliation/NL/CTC/I1").json()["data"]
            assert held == record
            place = ob.booking_location("NL", "CTC", "BL1", updated=u)
            request = ob.booking_request(("NL", "CTH"), "R1", place, start=ob.now(86400), end=ob.now(90000))
            answer = c.post(f"{cpo.details_url}/sender/bookings", json=request).json()
            booking = answer["data"]
            assert answer["status_code"] == 1000 and booking["reservation_status"] == "PENDING"
            assert booking["request_id"] == "R1" and booking["booking_requests"][0]["booking_request"] == request
            assert get_oracle().validate_component("Booking", booking) == []
            assert c.get(f"{cpo.details_url}/sender/bookings").json()["data"] == [booking]
