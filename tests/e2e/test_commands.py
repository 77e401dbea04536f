"""Commands through a real hub between real party processes that record what they receive: a CPO (NL/CPO) and two
eMSPs (DE/MSP, DE/OTH). The CPO answers each command with a CommandResponse and posts the CommandResult to the
``response_url`` it was given; the eMSP must receive that result at its own URL, once, with TO = the eMSP and
FROM = the CPO, across a restart of the hub and with two hub workers taking the same result at once.

The routing rules themselves (the hub's response_url, open routing by location, session or reservation, who may post
a result, a result taken once) are tested in-process in tests/hub/test_callbacks.py."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_objects import Platform, V, ok, register
from tests.e2e.test_routing import received
from tests.support import examples as ex
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e

ENV = {"OCPI_HUB_DELIVERY_POLL": "0.2", "OCPI_HUB_DELIVERY_BACKOFF": "0.2", "OCPI_HUB_CALLBACK_TIMEOUT": "3"}


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


def send(platform: Platform, command: str, body: dict[str, Any], to: tuple[str, str] | None, **extra: str) -> Any:
    return platform.call("POST", f"/receiver/commands/{command}", body, headers=platform.headers(to=to, **extra))


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


@pytest.mark.slow
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
