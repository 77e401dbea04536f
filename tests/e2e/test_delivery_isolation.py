"""One receiver that hangs cannot delay deliveries to anyone else.

A CPO broadcasts Locations through a real hub to two real eMSP processes. One of them stops answering (its module
endpoints hold every request for longer than the hub's deadline, and its versions endpoint is down); the other is
healthy. Every push must reach the healthy eMSP within a second of the hub's acknowledgement, the hanging one must be
taken out of rotation (announced OFFLINE to the other, direct requests to it answered 4003 at once), and once it
recovers it is back in rotation and its backlog is delivered (``store_and_forward``). What the ``spec`` policy does
with the backlog instead (gives it up without a call) is an outbox rule, tested in-process in
tests/hub/test_deliveries.py with the pool's cap per receiver and the breaker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_objects import Platform, V, register
from tests.support import examples as ex
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e

PUSHES = 60
RATE = 20.0
"""Pushes per second."""


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = {
        "OCPI_HUB_DELIVERY_POLICY": "store_and_forward",
        "OCPI_HUB_CALLBACK_TIMEOUT": "1",
        "OCPI_HUB_DELIVERY_POLL": "0.2",
        "OCPI_HUB_DELIVERY_BACKOFF": "0.2",
        "OCPI_HUB_DELIVERY_BREAKER_COOLDOWN": "1",
        "OCPI_HUB_ALIVE_AFTER": "0",
    }
    hub = HubProcess(tmp_path / "hub.db", env=env).start()
    parties = {
        "cpo": PartyProcess("NL", "CPO").start(),
        "healthy": PartyProcess("DE", "OKK", "--role", "EMSP").start(),
        "hanging": PartyProcess("DE", "HNG", "--role", "EMSP").start(),
    }
    try:
        platforms = {name: Platform(hub, p.country, p.party, register(hub, p), p) for name, p in parties.items()}
        yield {"hub": hub, "parties": parties, **platforms}
    finally:
        for p in parties.values():
            p.stop()
        hub.stop()


def _received(party: PartyProcess) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = party.http.get("/control/received").json()
    return found


def _client_infos(party: PartyProcess, about: str) -> list[str]:
    return [
        r["body"]["status"]
        for r in _received(party)
        if r["path"].endswith(f"/receiver/hubclientinfo/DE/{about}") and r["method"] == "PUT"
    ]


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.1)


def test_a_hanging_receiver_does_not_delay_the_others(world: dict[str, Any]) -> None:
    hub, cpo, parties = world["hub"], world["cpo"], world["parties"]
    healthy, hanging = parties["healthy"], parties["hanging"]
    hanging.control("set", {"delay": 30, "versions_down": True})
    acknowledged: dict[str, float] = {}

    def push() -> None:
        with httpx.Client(timeout=10) as client:
            start = time.monotonic()
            for n in range(PUSHES):
                time.sleep(max(0.0, start + n / RATE - time.monotonic()))
                location_id = f"ISO{n:03d}"
                url = f"{hub.base_url}{V}/receiver/locations/NL/CPO/{location_id}"
                answer = client.put(url, json=ex.location("NL", "CPO", location_id), headers=cpo.headers())
                assert answer.json()["status_code"] == 1000, answer.text
                acknowledged[location_id] = time.time()

    pusher = threading.Thread(target=push)
    pusher.start()
    pusher.join(timeout=PUSHES / RATE + 30)
    assert len(acknowledged) == PUSHES

    # Every push reached the healthy eMSP within a second of its acknowledgement.
    _wait(lambda: len({r["path"] for r in _received(healthy) if "/ISO" in r["path"]}) >= PUSHES, 10, "every push")
    arrived = {r["path"].rsplit("/", 1)[-1]: r["at"] for r in _received(healthy) if "/ISO" in r["path"]}
    delays = sorted(arrived[i] - acknowledged[i] for i in acknowledged)
    assert delays[-1] < 1.0, f"slowest delivery to the healthy eMSP took {delays[-1]:.2f} s (median {delays[30]:.3f})"

    # The hanging eMSP is out of rotation: the healthy one was told, and a direct request to it fails fast (4003).
    _wait(lambda: "OFFLINE" in _client_infos(healthy, "HNG"), 10, "ClientInfo OFFLINE about the hanging eMSP")
    started = time.monotonic()
    session = ex.session("NL", "CPO", "DE", "HNG", "S-ISO")
    answer = cpo.call("PUT", "/receiver/sessions/NL/CPO/S-ISO", session, headers=cpo.headers(to=("DE", "HNG")))
    assert answer.json()["status_code"] == 4003 and time.monotonic() - started < 0.5, answer.text

    # It recovers: it is probed, announced CONNECTED, and its backlog is delivered.
    hanging.control("set", {"delay": 0, "versions_down": False})
    _wait(lambda: _client_infos(healthy, "HNG")[-1:] == ["CONNECTED"], 30, "ClientInfo CONNECTED again")
    got = lambda: {r["path"].rsplit("/", 1)[-1] for r in _received(hanging) if "/ISO" in r["path"]}  # noqa: E731
    _wait(lambda: got() >= set(acknowledged), 30, "the hanging eMSP's backlog")
