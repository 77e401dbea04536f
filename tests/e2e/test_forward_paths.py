"""Forwarded requests stay inside the receiver's endpoint, whatever the requester puts in the path.

The receiver here is a real party process that routes as many web servers do: it decodes the path and resolves dot
segments before routing, so ``/ocpi/2.3.0/sender/locations/%2E%2E/%2E%2E/credentials`` would reach its credentials
module, which answers with the token the hub uses there. A registered eMSP tries that in every spelling, on every
method and forwarded module; each attempt must be refused by the hub with an OCPI error before anything is sent, and
the receiver must see no request at all. Requests are sent with ``http.client`` so the path goes out byte for byte
(httpx would resolve the dot segments itself).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.test_objects import Platform, V, ok, register
from tests.support import examples as ex
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e

UP = [
    "..",
    "%2E%2E",
    "%2e%2e",
    ".%2E",
    "%2E.",
    "%252E%252E",  # for a server that decodes twice
    "%25252e%25252e",
    ".",
    "%2E",
]
"""Spellings of a dot segment."""
SEPARATORS = ["..%2F..%2Fcredentials", "..%2f..%2fcredentials", "..%5C..%5Ccredentials", "x%2F..%2F..%2Fcredentials"]
"""An id hiding a slash or a backslash."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    hub = HubProcess(tmp_path_factory.mktemp("paths") / "hub.db").start()
    cpo = PartyProcess("NL", "CPO", "--resolve-dot-segments").start()
    msp = PartyProcess("DE", "MSP", "--role", "EMSP").start()
    try:
        yield {
            "hub": hub,
            "cpo": Platform(hub, "NL", "CPO", register(hub, cpo), cpo),
            "msp": Platform(hub, "DE", "MSP", register(hub, msp), msp),
        }
    finally:
        cpo.stop()
        msp.stop()
        hub.stop()


def hub_calls(party: Platform, since: int) -> list[dict[str, str]]:
    """Requests the party's process received after the first ``since``, leaving out its control API and the
    ClientInfo pushes the hub sends on its own (one may arrive late from the other party's registration)."""
    assert party.process is not None
    return [
        c
        for c in party.process.state()["calls"][since:]
        if not c["path"].startswith(("/control/", "/ocpi/2.3.0/receiver/hubclientinfo/"))
    ]


def raw(hub: HubProcess, method: str, path: str, headers: dict[str, str], body: Any = None) -> tuple[int, bytes]:
    """One request with its path sent exactly as given."""
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=30)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in {**headers, **({"Content-Type": "application/json"} if data else {})}.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(data or b"")))
        conn.endheaders(data)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def attempts() -> Iterator[tuple[str, str, Any]]:
    """``(method, path after /ocpi/2.3.0, body)`` of every forwarded operation, with a hostile id in each place an id
    can be."""
    token = ex.token("DE", "MSP", "T1")
    for bad in [*UP, *SEPARATORS]:
        yield "GET", f"/sender/locations/{bad}/{bad}/credentials", None
        yield "GET", f"/sender/locations/L1/{bad}/{bad}", None
        yield "GET", f"/sender/locations/{bad}", None
        yield "GET", f"/sender/tariffs?x=/{bad}", None  # a query cannot move the path: forwarded, harmless (below)
        yield "GET", f"/receiver/tokens/DE/MSP/{bad}", None
        yield "PUT", f"/receiver/tokens/DE/MSP/{bad}", token
        yield "PATCH", f"/receiver/tokens/DE/MSP/{bad}", {"valid": False, "last_updated": "2024-01-01T00:00:00Z"}
        yield "DELETE", f"/receiver/tokens/DE/MSP/{bad}", None
        yield "POST", f"/receiver/commands/{bad}", {"response_url": "http://127.0.0.1:9/r", "location_id": "L1"}
        yield "GET", f"/receiver/chargingprofiles/{bad}?duration=60&response_url=http://127.0.0.1:9/r", None
        yield "DELETE", f"/receiver/chargingprofiles/{bad}?response_url=http://127.0.0.1:9/r", None
        yield "PUT", f"/sender/sessions/{bad}/charging_preferences", {"profile_type": "FAST"}
        yield "GET", f"/sender/payments/terminals/{bad}", None


def test_no_spelling_of_a_dot_segment_or_separator_reaches_the_receiver(world: dict[str, Any]) -> None:
    hub, cpo, msp = world["hub"], world["cpo"], world["msp"]
    secret = cpo.process.state()["token_b"]  # what the hub presents to the CPO; its credentials module shows it
    headers = msp.headers(to=("NL", "CPO"))
    before = len(cpo.process.state()["calls"])
    forwarded_queries = 0
    for method, path, body in attempts():
        status, answer = raw(hub, method, f"{V}{path}", headers, body)
        assert secret.encode() not in answer, (method, path)
        if "?x=/" in path:  # the query is not a path: forwarded as a query, to the tariffs Sender
            forwarded_queries += 1
            continue
        decoded = json.loads(answer)
        assert decoded["status_code"] >= 2000, (method, path, status, decoded)
        assert status in (200, 404, 405), (method, path, status, decoded)  # 404/405: no such route or method
    calls = hub_calls(cpo, before)
    # Nothing reached the receiver but the harmless query forwards, each to the tariffs Sender itself.
    assert len(calls) == forwarded_queries
    assert all(c["path"].startswith("/ocpi/2.3.0/sender/tariffs?") for c in calls), calls


def test_a_refused_id_is_named_in_an_ocpi_error(world: dict[str, Any]) -> None:
    hub, msp = world["hub"], world["msp"]
    status, answer = raw(hub, "GET", f"{V}/sender/locations/%2E%2E/%2E%2E/credentials", msp.headers(to=("NL", "CPO")))
    body = json.loads(answer)
    assert (status, body["status_code"]) == (200, 2001), body
    assert "location_id" in body["status_message"] and "dot segment" in body["status_message"]
    # Decoded, a%2Fb is two segments: the router would see a Location and an EVSE where the receiver may see one id.
    patch = {"status": "AVAILABLE", "last_updated": "2024-01-01T00:00:00Z"}
    status, answer = raw(hub, "PATCH", f"{V}/receiver/locations/DE/MSP/a%2Fb", msp.headers(to=("NL", "CPO")), patch)
    body = json.loads(answer)
    assert (status, body["status_code"]) == (200, 2001), body
    assert "encoded slash" in body["status_message"]


def test_ids_that_need_encoding_arrive_as_the_same_id(world: dict[str, Any]) -> None:
    """Rebuilding the path from decoded ids keeps every legitimate id: it reaches the receiver encoded once."""
    hub, cpo, msp = world["hub"], world["cpo"], world["msp"]
    before = len(cpo.process.state()["calls"])
    token = ex.token("DE", "MSP", "A B+C:1")
    ok(msp.call("PUT", "/receiver/tokens/DE/MSP/A%20B%2BC%3A1", token, headers=msp.headers(to=("NL", "CPO"))), 201)
    status, _ = raw(hub, "GET", f"{V}/receiver/tokens/DE/MSP/A%20B+C:1", msp.headers(to=("NL", "CPO")))
    assert status == 200
    paths = [c["path"] for c in hub_calls(cpo, before)]
    assert paths == ["/ocpi/2.3.0/receiver/tokens/DE/MSP/A%20B%2BC%3A1"] * 2, paths
    stored = cpo.process.http.get("/control/received").json()[-1]
    assert stored["method"] == "GET"


def test_broadcast_paths_are_rebuilt_from_checked_ids_too(world: dict[str, Any]) -> None:
    """A broadcast push is planned with the same suffix: a hostile id is refused, and nothing is stored or queued."""
    hub, cpo, msp = world["hub"], world["cpo"], world["msp"]
    before = len(cpo.process.state()["calls"])
    status, answer = raw(hub, "PUT", f"{V}/receiver/tokens/DE/MSP/%2E%2E", msp.headers(), ex.token("DE", "MSP", ".."))
    assert (status, json.loads(answer)["status_code"]) == (200, 2001)
    assert hub_calls(cpo, before) == []
    listed = ok(cpo.call("GET", "/sender/tokens", headers=cpo.headers()))["data"]
    assert all(t["uid"] != ".." for t in listed)
