"""Routing through a real hub between real party processes that record what they receive: what needs time and real
parties (the still-alive check taking a silent party offline and back, a held broadcast delivered on its return) and
the operator's view of the outbox over HTTP.

Every routing decision itself (direct, broadcast, open routing, 4001/4002/4003, real-time authorization, ClientInfo)
is tested in-process in tests/hub/; the harness tests judge them again at real processes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.test_objects import Platform, V, ok, register
from tests.support import examples as ex
from tests.support.ocpi import auth
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e


def received(party: PartyProcess, predicate: Callable[[dict[str, Any]], bool], count: int = 1) -> list[dict[str, Any]]:
    """What ``party`` received that matches, waiting up to 10 s for ``count`` of them."""
    deadline = time.monotonic() + 10
    while True:
        found = [r for r in party.http.get("/control/received").json() if predicate(r)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


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
