"""ChargingProfiles through a real hub between real party processes (a CPO NL/CPO, eMSPs DE/MSP and DE/OTH): the
three Receiver operations each get the hub's ``response_url``, their asynchronous results reach the eMSP's own URL,
and the CPO's later ActiveChargingProfile PUTs reach the party that set the profile."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote

import httpx
import pytest

from tests.e2e.test_commands import set_cpo, start_net, stop_net
from tests.e2e.test_objects import V, ok, refused
from tests.e2e.test_routing import received
from tests.support import examples as ex
from tests.support.processes import PartyProcess

pytestmark = pytest.mark.e2e

PROFILE = {"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0, "limit": 11000.0}]}
ACTIVE = {"start_date_time": "2026-01-01T10:00:00Z", "charging_profile": PROFILE}


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    found = start_net(tmp_path_factory.mktemp("chargingprofiles") / "hub.db")
    cpo = found["cpo"]
    for sid in ("S-CP1", "S-CP2", "S-CP3"):
        ok(cpo.call("PUT", f"/receiver/sessions/NL/CPO/{sid}", ex.session("NL", "CPO", "DE", "MSP", sid)), 201)
    yield found
    stop_net(found)


def own_url(party: PartyProcess, ref: str) -> str:
    return f"{party.base_url}{V}/sender/chargingprofiles/results/{ref}?request_id={ref}"


def at_url(party: PartyProcess, url: str, count: int = 1) -> list[dict[str, Any]]:
    path = url.split(party.base_url, 1)[1].split("?", 1)[0]
    return received(party, lambda r: r["method"] == "POST" and r["path"] == path, count)


def to_cpo(party: PartyProcess, method: str, sid: str) -> list[dict[str, Any]]:
    path = f"{V}/receiver/chargingprofiles/{sid}"
    return received(party, lambda r: r["method"] == method and r["path"] == path)


def test_version_details_list_the_chargingprofiles_interfaces(net: dict[str, Any]) -> None:
    hub, msp = net["hub"], net["msp"]
    details = httpx.get(f"{hub.base_url}{V}", headers=msp.headers(to=None)).json()["data"]["endpoints"]
    advertised = {(e["identifier"], e["role"]) for e in details}
    assert {("chargingprofiles", "RECEIVER"), ("chargingprofiles", "SENDER")} <= advertised


def test_get_active_profile_result_reaches_the_emsp_url(net: dict[str, Any]) -> None:
    msp, parties = net["msp"], net["parties"]
    result = {"result": "ACCEPTED", "profile": ACTIVE}
    set_cpo(net, results={"GET": {"body": result, "delay": 0.1}})
    mine = own_url(parties["msp"], "get-1")
    answer = msp.call(
        "GET",
        f"/receiver/chargingprofiles/S-CP1?duration=900&response_url={quote(mine, safe='')}",
        headers=msp.headers(to=None, **{"X-Correlation-ID": "corr-cp-get"}),
    )
    assert ok(answer)["data"] == {"result": "ACCEPTED", "timeout": 30}
    [forwarded] = to_cpo(parties["cpo"], "GET", "S-CP1")
    query = parse_qs(forwarded["query"])
    assert query["duration"] == ["900"]
    assert query["response_url"][0].startswith(f"{net['hub'].base_url}{V}/sender/chargingprofiles/S-CP1/result/")
    [got] = at_url(parties["msp"], mine)
    assert got["body"] == result and got["query"] == "request_id=get-1"
    h = got["headers"]
    assert (h["ocpi-to-party-id"], h["ocpi-from-party-id"], h["x-correlation-id"]) == ("MSP", "CPO", "corr-cp-get")


def test_set_profile_result_then_active_profile_updates_reach_the_setter(net: dict[str, Any]) -> None:
    msp, cpo, parties = net["msp"], net["cpo"], net["parties"]
    # before anyone set a profile through the hub, an update has nowhere to go
    assert "no party set" in refused(
        cpo.call("PUT", "/sender/chargingprofiles/S-CP2", ACTIVE, headers=cpo.headers(to=None)), 2000
    )

    set_cpo(net, results={"PUT": {"body": {"result": "ACCEPTED"}, "delay": 0.1}})
    mine = own_url(parties["msp"], "put-1")
    body = {"charging_profile": PROFILE, "response_url": mine}
    ok(msp.call("PUT", "/receiver/chargingprofiles/S-CP2", body, headers=msp.headers(to=("NL", "CPO"))))
    [forwarded] = to_cpo(parties["cpo"], "PUT", "S-CP2")
    assert forwarded["body"]["charging_profile"] == PROFILE
    assert forwarded["body"]["response_url"].startswith(f"{net['hub'].base_url}{V}/sender/chargingprofiles/S-CP2/")
    [got] = at_url(parties["msp"], mine)
    assert got["body"] == {"result": "ACCEPTED"}

    answer = cpo.call("PUT", "/sender/chargingprofiles/S-CP2", ACTIVE, headers=cpo.headers(to=None))
    ok(answer)  # the eMSP's own answer, relayed
    assert (answer.headers["OCPI-from-party-id"], answer.headers["OCPI-to-party-id"]) == ("MSP", "CPO")
    [update] = received(
        parties["msp"], lambda r: r["method"] == "PUT" and r["path"] == f"{V}/sender/chargingprofiles/S-CP2"
    )
    assert update["body"] == ACTIVE
    assert (update["headers"]["ocpi-to-party-id"], update["headers"]["ocpi-from-party-id"]) == ("MSP", "CPO")
    assert received(parties["oth"], lambda r: "chargingprofiles" in r["path"], 0) == []


def test_clear_profile_result_reaches_the_emsp_url(net: dict[str, Any]) -> None:
    msp, parties = net["msp"], net["parties"]
    set_cpo(net, results={"DELETE": {"body": {"result": "UNKNOWN"}, "delay": 0.1}})
    mine = own_url(parties["msp"], "del-1")
    ok(
        msp.call(
            "DELETE",
            f"/receiver/chargingprofiles/S-CP3?response_url={quote(mine, safe='')}",
            headers=msp.headers(to=None),
        )
    )
    [forwarded] = to_cpo(parties["cpo"], "DELETE", "S-CP3")
    assert parse_qs(forwarded["query"])["response_url"][0].startswith(
        f"{net['hub'].base_url}{V}/sender/chargingprofiles/S-CP3/"
    )
    [got] = at_url(parties["msp"], mine)
    assert got["body"] == {"result": "UNKNOWN"}


def test_bad_requests_and_results(net: dict[str, Any]) -> None:
    msp, cpo, oth, parties = net["msp"], net["cpo"], net["oth"], net["parties"]
    set_cpo(net)
    mine = quote(own_url(parties["msp"], "bad"), safe="")
    refused(
        msp.call("GET", f"/receiver/chargingprofiles/S-CP1?response_url={mine}", headers=msp.headers(to=None)), 2001
    )
    refused(msp.call("DELETE", "/receiver/chargingprofiles/S-CP1", headers=msp.headers(to=None)), 2001)
    unknown = msp.call(
        "GET", f"/receiver/chargingprofiles/NOPE?duration=60&response_url={mine}", headers=msp.headers(to=None)
    )
    assert ok(unknown)["data"]["result"] == "UNKNOWN_SESSION"
    # DE/OTH may not see DE/MSP's session, so cannot reach its CPO by open routing
    hidden = oth.call(
        "GET", f"/receiver/chargingprofiles/S-CP1?duration=60&response_url={mine}", headers=oth.headers(to=None)
    )
    assert ok(hidden)["data"]["result"] == "UNKNOWN_SESSION"

    ok(
        msp.call(
            "GET", f"/receiver/chargingprofiles/S-CP1?duration=60&response_url={mine}", headers=msp.headers(to=None)
        )
    )
    hub_url = parse_qs(to_cpo(parties["cpo"], "GET", "S-CP1")[-1]["query"])["response_url"][0]
    refused(cpo.call("POST", hub_url, {"result": "MAYBE"}, headers=cpo.headers()), 2001)
    refused(oth.call("POST", hub_url, {"result": "ACCEPTED"}, headers=oth.headers()), 2000)
    ok(cpo.call("POST", hub_url, {"result": "REJECTED"}, headers=cpo.headers()))
    refused(cpo.call("POST", hub_url, {"result": "REJECTED"}, headers=cpo.headers()), 2000)
