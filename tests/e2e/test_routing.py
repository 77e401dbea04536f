"""Routing through a real hub between real party processes that record what they receive: a CPO (NL/CPO) and two
eMSPs (DE/MSP, DE/OTH)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.test_objects import Platform, V, ok, refused, register
from tests.support import examples as ex
from tests.support.ocpi import auth
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    env = {"OCPI_HUB_DELIVERY_POLL": "0.2", "OCPI_HUB_DELIVERY_BACKOFF": "0.2", "OCPI_HUB_CALLBACK_TIMEOUT": "3"}
    hub = HubProcess(tmp_path_factory.mktemp("routing") / "hub.db", env=env).start()
    parties = {
        "cpo": PartyProcess("NL", "CPO").start(),
        "msp": PartyProcess("DE", "MSP", "--role", "EMSP").start(),
        "oth": PartyProcess("DE", "OTH", "--role", "EMSP").start(),
    }
    try:
        platforms = {name: Platform(hub, p.country, p.party, register(hub, p)) for name, p in parties.items()}
        yield {"hub": hub, "parties": parties, **platforms}
    finally:
        for p in parties.values():
            p.stop()
        hub.stop()


def received(party: PartyProcess, predicate: Callable[[dict[str, Any]], bool], count: int = 1) -> list[dict[str, Any]]:
    """What ``party`` received that matches, waiting up to 10 s for ``count`` of them."""
    deadline = time.monotonic() + 10
    while True:
        found = [r for r in party.http.get("/control/received").json() if predicate(r)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_broadcast_location_reaches_both_emsps_untouched(net: dict[str, Any]) -> None:
    cpo, parties = net["cpo"], net["parties"]
    loc = ex.location("NL", "CPO", "BCAST1")
    ok(
        cpo.call(
            "PUT", "/receiver/locations/NL/CPO/BCAST1", loc, headers=cpo.headers(**{"X-Correlation-ID": "corr-1"})
        ),
        201,
    )
    for name in ("msp", "oth"):
        [got] = received(parties[name], lambda r: r["path"].endswith("/NL/CPO/BCAST1"))
        assert got["method"] == "PUT" and got["path"] == "/ocpi/2.3.0/receiver/locations/NL/CPO/BCAST1"
        assert got["body"] == loc  # last_updated untouched
        h = got["headers"]
        assert (h["ocpi-from-country-code"], h["ocpi-from-party-id"]) == ("NL", "HUB")
        assert (h["ocpi-to-country-code"], h["ocpi-to-party-id"]) == (parties[name].country, parties[name].party)
        assert h["x-correlation-id"] == "corr-1" and h["x-request-id"] != "corr-1"
    assert received(parties["cpo"], lambda r: r["path"].endswith("/BCAST1"), 0) == []  # never echoed

    # an EVSE status PATCH is broadcast as sent
    patch = {"status": "CHARGING", "last_updated": "2021-01-01T00:00:00Z"}
    ok(cpo.call("PATCH", "/receiver/locations/NL/CPO/BCAST1/3256", patch))
    [got] = received(parties["msp"], lambda r: r["method"] == "PATCH" and r["path"].endswith("/BCAST1/3256"))
    assert got["body"] == patch


def test_token_push_reaches_the_cpo_and_sessions_are_never_broadcast(net: dict[str, Any]) -> None:
    msp, cpo, parties = net["msp"], net["cpo"], net["parties"]
    ok(msp.call("PUT", "/receiver/tokens/DE/MSP/TOK1", ex.token("DE", "MSP", "TOK1")), 201)
    [got] = received(parties["cpo"], lambda r: r["path"].endswith("/tokens/DE/MSP/TOK1"))
    assert got["body"]["uid"] == "TOK1"
    assert received(parties["oth"], lambda r: "TOK1" in r["path"], 0) == []  # eMSPs do not receive tokens

    # a session to the hub (TO = hub) is kept, not broadcast
    ok(cpo.call("PUT", "/receiver/sessions/NL/CPO/S-HUB", ex.session("NL", "CPO", "XX", "NOP", "S-HUB")), 201)
    time.sleep(0.5)
    assert not [r for p in parties.values() for r in p.http.get("/control/received").json() if "S-HUB" in r["path"]]


def test_direct_session_put_and_cdr_post_to_one_emsp(net: dict[str, Any]) -> None:
    cpo, parties = net["cpo"], net["parties"]
    session = ex.session("NL", "CPO", "DE", "MSP", "S-DIRECT")
    answer = cpo.call("PUT", "/receiver/sessions/NL/CPO/S-DIRECT", session, headers=cpo.headers(to=("DE", "MSP")))
    ok(answer, 201)  # the eMSP's own answer, relayed
    assert (answer.headers["OCPI-from-party-id"], answer.headers["OCPI-to-party-id"]) == ("MSP", "CPO")
    [got] = received(parties["msp"], lambda r: r["path"].endswith("/S-DIRECT"))
    assert got["headers"]["ocpi-from-party-id"] == "CPO" and got["headers"]["ocpi-to-party-id"] == "MSP"
    assert got["body"] == session
    assert received(parties["oth"], lambda r: "S-DIRECT" in r["path"], 0) == []

    cdr = ex.cdr("NL", "CPO", "DE", "MSP", "CDR-DIRECT")
    posted = cpo.call("POST", "/receiver/cdrs", cdr, headers=cpo.headers(to=("DE", "MSP")))
    ok(posted, 201)
    location = posted.headers["Location"]
    assert location.startswith(f"{net['hub'].base_url}{V}/receiver/cdrs/")  # the hub's URL, not the eMSP's
    assert ok(cpo.call("GET", location))["data"] == cdr
    [got] = received(parties["msp"], lambda r: r["method"] == "POST" and r["path"].endswith("/receiver/cdrs"))
    assert got["body"]["id"] == "CDR-DIRECT"


def test_open_routing_sends_a_session_to_the_emsp_of_its_token(net: dict[str, Any]) -> None:
    cpo, parties = net["cpo"], net["parties"]
    session = ex.session("NL", "CPO", "DE", "OTH", "S-OPEN")
    ok(cpo.call("PUT", "/receiver/sessions/NL/CPO/S-OPEN", session, headers=cpo.headers(to=None)), 201)
    [got] = received(parties["oth"], lambda r: r["path"].endswith("/S-OPEN"))
    assert got["headers"]["ocpi-to-party-id"] == "OTH"
    assert received(parties["msp"], lambda r: "S-OPEN" in r["path"], 0) == []


def test_get_all_of_one_party_through_the_hub_follows_rewritten_links(net: dict[str, Any]) -> None:
    msp, parties = net["msp"], net["parties"]
    served = [ex.location("NL", "CPO", f"REMOTE{n}") for n in range(5)]
    parties["cpo"].control("set", {"serve": {"locations": served}})
    url: str | None = f"{net['hub'].base_url}{V}/sender/locations"
    seen = []
    while url:
        answer = msp.call("GET", url, headers=msp.headers(to=("NL", "CPO")))
        body = ok(answer)
        assert answer.headers["X-Total-Count"] == "5"
        seen += [loc["id"] for loc in body["data"]]
        link = answer.headers.get("Link")
        url = link[1 : link.index(">")] if link else None
        if url:
            assert url.startswith(f"{net['hub'].base_url}{V}/sender/locations?")
    assert seen == [f"REMOTE{n}" for n in range(5)]


def test_real_time_authorization_is_forwarded_and_falls_back_where_allowed(net: dict[str, Any]) -> None:
    cpo, msp, parties = net["cpo"], net["msp"], net["parties"]
    ok(msp.call("PUT", "/receiver/tokens/DE/MSP/RTA1", ex.token("DE", "MSP", "RTA1", whitelist="ALLOWED_OFFLINE")), 201)
    ok(msp.call("PUT", "/receiver/tokens/DE/MSP/RTA2", ex.token("DE", "MSP", "RTA2", whitelist="NEVER")), 201)
    parties["msp"].control("set", {"authorize": {"RTA1": "BLOCKED", "RTA2": "ALLOWED"}})
    assert ok(cpo.call("POST", "/sender/tokens/RTA1/authorize"))["data"]["allowed"] == "BLOCKED"  # the eMSP's word
    [got] = received(parties["msp"], lambda r: r["path"].endswith("/RTA1/authorize"))
    assert got["headers"]["ocpi-from-party-id"] == "CPO"
    unknown = cpo.call("POST", "/sender/tokens/NOBODY/authorize")
    assert unknown.status_code == 404 and unknown.json()["status_code"] == 2004

    parties["msp"].control("set", {"down": True})
    try:
        info = ok(cpo.call("POST", "/sender/tokens/RTA1/authorize"))["data"]  # ALLOWED_OFFLINE: from the copy
        assert info["allowed"] == "ALLOWED"
        refused(cpo.call("POST", "/sender/tokens/RTA2/authorize"), 4003)  # NEVER: only the eMSP may say
    finally:
        parties["msp"].control("set", {"down": False})


def test_charging_preferences_reach_the_sessions_cpo(net: dict[str, Any]) -> None:
    cpo, msp, parties = net["cpo"], net["msp"], net["parties"]
    ok(cpo.call("PUT", "/receiver/sessions/NL/CPO/S-PREF", ex.session("NL", "CPO", "DE", "MSP", "S-PREF")), 201)
    prefs = {"profile_type": "FAST", "departure_time": "2030-01-01T10:00:00Z", "energy_need": 20.0}
    answer = msp.call("PUT", "/sender/sessions/S-PREF/charging_preferences", prefs, headers=msp.headers(to=None))
    assert ok(answer)["data"] == "ACCEPTED"
    [got] = received(parties["cpo"], lambda r: r["path"].endswith("/S-PREF/charging_preferences"))
    assert got["body"] == prefs and got["headers"]["ocpi-from-party-id"] == "MSP"


def test_unknown_receiver_and_unreachable_receiver(net: dict[str, Any]) -> None:
    cpo, parties = net["cpo"], net["parties"]
    refused(cpo.call("GET", "/sender/locations", headers=cpo.headers(to=("XX", "NOP"))), 4001)
    parties["msp"].control("set", {"delay": 5})
    try:
        session = ex.session("NL", "CPO", "DE", "MSP", "S-SLOW")
        started = time.monotonic()
        slow = cpo.call("PUT", "/receiver/sessions/NL/CPO/S-SLOW", session, headers=cpo.headers(to=("DE", "MSP")))
        refused(slow, 4002)
        assert time.monotonic() - started < 4.9  # the hub's deadline (3 s here), not the party's delay
    finally:
        parties["msp"].control("set", {"delay": 0})


def test_clientinfo_is_pushed_when_a_party_connects_and_leaves(net: dict[str, Any]) -> None:
    hub, parties = net["hub"], net["parties"]

    def infos(party: PartyProcess, status: str) -> list[dict[str, Any]]:
        return received(
            party, lambda r: r["path"] == "/ocpi/2.3.0/receiver/hubclientinfo/FR/NEW" and r["body"]["status"] == status
        )

    newcomer = PartyProcess("FR", "NEW", "--role", "EMSP").start()
    try:
        register(hub, newcomer)
        for name in ("cpo", "msp", "oth"):
            [got] = infos(parties[name], "CONNECTED")
            assert got["method"] == "PUT" and got["body"]["role"] == "EMSP"
            assert not [h for h in got["headers"] if h.startswith(("ocpi-to", "ocpi-from"))]
        assert received(newcomer, lambda r: "/hubclientinfo/FR/NEW" in r["path"], 0) == []  # not told about itself
        assert newcomer.control("unregister")["body"]["status_code"] == 1000
        for name in ("cpo", "msp", "oth"):
            assert infos(parties[name], "SUSPENDED"), f"{name} was not told that FR/NEW left"
    finally:
        newcomer.stop()


def test_still_alive_check_marks_a_silent_party_offline_and_back(tmp_path: Any) -> None:
    env = {
        "OCPI_HUB_ALIVE_AFTER": "1",
        "OCPI_HUB_CALLBACK_TIMEOUT": "1",
        "OCPI_HUB_DELIVERY_POLL": "0.2",
        "OCPI_HUB_DELIVERY_BACKOFF": "0.2",
        "OCPI_HUB_DELIVERY_POLICY": "store_and_forward",
    }
    hub = HubProcess(tmp_path / "hub.db", env=env).start()
    parties = {
        "cpo": PartyProcess("NL", "CPO").start(),
        "msp": PartyProcess("DE", "MSP", "--role", "EMSP").start(),
    }
    try:
        cpo = Platform(hub, "NL", "CPO", register(hub, parties["cpo"]), parties["cpo"])
        register(hub, parties["msp"])

        def status_pushes(status: str) -> list[dict[str, Any]]:
            return received(
                parties["cpo"],
                lambda r: r["path"].endswith("/hubclientinfo/DE/MSP") and r["body"]["status"] == status,
            )

        parties["msp"].control("set", {"versions_down": True})
        assert status_pushes("OFFLINE"), "the CPO was not told that DE/MSP stopped answering"
        listed = ok(httpx.get(f"{hub.base_url}{V}/sender/hubclientinfo", headers=auth(cpo.token)))["data"]
        assert {(c["party_id"], c["status"]) for c in listed} >= {("MSP", "OFFLINE")}
        # nothing is sent to an offline party: a broadcast waits
        ok(cpo.call("PUT", "/receiver/locations/NL/CPO/WAITS", ex.location("NL", "CPO", "WAITS")), 201)
        time.sleep(1)
        assert received(parties["msp"], lambda r: r["path"].endswith("/WAITS"), 0) == []

        parties["msp"].control("set", {"versions_down": False})
        assert status_pushes("CONNECTED"), "the CPO was not told that DE/MSP is back"
        assert received(parties["msp"], lambda r: r["path"].endswith("/WAITS")), "the held push never arrived"
    finally:
        for p in parties.values():
            p.stop()
        hub.stop()


def test_admin_outbox_shows_a_failed_delivery_and_retries_it(tmp_path: Any) -> None:
    """The operator's JSON view of the outbox: a broadcast to an eMSP that is down fails after its retries, shows up
    with its error under that receiver, and once the eMSP is back a retry delivers it under the same X-Request-ID."""
    env = {
        "OCPI_HUB_ADMIN_KEY": "k3y-for-outbox",
        "OCPI_HUB_DELIVERY_POLL": "0.2",
        "OCPI_HUB_DELIVERY_BACKOFF": "0.1",
        "OCPI_HUB_DELIVERY_RETRIES": "1",
    }
    hub = HubProcess(tmp_path / "hub.db", env=env).start()
    cpo_party, msp_party = PartyProcess("NL", "CPO").start(), PartyProcess("DE", "MSP", "--role", "EMSP").start()
    admin = {"X-Admin-Key": "k3y-for-outbox"}
    try:
        cpo = Platform(hub, "NL", "CPO", register(hub, cpo_party))
        register(hub, msp_party)
        msp_party.http.post("/control/set", json={"down": True})
        ok(cpo.call("PUT", "/receiver/locations/NL/CPO/OUT1", ex.location("NL", "CPO", "OUT1")), 201)
        deadline, failed = time.monotonic() + 15, []
        while not failed and time.monotonic() < deadline:
            view = httpx.get(f"{hub.base_url}/admin/outbox", headers=admin).json()
            failed = [d for d in view["failed"] if d["url"].endswith("/NL/CPO/OUT1")]
            time.sleep(0.2)
        assert failed, view
        [item] = failed
        assert item["receiver"] == "DE-MSP" and item["state"] == "FAILED" and item["attempts"] >= 2
        assert item["last_error"]
        [stats] = [r for r in view["receivers"] if r["receiver"] == "DE-MSP"]
        assert stats["failed"] == 1
        only = httpx.get(f"{hub.base_url}/admin/outbox", params={"receiver": "NL-CPO"}, headers=admin).json()
        assert only["failed"] == [] and all(r["receiver"] == "NL-CPO" for r in only["receivers"])

        assert httpx.post(f"{hub.base_url}/admin/outbox/{item['delivery_id']}/retry").status_code == 403
        msp_party.http.post("/control/clear")  # the attempts it refused while down were recorded too
        msp_party.http.post("/control/set", json={"down": False})
        retried = httpx.post(f"{hub.base_url}/admin/outbox/{item['delivery_id']}/retry", headers=admin)
        assert retried.status_code == 200, retried.text
        [got] = received(msp_party, lambda r: r["path"].endswith("/NL/CPO/OUT1"))
        assert got["headers"]["x-request-id"] == item["delivery_id"]
        after = httpx.get(f"{hub.base_url}/admin/outbox", headers=admin).json()
        assert not [d for d in after["failed"] if d["delivery_id"] == item["delivery_id"]]
        gone = httpx.delete(f"{hub.base_url}/admin/outbox/{item['delivery_id']}", headers=admin)
        assert gone.status_code == 404  # delivered, so nothing is left to drop
    finally:
        cpo_party.stop()
        msp_party.stop()
        hub.stop()
