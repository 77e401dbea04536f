"""Locations, Tariffs, Sessions, CDRs and Tokens through a real hub process, pushed and read by two real party
processes' platforms (a CPO NL/CPO and an eMSP DE/MSP; a second eMSP DE/OTH for visibility)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import examples as ex
from tests.support.ocpi import auth
from tests.support.processes import HubProcess, PartyProcess

# The tests below are one story told in order on one hub (each builds on what the ones before it stored): one worker
# runs them all (make test distributes with --dist loadgroup).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("objects-world")]

V = "/ocpi/2.3.0"


@dataclass
class Platform:
    """A registered party platform: its token C and the party it speaks for."""

    hub: HubProcess
    cc: str
    pid: str
    token: str
    process: PartyProcess | None = None
    """The party process behind this platform, when the test started one."""

    def headers(self, to: tuple[str, str] | None = ("NL", "HUB"), **extra: str) -> dict[str, str]:
        found = {**auth(self.token), "OCPI-from-country-code": self.cc, "OCPI-from-party-id": self.pid}
        if to is not None:
            found |= {"OCPI-to-country-code": to[0], "OCPI-to-party-id": to[1]}
        return found | extra

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        headers = kw.pop("headers", None) or self.headers()
        url = path if path.startswith("http") else f"{self.hub.base_url}{V}{path}"
        return httpx.request(method, url, json=body, headers=headers, timeout=30, **kw)


def register(hub: HubProcess, party: PartyProcess) -> str:
    result = party.control("register", {"versions_url": hub.versions_url, "token": hub.invite()})
    assert result["body"]["status_code"] == 1000, result
    token: str = party.state()["token_c"]
    return token


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HubProcess, Platform, Platform, Platform]]:
    hub = HubProcess(tmp_path_factory.mktemp("objects") / "hub.db", env={"OCPI_HUB_PAGE_LIMIT": "3"}).start()
    parties = [
        PartyProcess("NL", "CPO").start(),
        PartyProcess("DE", "MSP", "--role", "EMSP").start(),
        PartyProcess("DE", "OTH", "--role", "EMSP").start(),
    ]
    try:
        cpo, msp, oth = (Platform(hub, p.country, p.party, register(hub, p), p) for p in parties)
        yield hub, cpo, msp, oth
    finally:
        for p in parties:
            p.stop()
        hub.stop()


def ok(response: httpx.Response, http: int = 200) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.status_code == http and body["status_code"] == 1000, (response.status_code, body)
    return body


def refused(response: httpx.Response, status_code: int, http: int = 200) -> str:
    body = response.json()
    assert (response.status_code, body["status_code"]) == (http, status_code), (response.status_code, body)
    assert "data" not in body or body["data"] is None
    message: str = body.get("status_message", "")
    return message


def test_version_details_list_both_interfaces_of_the_five_modules(world: Any) -> None:
    hub, cpo, *_ = world
    details = httpx.get(f"{hub.base_url}{V}", headers=auth(cpo.token)).json()["data"]["endpoints"]
    advertised = {(e["identifier"], e["role"]): e["url"] for e in details}
    for module in ("locations", "tariffs", "sessions", "cdrs", "tokens"):
        for role in ("SENDER", "RECEIVER"):
            assert advertised[(module, role)] == f"{hub.base_url}{V}/{role.lower()}/{module}"


def test_location_put_get_and_evse_patch_bumps_the_location(world: Any) -> None:
    _hub, cpo, msp, _ = world
    loc = ex.location("NL", "CPO", "LOC1")
    url = "/receiver/locations/NL/CPO/LOC1"
    ok(cpo.call("PUT", url, loc), 201)
    assert ok(cpo.call("GET", url))["data"] == loc  # unchanged, last_updated included
    ok(cpo.call("PUT", url, loc), 200)  # a replacement is not a creation

    # routing headers on the answer: to the requester, from the hub
    answer = cpo.call("GET", url)
    assert answer.headers["OCPI-to-country-code"] == "NL" and answer.headers["OCPI-to-party-id"] == "CPO"
    assert answer.headers["OCPI-from-party-id"] == "HUB"

    ok(cpo.call("PATCH", f"{url}/3256", {"status": "CHARGING", "last_updated": "2015-07-01T10:00:00Z"}))
    evse = ok(cpo.call("GET", f"{url}/3256"))["data"]
    assert evse["status"] == "CHARGING" and evse["last_updated"] == "2015-07-01T10:00:00Z"
    assert evse["evse_id"] == "BE*BEC*E043256"  # the fields not in the PATCH are kept
    assert ok(cpo.call("GET", url))["data"]["last_updated"] == "2015-07-01T10:00:00Z"

    # a new connector under an EVSE: both parents carry its last_updated
    ok(cpo.call("PUT", f"{url}/3257/3", ex.connector("3", updated="2015-07-02T00:00:00Z")), 201)
    stored = ok(cpo.call("GET", url))["data"]
    assert stored["last_updated"] == "2015-07-02T00:00:00Z"
    assert stored["evses"][1]["last_updated"] == "2015-07-02T00:00:00Z"
    assert [c["id"] for c in stored["evses"][1]["connectors"]] == ["1", "2", "3"]
    assert ok(cpo.call("GET", f"{url}/3257/3"))["data"]["id"] == "3"

    # the eMSP reads the Location from the hub's Sender, by id, EVSE and connector
    assert ok(msp.call("GET", "/sender/locations/LOC1"))["data"] == stored
    assert ok(msp.call("GET", "/sender/locations/LOC1/3257/3"))["data"]["last_updated"] == "2015-07-02T00:00:00Z"
    refused(msp.call("GET", "/sender/locations/NOPE"), 2003, http=404)
    refused(msp.call("GET", "/sender/locations/LOC1/NOPE"), 2003, http=404)


def test_refused_writes_change_nothing(world: Any) -> None:
    _hub, cpo, msp, _ = world
    url = "/receiver/locations/NL/CPO/LOC2"
    ok(cpo.call("PUT", url, ex.location("NL", "CPO", "LOC2")), 201)
    before = ok(cpo.call("GET", url))["data"]

    assert "last_updated" in refused(cpo.call("PATCH", url, {"name": "no stamp"}), 2001)
    assert "id" in refused(cpo.call("PUT", url, ex.location("NL", "CPO", "OTHER")), 2001)
    assert "country_code" in refused(cpo.call("PUT", url, ex.location("BE", "CPO", "LOC2")), 2001)
    wrong_type = ex.location("NL", "CPO", "LOC2") | {"publish": "yes"}
    assert "publish" in refused(cpo.call("PUT", url, wrong_type), 2001)
    too_long = ex.location("NL", "CPO", "LOC2") | {"address": "x" * 46}
    assert "address" in refused(cpo.call("PUT", url, too_long), 2001)
    bad_json = httpx.put(f"{cpo.hub.base_url}{V}{url}", content=b"{not json", headers=cpo.headers(), timeout=30)
    refused(bad_json, 2001, http=400)
    # writing under a party this platform does not serve, or as a party it does not serve
    assert "not served" in refused(
        cpo.call("PUT", "/receiver/locations/DE/MSP/LOC2", ex.location("DE", "MSP", "LOC2")), 2000, http=404
    )
    assert "does not serve" in refused(
        cpo.call(
            "PATCH",
            url,
            {"name": "x", "last_updated": "2020-01-01T00:00:00Z"},
            headers=cpo.headers(**{"OCPI-from-party-id": "MSP", "OCPI-from-country-code": "DE"}),
        ),
        2000,
    )
    # an eMSP pushing a Location under its own id: Locations belong to CPOs
    assert "CPO" in refused(msp.call("PUT", "/receiver/locations/DE/MSP/LOC2", ex.location("DE", "MSP", "LOC2")), 2000)
    assert ok(cpo.call("GET", url))["data"] == before
    assert "CPO" in refused(msp.call("GET", "/receiver/locations/DE/MSP/LOC2"), 2000)

    # unknown fields and unknown values of open enums are accepted
    tolerant = ex.location("NL", "CPO", "LOC3") | {"x_vendor_field": 1}
    tolerant["evses"][0]["connectors"][0]["standard"] = "FUTURE_PLUG"
    ok(cpo.call("PUT", "/receiver/locations/NL/CPO/LOC3", tolerant), 201)
    assert (
        ok(cpo.call("GET", "/receiver/locations/NL/CPO/LOC3"))["data"]["evses"][0]["connectors"][0]["standard"]
        == "FUTURE_PLUG"
    )


def test_routing_headers_are_checked(world: Any) -> None:
    _hub, cpo, *_ = world
    url = "/receiver/locations/NL/CPO/LOC1"
    no_from = {**auth(cpo.token)}
    assert "OCPI-from" in refused(cpo.call("GET", url, headers=no_from), 2001)
    assert "not a party connected" in refused(cpo.call("GET", url, headers=cpo.headers(to=("XX", "NOP"))), 4001)
    ok(cpo.call("GET", url, headers=cpo.headers(to=None)))  # open routing to the hub's own copy
    # configuration modules carry no routing headers
    credentials = httpx.get(f"{cpo.hub.base_url}{V}/credentials", headers=auth(cpo.token))
    assert not [h for h in credentials.headers if h.lower().startswith("ocpi-")]


def test_tariffs_put_get_delete(world: Any) -> None:
    _hub, cpo, msp, _ = world
    url = "/receiver/tariffs/NL/CPO/12"
    ok(cpo.call("PUT", url, ex.tariff("NL", "CPO", "12")), 201)
    assert ok(cpo.call("GET", url))["data"] == ex.tariff("NL", "CPO", "12")
    assert [t["id"] for t in ok(msp.call("GET", "/sender/tariffs"))["data"]] == ["12"]
    ok(cpo.call("DELETE", url))
    refused(cpo.call("GET", url), 2000, http=404)
    refused(cpo.call("DELETE", url), 2000, http=404)


def test_sessions_put_replaces_and_patch_appends_charging_periods(world: Any) -> None:
    _hub, cpo, msp, oth = world
    url = "/receiver/sessions/NL/CPO/101"
    ok(cpo.call("PUT", url, ex.session("NL", "CPO", "DE", "MSP", "101")), 201)
    patch = {
        "status": "ACTIVE",
        "kwh": 5.5,
        "charging_periods": [ex.period("2015-06-29T23:00:00Z", 5.5)],
        "last_updated": "2015-06-29T23:00:00Z",
    }
    ok(cpo.call("PATCH", url, patch))
    stored = ok(cpo.call("GET", url))["data"]
    assert stored["status"] == "ACTIVE" and len(stored["charging_periods"]) == 2
    ok(cpo.call("PATCH", url, {"kwh": 6.0, "charging_periods": [], "last_updated": "2015-06-29T23:10:00Z"}))
    assert len(ok(cpo.call("GET", url))["data"]["charging_periods"]) == 2  # an empty list changes nothing
    ok(cpo.call("PUT", url, ex.session("NL", "CPO", "DE", "MSP", "101") | {"charging_periods": []}), 200)
    assert ok(cpo.call("GET", url))["data"]["charging_periods"] == []  # a PUT replaces them

    # only the eMSP of the cdr_token (and the owner) reads the session
    ok(cpo.call("PUT", "/receiver/sessions/NL/CPO/102", ex.session("NL", "CPO", "DE", "OTH", "102")), 201)
    mine = msp.call("GET", "/sender/sessions", params={"date_from": "2000-01-01T00:00:00Z"})
    assert [s["id"] for s in ok(mine)["data"]] == ["101"] and mine.headers["X-Total-Count"] == "1"
    assert [s["id"] for s in ok(oth.call("GET", "/sender/sessions"))["data"]] == ["102"]
    assert ok(cpo.call("GET", "/sender/sessions"))["data"].__len__() == 2


def test_cdrs_are_posted_once_and_read_at_the_location_header(world: Any) -> None:
    _hub, cpo, msp, oth = world
    cdr = ex.cdr("NL", "CPO", "DE", "MSP", "C1")
    answer = cpo.call("POST", "/receiver/cdrs", cdr)
    ok(answer, 201)
    location = answer.headers["Location"]
    assert location.startswith(f"{cpo.hub.base_url}{V}/receiver/cdrs/")
    assert ok(cpo.call("GET", location))["data"] == cdr
    assert "immutable" not in refused(cpo.call("POST", "/receiver/cdrs", cdr | {"total_energy": 1.0}), 2000)
    assert ok(cpo.call("GET", location))["data"]["total_energy"] == cdr["total_energy"]  # unchanged
    credit = cdr | {"id": "C1-C", "credit": True, "credit_reference_id": "C1", "total_cost": {"before_taxes": -4.0}}
    ok(cpo.call("POST", "/receiver/cdrs", credit), 201)
    assert [c["id"] for c in ok(msp.call("GET", "/sender/cdrs"))["data"]] == ["C1", "C1-C"]
    assert ok(oth.call("GET", "/sender/cdrs"))["data"] == []
    refused(oth.call("GET", location), 2000, http=404)


def test_tokens_keyed_by_uid_and_type_and_authorized(world: Any) -> None:
    _hub, cpo, msp, _ = world
    base = "/receiver/tokens/DE/MSP/012345678"
    ok(msp.call("PUT", base, ex.token("DE", "MSP")), 201)
    ok(msp.call("PUT", f"{base}?type=APP_USER", ex.token("DE", "MSP", type_="APP_USER", whitelist="NEVER")), 201)
    assert ok(msp.call("GET", base))["data"]["type"] == "RFID"  # no ?type= is RFID
    assert ok(msp.call("GET", f"{base}?type=APP_USER"))["data"]["whitelist"] == "NEVER"
    assert "type" in refused(msp.call("PUT", f"{base}?type=RFID", ex.token("DE", "MSP", type_="APP_USER")), 2001)
    ok(msp.call("PATCH", base, {"valid": False, "last_updated": "2019-01-01T00:00:00Z"}))
    assert ok(msp.call("GET", base))["data"]["valid"] is False
    listed = ok(cpo.call("GET", "/sender/tokens"))["data"]
    assert sorted(t["type"] for t in listed) == ["APP_USER", "RFID"]
    assert ok(msp.call("GET", "/sender/tokens"))["data"].__len__() == 2  # its own
    # real-time authorization is the eMSP's (tests/hub/test_authorization.py); while it cannot be reached the hub
    # answers from its copy of a token whose whitelist lets a CPO decide without the eMSP
    ok(msp.call("PATCH", base, {"valid": True, "last_updated": "2019-01-02T00:00:00Z"}))
    assert msp.process is not None
    msp.process.control("set", {"down": True})
    try:
        info = ok(cpo.call("POST", "/sender/tokens/012345678/authorize", {"location_id": "LOC1"}))["data"]
    finally:
        msp.process.control("set", {"down": False})
    assert info["allowed"] == "ALLOWED" and info["token"]["uid"] == "012345678" and info["authorization_reference"]
    unknown = cpo.call("POST", "/sender/tokens/NOBODY/authorize")
    assert unknown.status_code == 404 and unknown.json()["status_code"] == 2004 and "data" not in unknown.json()


def _next(response: httpx.Response) -> str | None:
    match = re.match(r'<([^>]+)>; rel="next"', response.headers.get("Link", ""))
    return match.group(1) if match else None


def test_sender_pages_follow_link_with_date_filters(world: Any) -> None:
    _hub, cpo, msp, _ = world
    stamps = [f"2021-01-0{d}T00:00:00Z" for d in range(1, 8)]
    for n, stamp in enumerate(stamps):
        ok(cpo.call("PUT", f"/receiver/locations/NL/CPO/P{n}", ex.location("NL", "CPO", f"P{n}", updated=stamp)), 201)
    params = {"date_from": stamps[1], "date_to": stamps[6]}
    first = msp.call("GET", "/sender/locations", params=params)
    assert first.headers["X-Total-Count"] == "5" and first.headers["X-Limit"] == "3"
    seen = [loc["id"] for loc in ok(first)["data"]]
    link = _next(first)
    assert link is not None and "date_from=" in link and "date_to=" in link
    second = msp.call("GET", link)
    seen += [loc["id"] for loc in ok(second)["data"]]
    assert _next(second) is None
    assert seen == ["P1", "P2", "P3", "P4", "P5"]  # date_from inclusive, date_to exclusive, creation order


def test_everything_the_hub_returns_validates_against_openapi_yaml(world: Any) -> None:
    from conformance.oracle import get_oracle

    oracle = get_oracle()
    _hub, cpo, msp, _ = world
    ok(cpo.call("PUT", "/receiver/tariffs/NL/CPO/13", ex.tariff("NL", "CPO", "13")), 201)
    checked: dict[str, int] = {}

    def check(component: str, data: Any) -> None:
        assert oracle.validate_component(component, data) == [], (component, data)
        checked[component] = checked.get(component, 0) + 1

    for module, component, reader in (
        ("locations", "Location", msp),
        ("tariffs", "Tariff", msp),
        ("sessions", "Session", msp),
        ("cdrs", "CDR", msp),
        ("tokens", "Token", cpo),
    ):
        url: str | None = f"{reader.hub.base_url}{V}/sender/{module}"
        while url:
            answer = reader.call("GET", url)
            for item in ok(answer)["data"]:
                check(component, item)
            url = _next(answer)
    check("EVSE", ok(msp.call("GET", "/sender/locations/LOC1/3256"))["data"])
    check("Connector", ok(msp.call("GET", "/sender/locations/LOC1/3256/1"))["data"])
    assert msp.process is not None
    msp.process.control("set", {"authorize": {"012345678": "ALLOWED"}})  # the eMSP answers; the hub relays it
    check("AuthorizationInfo", ok(cpo.call("POST", "/sender/tokens/012345678/authorize"))["data"])
    assert set(checked) == {"Location", "Tariff", "Session", "CDR", "Token", "EVSE", "Connector", "AuthorizationInfo"}
    assert checked["Location"] >= 5 and checked["Token"] == 2


def test_everything_survives_a_restart(world: Any) -> None:
    hub, cpo, msp, _ = world
    before = ok(msp.call("GET", "/sender/locations", params={"limit": "3", "offset": "0"}))["data"]
    hub.stop()
    hub.start()
    assert ok(msp.call("GET", "/sender/locations", params={"limit": "3", "offset": "0"}))["data"] == before
    assert ok(msp.call("GET", "/receiver/tokens/DE/MSP/012345678"))["data"]["uid"] == "012345678"
    assert ok(cpo.call("GET", "/sender/sessions"))["data"].__len__() == 2


def test_last_page_of_100000_locations(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub.db")
    party = PartyProcess("NL", "BIG").start()
    hub.start()
    try:
        token = register(hub, party)
        seeded = hub.cli("seed-locations", "--locations", "100000", "--owner", "NL/BIG")
        assert seeded.returncode == 0, seeded.stderr
        big = Platform(hub, "NL", "BIG", token)
        first = big.call("GET", "/sender/locations", params={"limit": "100"})
        last = big.call("GET", "/sender/locations", params={"offset": "99900", "limit": "100"})
        assert first.headers["X-Total-Count"] == last.headers["X-Total-Count"] == "100000"
        ids = [loc["id"] for loc in ok(last)["data"]]
        assert ids == [f"LOC{n:06d}" for n in range(99900, 100000)]
        assert _next(last) is None and _next(first) is not None
    finally:
        party.stop()
        hub.stop()
