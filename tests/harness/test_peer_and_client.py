"""The harness's embedded peer (a real loopback socket) and its recording client."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from conformance.client import OcpiClient, Recorder, encode_token
from conformance.peer import PeerServer
from conformance.session import _merge_extra
from conformance.target import PartyIdentity


@pytest.fixture
def peer() -> Iterator[PeerServer]:
    server = PeerServer(Recorder(), PartyIdentity(country_code="DE", party_id="ABC", role="CPO")).start()
    server.accept_token("token-b-value", "B")
    yield server
    server.stop()


@pytest.fixture
def client(peer: PeerServer) -> Iterator[OcpiClient]:
    c = OcpiClient(peer.recorder, timeout=5)
    yield c
    c.close()


def test_encode_token_is_plain_rfc4648_base64_without_newline() -> None:
    assert encode_token("example-token") == "Token ZXhhbXBsZS10b2tlbg=="
    assert base64.b64decode(encode_token("ebf3b399")[6:]) == b"ebf3b399"


def test_peer_listens_on_loopback(peer: PeerServer) -> None:
    assert peer.base_url.startswith("http://127.0.0.1:")
    assert peer.versions_url.endswith("/ocpi/versions")


def test_peer_serves_versions_and_details_to_token_b(peer: PeerServer, client: OcpiClient) -> None:
    versions = client.request("GET", peer.versions_url, token="token-b-value")
    assert versions.status == 200 and versions.ocpi_status == 1000
    assert versions.data == [{"version": "2.3.0", "url": peer.details_url}]
    assert versions.header("X-Request-ID") == versions.request_header("X-Request-ID")
    details = client.request("GET", peer.details_url, token="token-b-value")
    identifiers = {(e["identifier"], e["role"]) for e in details.data["endpoints"]}
    assert ("credentials", "SENDER") in identifiers and ("hubclientinfo", "RECEIVER") in identifiers
    creds = client.request("GET", peer.credentials_url, token="token-b-value")
    assert creds.data["token"] == "token-b-value"
    assert creds.data["roles"][0] == {
        "role": "CPO",
        "business_details": {"name": "OCPI conformance harness"},
        "party_id": "ABC",
        "country_code": "DE",
    }


def test_peer_records_how_the_caller_sent_its_token(peer: PeerServer, client: OcpiClient) -> None:
    client.request("GET", peer.versions_url, token="token-b-value", auth="base64")
    client.request("GET", peer.versions_url, token="token-b-value", auth="raw")
    refused = client.request("GET", peer.versions_url, token="someone-else")
    none = client.request("GET", peer.versions_url, auth="none")
    assert refused.status == 401 and none.status == 401
    inbound = [e for e in peer.recorder.all() if e.direction == "inbound"]
    assert [(e.auth_style, e.auth_token_name) for e in inbound] == [
        ("base64", "B"),
        ("raw", "B"),
        ("invalid", None),
        ("missing", None),
    ]
    assert all(e.finished >= e.started for e in inbound)


def test_peer_accepts_pushes_on_its_receiver_stub_and_refuses_registrations(
    peer: PeerServer, client: OcpiClient
) -> None:
    url = peer.receiver_url("hubclientinfo") + "/NL/XYZ"
    push = client.request(
        "PUT",
        url,
        token="token-b-value",
        json_body={
            "party_id": "XYZ",
            "country_code": "NL",
            "role": "CPO",
            "status": "CONNECTED",
            "last_updated": "2025-02-21T10:00:00Z",
        },
    )
    assert push.ocpi_status == 1000
    assert peer.state.pushes[0][0] == "PUT"
    assert client.request("POST", peer.credentials_url, token="token-b-value", json_body={}).status == 405


def test_a_cpo_peer_pages_its_locations_sender_with_a_link_to_its_own_next_page(client: OcpiClient) -> None:
    """The CPO identity's locations Sender (what a hub relays in routing.relayed-link-usable): two per page, born
    retired, a Link to the next page at the peer's own endpoint that keeps the date filters."""
    cpo = PeerServer(
        Recorder(), PartyIdentity(country_code="DE", party_id="ABC", role="CPO"), sender_modules=("locations",)
    ).start()
    try:
        cpo.accept_token("token-b-value", "B")
        url = cpo.sender_url("locations")
        assert ("locations", "SENDER") in {(e["identifier"], e["role"]) for e in cpo.endpoints()}
        first = client.request("GET", url, token="token-b-value", params={"date_from": "2020-01-01T00:00:00Z"})
        assert first.ocpi_status == 1000 and len(first.data) == 2
        assert first.header("X-Total-Count") == "3" and first.header("X-Limit") == "2"
        link = first.header("Link")
        assert link.startswith(f"<{url}?offset=2&limit=2&date_from=") and link.endswith('>; rel="next"')
        second = client.request("GET", link[1 : link.index(">")], token="token-b-value")
        assert [loc["id"] for loc in second.data] == ["CTSRVABC3"] and second.header("Link") is None
        assert all(e["status"] == "REMOVED" for loc in first.data + second.data for e in loc["evses"])
        one = client.request("GET", f"{url}/CTSRVABC1", token="token-b-value")
        assert one.data["id"] == "CTSRVABC1"
        assert client.request("GET", url, token="someone-else").status == 401
    finally:
        cpo.stop()


def test_client_records_transport_failures_instead_of_raising() -> None:
    rec = Recorder()
    c = OcpiClient(rec, timeout=1)
    try:
        e = c.request("GET", "http://127.0.0.1:9/ocpi/versions", token="x", label="closed port")
    finally:
        c.close()
    assert e.status is None and e.error
    assert rec.all() == [e]


def test_merge_extra_adds_unknown_fields_at_every_level_without_overwriting() -> None:
    body = {"token": "t", "roles": [{"role": "CPO", "business_details": {"name": "n"}}]}
    merged = _merge_extra(body, {"x": 1, "token": "other", "roles": {"y": 2, "business_details": {"z": 3}}})
    assert merged == {
        "token": "t",
        "x": 1,
        "roles": [{"role": "CPO", "y": 2, "business_details": {"name": "n", "z": 3}}],
    }


# -- asynchronous results: a CPO identity's commands / chargingprofiles Receiver, an eMSP identity's response URLs ----


def test_cpo_peer_accepts_commands_and_profile_requests_and_records_them(client: OcpiClient) -> None:
    cpo = PeerServer(
        client_recorder := Recorder(),
        PartyIdentity(country_code="DE", party_id="CPO", role="CPO"),
        receiver_modules=("commands", "chargingprofiles"),
    ).start()
    try:
        cpo.accept_token("tok", "B")
        advertised = {(e["identifier"], e["role"]) for e in cpo.endpoints()}
        assert {("commands", "RECEIVER"), ("chargingprofiles", "RECEIVER")} <= advertised
        body = {"response_url": "http://example.invalid/r/1", "session_id": "S1"}
        ex = client.request("POST", cpo.receiver_url("commands") + "/STOP_SESSION", token="tok", json_body=body)
        assert (ex.status, ex.ocpi_status, ex.data) == (200, 1000, {"result": "ACCEPTED", "timeout": 15})
        for method in ("GET", "PUT", "DELETE"):
            ex = client.request(method, cpo.receiver_url("chargingprofiles") + "/S1", token="tok", json_body=None)
            assert ex.data == {"result": "ACCEPTED", "timeout": 15}, method
        ex = client.request("PATCH", cpo.receiver_url("chargingprofiles") + "/S1", token="tok", json_body={})
        assert ex.status == 405
        inbound = [e for e in client_recorder.all() if e.direction == "inbound"]
        assert [e.method for e in inbound] == ["POST", "GET", "PUT", "DELETE", "PATCH"]
    finally:
        cpo.stop()


def test_emsp_peer_takes_results_at_its_response_urls_only(client: OcpiClient) -> None:
    emsp = PeerServer(
        Recorder(), PartyIdentity(country_code="DE", party_id="MSP", role="EMSP"), accepts_results=True
    ).start()
    try:
        emsp.accept_token("tok", "B")
        url = emsp.response_url("commands", "START_SESSION", "ref1")
        ex = client.request("POST", url, token="tok", json_body={"result": "ACCEPTED"})
        assert (ex.status, ex.ocpi_status, ex.data) == (200, 1000, None)
        assert emsp.state.pushes[-1][2] == {"result": "ACCEPTED"}
        assert client.request("GET", url, token="tok").status == 405
        assert client.request("POST", url, json_body={"result": "ACCEPTED"}).status == 401  # no token
    finally:
        emsp.stop()


def test_a_rate_limit_is_waited_out_and_asked_again_not_judged() -> None:
    """HTTP 429 says nothing about the rule a scenario judges: the client waits as Retry-After says and asks again;
    both exchanges are kept (the first labelled as retried), and the answer returned is the one after the wait."""
    import http.server
    import threading
    import time

    answers = [(429, b'{"status_code": 2000, "timestamp": "2026-01-01T00:00:00Z"}'), (200, b'{"status_code": 1000}')]

    class Limited(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = answers.pop(0)
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "0.2")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Limited)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    recorder = Recorder()
    client = OcpiClient(recorder, timeout=5)
    try:
        started = time.monotonic()
        ex = client.request("GET", f"http://127.0.0.1:{server.server_address[1]}/versions", label="versions")
        waited = time.monotonic() - started
    finally:
        client.close()
        server.shutdown()
        server.server_close()
    assert ex.status == 200 and ex.ocpi_status == 1000
    assert waited >= 0.2
    first, second = recorder.all()
    assert first.status == 429 and "retried after 0.2 s" in first.label and second is ex
    assert first.request_header("X-Request-ID") == second.request_header("X-Request-ID")  # the same request, again
