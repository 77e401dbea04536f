"""Each routing fault switch is applied by a real hub and breaks the rule it names, seen at real party processes.

The harness does not judge hub routing yet (tests/harness/test_against_reference_hub.py lists these switches as not yet
certified), so this file is where each of them is shown to take effect."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reference_hub.faults import Fault
from tests.e2e.test_objects import Platform, V, ok, register
from tests.e2e.test_routing import received
from tests.support import examples as ex
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e

ROUTING_FAULTS = [
    Fault.REQUEST_ID_REUSED,
    Fault.CORRELATION_ID_DROPPED,
    Fault.ROUTING_HEADERS_NOT_SWAPPED,
    Fault.LINK_NOT_REWRITTEN,
    Fault.LAST_UPDATED_REWRITTEN,
    Fault.BROADCAST_ECHOED,
    Fault.UNKNOWN_RECEIVER_AS_SUCCESS,
    Fault.CLIENTINFO_NOT_PUSHED,
]


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    env = {"OCPI_HUB_DELIVERY_POLL": "0.2", "OCPI_HUB_DELIVERY_BACKOFF": "0.2"}
    hub = HubProcess(
        tmp_path_factory.mktemp("routing-faults") / "hub.db", env=env, faults=[f.value for f in ROUTING_FAULTS]
    ).start()
    parties = {
        "cpo": PartyProcess("NL", "CPO").start(),
        "msp": PartyProcess("DE", "MSP", "--role", "EMSP").start(),
    }
    try:
        platforms = {name: Platform(hub, p.country, p.party, register(hub, p), p) for name, p in parties.items()}
        yield {"hub": hub, "parties": parties, **platforms}
    finally:
        for p in parties.values():
            p.stop()
        hub.stop()


def test_broadcast_faults(net: dict[str, Any]) -> None:
    cpo, parties = net["cpo"], net["parties"]
    loc = ex.location("NL", "CPO", "F1")
    ok(cpo.call("PUT", "/receiver/locations/NL/CPO/F1", loc, headers=cpo.headers(**{"X-Correlation-ID": "c-1"})), 201)
    [got] = received(parties["msp"], lambda r: r["path"].endswith("/NL/CPO/F1"))
    assert got["body"]["last_updated"] != loc["last_updated"]  # last_updated_rewritten
    assert received(parties["cpo"], lambda r: r["path"].endswith("/NL/CPO/F1"))  # broadcast_echoed


def test_forwarding_faults(net: dict[str, Any]) -> None:
    cpo, parties = net["cpo"], net["parties"]
    session = ex.session("NL", "CPO", "DE", "MSP", "S-F")
    answer = cpo.call(
        "PUT",
        "/receiver/sessions/NL/CPO/S-F",
        session,
        headers=cpo.headers(to=("DE", "MSP"), **{"X-Correlation-ID": "c-2"}),
    )
    ok(answer, 201)
    assert answer.headers["OCPI-to-party-id"] == "MSP"  # routing_headers_not_swapped
    [got] = received(parties["msp"], lambda r: r["path"].endswith("/S-F"))
    assert got["headers"]["x-request-id"] == "c-2"  # request_id_reused
    assert "x-correlation-id" not in got["headers"]  # correlation_id_dropped
    # unknown_receiver_as_success
    assert ok(cpo.call("GET", "/sender/locations", headers=cpo.headers(to=("XX", "NOP"))))["status_code"] == 1000


def test_link_not_rewritten(net: dict[str, Any]) -> None:
    msp, parties = net["msp"], net["parties"]
    parties["cpo"].control("set", {"serve": {"locations": [ex.location("NL", "CPO", f"R{n}") for n in range(3)]}})
    url = f"{net['hub'].base_url}{V}/sender/locations?limit=1"
    answer = msp.call("GET", url, headers=msp.headers(to=("NL", "CPO")))
    ok(answer)
    assert answer.headers["Link"].startswith(f"<{parties['cpo'].base_url}")  # the CPO's own URL, not the hub's


def test_clientinfo_not_pushed(net: dict[str, Any]) -> None:
    newcomer = PartyProcess("FR", "NEW", "--role", "EMSP").start()
    try:
        register(net["hub"], newcomer)
        assert received(net["parties"]["cpo"], lambda r: "/hubclientinfo/FR/NEW" in r["path"], 0) == []
    finally:
        newcomer.stop()
