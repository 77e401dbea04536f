"""Commands through a real hub between real party processes that record what they receive: a CPO (NL/CPO) and two
eMSPs (DE/MSP, DE/OTH). The CPO answers each command with a CommandResponse and posts the CommandResult to the
``response_url`` it was given; the eMSP must receive that result at its own URL, once, with TO = the eMSP and
FROM = the CPO."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_objects import Platform, V, ok, refused, register
from tests.e2e.test_routing import received
from tests.support import examples as ex
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e

ENV = {"OCPI_HUB_DELIVERY_POLL": "0.2", "OCPI_HUB_DELIVERY_BACKOFF": "0.2", "OCPI_HUB_CALLBACK_TIMEOUT": "3"}
ACCEPTED = {"body": {"result": "ACCEPTED"}, "delay": 0.2}


def start_net(
    db: Path, *, faults: tuple[str, ...] = (), env: dict[str, str] | None = None, workers: int = 1
) -> dict[str, Any]:
    hub = HubProcess(db, faults=faults, env={**ENV, **(env or {})}, workers=workers).start()
    parties = {
        "cpo": PartyProcess("NL", "CPO").start(),
        "msp": PartyProcess("DE", "MSP", "--role", "EMSP").start(),
        "oth": PartyProcess("DE", "OTH", "--role", "EMSP").start(),
    }
    net: dict[str, Any] = {"hub": hub, "parties": parties}
    try:
        for name, p in parties.items():
            net[name] = Platform(hub, p.country, p.party, register(hub, p), p)
        ok(net["cpo"].call("PUT", "/receiver/locations/NL/CPO/LOC-C1", ex.location("NL", "CPO", "LOC-C1")), 201)
    except BaseException:
        stop_net(net)
        raise
    return net


def stop_net(net: dict[str, Any]) -> None:
    for p in net["parties"].values():
        p.stop()
    net["hub"].stop()


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    found = start_net(tmp_path_factory.mktemp("commands") / "hub.db")
    yield found
    stop_net(found)


def own_url(party: PartyProcess, command: str, ref: str) -> str:
    """The eMSP's own response URL for one request."""
    return f"{party.base_url}{V}/sender/commands/{command}/{ref}"


def start_session(url: str, location: str = "LOC-C1") -> dict[str, Any]:
    return {
        "response_url": url,
        "token": ex.token("DE", "MSP", "TOK-CMD"),
        "location_id": location,
        "evse_uid": "3256",
        "authorization_reference": "AUTH-REF-1",
    }


def commands_to_cpo(cpo: PartyProcess, command: str) -> list[dict[str, Any]]:
    return received(cpo, lambda r: r["path"] == f"{V}/receiver/commands/{command}", 0)


def results_at(party: PartyProcess, url: str, count: int = 1) -> list[dict[str, Any]]:
    path = url.split(party.base_url, 1)[1]
    return received(party, lambda r: r["method"] == "POST" and r["path"] == path, count)


def set_cpo(net: dict[str, Any], **settings: Any) -> None:
    net["parties"]["cpo"].control("set", {"answers": {}, "results": {}, **settings})


def send(platform: Platform, command: str, body: dict[str, Any], to: tuple[str, str] | None, **extra: str) -> Any:
    return platform.call("POST", f"/receiver/commands/{command}", body, headers=platform.headers(to=to, **extra))


def test_version_details_list_the_commands_interfaces(net: dict[str, Any]) -> None:
    hub, msp = net["hub"], net["msp"]
    details = httpx.get(f"{hub.base_url}{V}", headers=msp.headers(to=None)).json()["data"]["endpoints"]
    advertised = {(e["identifier"], e["role"]): e["url"] for e in details}
    assert advertised[("commands", "RECEIVER")] == f"{hub.base_url}{V}/receiver/commands"
    assert advertised[("commands", "SENDER")] == f"{hub.base_url}{V}/sender/commands"


def test_start_session_result_reaches_the_emsp_url_once_with_routing_headers(net: dict[str, Any]) -> None:
    msp, cpo, parties = net["msp"], net["cpo"], net["parties"]
    set_cpo(net, results={"START_SESSION": ACCEPTED})
    mine = own_url(parties["msp"], "START_SESSION", "req-1")
    answer = send(msp, "START_SESSION", start_session(mine), ("NL", "CPO"), **{"X-Correlation-ID": "corr-cmd-1"})
    body = ok(answer)
    assert body["data"] == {"result": "ACCEPTED", "timeout": 30}  # the CPO's own CommandResponse
    assert (answer.headers["OCPI-from-party-id"], answer.headers["OCPI-to-party-id"]) == ("CPO", "MSP")

    [forwarded] = commands_to_cpo(parties["cpo"], "START_SESSION")
    hub_url = forwarded["body"]["response_url"]
    assert hub_url.startswith(f"{net['hub'].base_url}{V}/sender/commands/START_SESSION/")
    assert len(hub_url.rsplit("/", 1)[1]) >= 40  # 256 random bits
    assert {k: v for k, v in forwarded["body"].items() if k != "response_url"} == {
        k: v for k, v in start_session(mine).items() if k != "response_url"
    }
    h = forwarded["headers"]
    assert (h["ocpi-from-party-id"], h["ocpi-to-party-id"], h["x-correlation-id"]) == ("MSP", "CPO", "corr-cmd-1")

    [result] = results_at(parties["msp"], mine)
    assert result["body"] == {"result": "ACCEPTED"}
    h = result["headers"]
    assert (h["ocpi-to-country-code"], h["ocpi-to-party-id"]) == ("DE", "MSP")
    assert (h["ocpi-from-country-code"], h["ocpi-from-party-id"]) == ("NL", "CPO")
    assert h["x-correlation-id"] == "corr-cmd-1" and h["x-request-id"] not in ("corr-cmd-1", "")
    [posted] = parties["cpo"].state()["posted"]
    assert posted["answer"]["http"] == 200 and posted["answer"]["body"]["status_code"] == 1000

    # exactly once: the same result posted again is refused and not delivered
    message = refused(cpo.call("POST", hub_url, {"result": "ACCEPTED"}, headers=cpo.headers(to=("DE", "MSP"))), 2000)
    assert "finished" in message
    time.sleep(0.6)
    assert len(results_at(parties["msp"], mine, 2)) == 1
    assert received(parties["oth"], lambda r: "commands" in r["path"], 0) == []


def test_every_command_type_round_trips(net: dict[str, Any]) -> None:
    msp, cpo, parties = net["msp"], net["cpo"], net["parties"]
    ok(cpo.call("PUT", "/receiver/sessions/NL/CPO/S-CMD", ex.session("NL", "CPO", "DE", "MSP", "S-CMD")), 201)
    token = ex.token("DE", "MSP", "TOK-CMD")
    bodies = {
        "STOP_SESSION": {"session_id": "S-CMD"},
        "RESERVE_NOW": {
            "token": token,
            "expiry_date": "2099-01-01T00:00:00Z",
            "reservation_id": "RES-1",
            "location_id": "LOC-C1",
        },
        "CANCEL_RESERVATION": {"reservation_id": "RES-1"},
        "UNLOCK_CONNECTOR": {"location_id": "LOC-C1", "evse_uid": "3256", "connector_id": "1"},
    }
    set_cpo(net, results={command: {"body": {"result": "ACCEPTED"}, "delay": 0.1} for command in bodies})
    for command, fields in bodies.items():
        mine = own_url(parties["msp"], command, "r1")
        # no OCPI-to: the hub finds the CPO from the location, the session or the reservation it routed
        assert ok(send(msp, command, {"response_url": mine, **fields}, None))["data"]["result"] == "ACCEPTED"
        [forwarded] = commands_to_cpo(parties["cpo"], command)
        assert forwarded["body"]["response_url"].startswith(f"{net['hub'].base_url}{V}/sender/commands/{command}/")
        assert forwarded["headers"]["ocpi-to-party-id"] == "CPO"
        [result] = results_at(parties["msp"], mine)
        assert result["body"] == {"result": "ACCEPTED"}
        assert (result["headers"]["ocpi-to-party-id"], result["headers"]["ocpi-from-party-id"]) == ("MSP", "CPO")


def test_a_reservation_url_stays_open_for_the_cpos_cancellation(net: dict[str, Any]) -> None:
    msp, cpo, parties = net["msp"], net["cpo"], net["parties"]
    set_cpo(net)
    mine = own_url(parties["msp"], "RESERVE_NOW", "r-cancel")
    body = {
        "response_url": mine,
        "token": ex.token("DE", "MSP", "TOK-CMD"),
        "expiry_date": "2099-01-01T00:00:00Z",
        "reservation_id": "RES-CANCEL",
        "location_id": "LOC-C1",
    }
    ok(send(msp, "RESERVE_NOW", body, ("NL", "CPO")))
    [forwarded] = received(parties["cpo"], lambda r: (r["body"] or {}).get("reservation_id") == "RES-CANCEL")
    hub_url = forwarded["body"]["response_url"]
    headers = cpo.headers(to=("DE", "MSP"))
    ok(cpo.call("POST", hub_url, {"result": "ACCEPTED"}, headers=headers))
    ok(cpo.call("POST", hub_url, {"result": "CANCELED_RESERVATION"}, headers=headers))
    refused(cpo.call("POST", hub_url, {"result": "CANCELED_RESERVATION"}, headers=headers), 2000)
    got = results_at(parties["msp"], mine, 2)
    assert [r["body"]["result"] for r in got] == ["ACCEPTED", "CANCELED_RESERVATION"]


def test_unknown_location_is_answered_2003_rejected_and_nothing_is_forwarded(net: dict[str, Any]) -> None:
    msp, parties = net["msp"], net["parties"]
    before = len(commands_to_cpo(parties["cpo"], "UNLOCK_CONNECTOR"))
    body = {
        "response_url": own_url(parties["msp"], "UNLOCK_CONNECTOR", "nowhere"),
        "location_id": "NO-SUCH-LOC",
        "evse_uid": "1",
        "connector_id": "1",
    }
    answer = send(msp, "UNLOCK_CONNECTOR", body, None)
    envelope = answer.json()
    assert (answer.status_code, envelope["status_code"]) == (200, 2003)
    assert envelope["data"]["result"] == "REJECTED"
    time.sleep(0.3)
    assert len(commands_to_cpo(parties["cpo"], "UNLOCK_CONNECTOR")) == before

    # STOP_SESSION for a session the hub does not know: UNKNOWN_SESSION, as the CPO would answer
    stop = {"response_url": own_url(parties["msp"], "STOP_SESSION", "nowhere"), "session_id": "NO-SUCH-SESSION"}
    assert ok(send(msp, "STOP_SESSION", stop, None))["data"]["result"] == "UNKNOWN_SESSION"


def test_a_wrong_body_is_refused_2001_before_anything_is_forwarded(net: dict[str, Any]) -> None:
    msp, parties = net["msp"], net["parties"]
    refused(send(msp, "START_SESSION", {"response_url": "http://x.example/r"}, ("NL", "CPO")), 2001)
    refused(send(msp, "STOP_SESSION", start_session("http://x.example/r"), ("NL", "CPO")), 2001)
    time.sleep(0.2)
    assert not [r for r in commands_to_cpo(parties["cpo"], "STOP_SESSION") if r["body"].get("token")]


def test_results_from_another_platform_unknown_urls_and_unaccepted_commands_are_refused(net: dict[str, Any]) -> None:
    msp, cpo, oth, parties = net["msp"], net["cpo"], net["oth"], net["parties"]
    set_cpo(net)
    mine = own_url(parties["msp"], "START_SESSION", "guarded")
    ok(send(msp, "START_SESSION", start_session(mine), ("NL", "CPO")))
    forwarded = commands_to_cpo(parties["cpo"], "START_SESSION")[-1]
    hub_url = forwarded["body"]["response_url"]
    message = refused(oth.call("POST", hub_url, {"result": "ACCEPTED"}, headers=oth.headers(to=("DE", "MSP"))), 2000)
    assert "NL/CPO" in message
    refused(cpo.call("POST", hub_url + "x", {"result": "ACCEPTED"}, headers=cpo.headers(to=("DE", "MSP"))), 2000, 404)
    refused(cpo.call("POST", hub_url, {"result": "MAYBE"}, headers=cpo.headers(to=("DE", "MSP"))), 2001)
    ok(cpo.call("POST", hub_url, {"result": "EVSE_OCCUPIED"}, headers=cpo.headers(to=("DE", "MSP"))))
    [result] = results_at(parties["msp"], mine)
    assert result["body"] == {"result": "EVSE_OCCUPIED"}

    # a command the CPO did not accept expects no result: its URL is closed at once
    set_cpo(net, answers={"START_SESSION": {"result": "REJECTED", "timeout": 0}})
    rejected_url = own_url(parties["msp"], "START_SESSION", "rejected")
    assert ok(send(msp, "START_SESSION", start_session(rejected_url), ("NL", "CPO")))["data"]["result"] == "REJECTED"
    hub_url = commands_to_cpo(parties["cpo"], "START_SESSION")[-1]["body"]["response_url"]
    assert "finished" in refused(cpo.call("POST", hub_url, {"result": "ACCEPTED"}, headers=cpo.headers()), 2000)

    # the CPO's own error (here 2003, unknown location at the CPO) is relayed as it came
    set_cpo(net, answers={"START_SESSION": {"status_code": 2003, "data": {"result": "REJECTED", "timeout": 0}}})
    answer = send(msp, "START_SESSION", start_session(own_url(parties["msp"], "START_SESSION", "e")), ("NL", "CPO"))
    assert answer.json()["status_code"] == 2003 and answer.json()["data"]["result"] == "REJECTED"
    set_cpo(net)


def test_a_restart_between_the_command_and_its_result_loses_nothing(tmp_path: Path) -> None:
    net = start_net(tmp_path / "hub.db")
    try:
        hub, msp, cpo, parties = net["hub"], net["msp"], net["cpo"], net["parties"]
        mine = own_url(parties["msp"], "START_SESSION", "restart")
        ok(send(msp, "START_SESSION", start_session(mine), ("NL", "CPO"), **{"X-Correlation-ID": "corr-restart"}))
        [forwarded] = commands_to_cpo(parties["cpo"], "START_SESSION")
        hub.stop()
        hub.start()  # same port, same database
        ok(cpo.call("POST", forwarded["body"]["response_url"], {"result": "ACCEPTED"}, headers=cpo.headers()))
        [result] = results_at(parties["msp"], mine)
        assert result["body"] == {"result": "ACCEPTED"}
        assert result["headers"]["x-correlation-id"] == "corr-restart"
        assert (result["headers"]["ocpi-to-party-id"], result["headers"]["ocpi-from-party-id"]) == ("MSP", "CPO")
    finally:
        stop_net(net)


def test_a_result_without_routing_headers_from_the_receiving_platform_is_routed_by_its_url(
    net: dict[str, Any],
) -> None:
    msp, cpo, oth, parties = net["msp"], net["cpo"], net["oth"], net["parties"]
    set_cpo(net)
    mine = own_url(parties["msp"], "START_SESSION", "bare")
    ok(send(msp, "START_SESSION", start_session(mine), ("NL", "CPO")))
    hub_url = commands_to_cpo(parties["cpo"], "START_SESSION")[-1]["body"]["response_url"]
    bare = {"Authorization": cpo.headers()["Authorization"]}
    refused(
        oth.call("POST", hub_url, {"result": "ACCEPTED"}, headers={"Authorization": oth.headers()["Authorization"]}),
        2001,
    )
    answer = cpo.call("POST", hub_url, {"result": "ACCEPTED"}, headers=bare)
    ok(answer)  # acknowledged on the eMSP's behalf: TO = the CPO, FROM = the eMSP
    assert (answer.headers["OCPI-to-party-id"], answer.headers["OCPI-from-party-id"]) == ("CPO", "MSP")
    [result] = results_at(parties["msp"], mine)
    assert (result["headers"]["ocpi-to-party-id"], result["headers"]["ocpi-from-party-id"]) == ("MSP", "CPO")


def test_a_restart_between_the_acknowledged_result_and_its_delivery_loses_nothing(tmp_path: Path) -> None:
    """The eMSP is down when the result arrives: the hub acknowledges it, is restarted, and still delivers it."""
    net = start_net(tmp_path / "hub.db", env={"OCPI_HUB_DELIVERY_RETRIES": "100"})
    try:
        hub, msp, cpo, parties = net["hub"], net["msp"], net["cpo"], net["parties"]
        mine = own_url(parties["msp"], "START_SESSION", "outbox")
        ok(send(msp, "START_SESSION", start_session(mine), ("NL", "CPO")))
        [forwarded] = commands_to_cpo(parties["cpo"], "START_SESSION")
        parties["msp"].control("set", {"down": True})
        ok(cpo.call("POST", forwarded["body"]["response_url"], {"result": "ACCEPTED"}, headers=cpo.headers()))
        results_at(parties["msp"], mine)  # a first attempt was made (and refused with HTTP 503)
        hub.stop()
        parties["msp"].control("set", {"down": False})
        before = len(results_at(parties["msp"], mine, 0))  # attempts while the eMSP was down
        hub.start()
        attempts = results_at(parties["msp"], mine, before + 1)
        time.sleep(1.5)
        assert len(results_at(parties["msp"], mine, 0)) == before + 1  # delivered: no attempt after the success
        assert len({a["headers"]["x-request-id"] for a in attempts}) == 1  # every attempt is the one delivery
        assert attempts[-1]["body"] == {"result": "ACCEPTED"}
    finally:
        stop_net(net)


def test_two_hub_workers_take_a_result_posted_twice_at_once_exactly_once(tmp_path: Path) -> None:
    net = start_net(tmp_path / "hub.db", workers=2)
    try:
        msp, cpo, parties = net["msp"], net["cpo"], net["parties"]
        mine = own_url(parties["msp"], "START_SESSION", "race")
        ok(send(msp, "START_SESSION", start_session(mine), ("NL", "CPO")))
        [forwarded] = commands_to_cpo(parties["cpo"], "START_SESSION")
        url = forwarded["body"]["response_url"]
        with ThreadPoolExecutor(4) as pool:
            answers = list(
                pool.map(lambda _: cpo.call("POST", url, {"result": "ACCEPTED"}, headers=cpo.headers()), range(4))
            )
        codes = sorted(a.json()["status_code"] for a in answers)
        assert codes == [1000, 2000, 2000, 2000], codes
        time.sleep(1.0)
        assert len(results_at(parties["msp"], mine, 2)) == 1
    finally:
        stop_net(net)
