"""OCPI 2.2.1 parties beside 2.3.0 parties, through one real hub.

Real party processes speak one version each on the wire (``tests/e2e/party.py --version``): a 2.2.1 CPO, a 2.3.0
eMSP, a 2.2.1 eMSP and a 2.3.0 CPO. Each registers in its own version; what one pushes, asks or commands reaches
the others in their own versions, checked field by field against each version's description.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.support import examples as ex
from tests.support.ocpi import auth
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "data" / "ocpi-examples"
DESCRIPTIONS = {"2.3.0": "openapi.yaml", "2.2.1": "openapi-2.2.1.yaml"}


def valid(version: str, schema: str, doc: Any) -> list[str]:
    """Violations of ``schema`` in ``version``'s description (empty: valid)."""
    spec = yaml.safe_load((ROOT / DESCRIPTIONS[version]).read_text())
    uri = f"urn:test:{version}"
    registry: Registry = Registry().with_resource(uri, DRAFT202012.create_resource(spec))
    validator = Draft202012Validator({"$ref": f"{uri}#/components/schemas/{schema}"}, registry=registry)
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc))


class Party:
    """A registered party process and what it takes to call the hub as it."""

    def __init__(self, hub: HubProcess, process: PartyProcess, version: str) -> None:
        self.hub, self.process, self.version = hub, process, version
        result = process.control("register", {"versions_url": hub.versions_url, "token": hub.invite()})
        assert result["body"]["status_code"] == 1000, result
        self.answer = result["body"]["data"]
        self.token: str = process.state()["token_c"]

    def headers(self, to: tuple[str, str] | None = ("NL", "HUB")) -> dict[str, str]:
        found = {
            **auth(self.token),
            "OCPI-from-country-code": self.process.country,
            "OCPI-from-party-id": self.process.party,
        }
        if to is not None:
            found |= {"OCPI-to-country-code": to[0], "OCPI-to-party-id": to[1]}
        return found

    def call(self, method: str, path: str, body: Any = None, to: tuple[str, str] | None = ("NL", "HUB")) -> Any:
        url = f"{self.hub.base_url}/ocpi/{self.version}{path}"
        return httpx.request(method, url, json=body, headers=self.headers(to), timeout=30)

    def received(self, predicate: Callable[[dict[str, Any]], bool], count: int = 1) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 10
        while True:
            found = [r for r in self.process.http.get("/control/received").json() if predicate(r)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    env = {"OCPI_HUB_DELIVERY_POLL": "0.2", "OCPI_HUB_CALLBACK_TIMEOUT": "5"}
    hub = HubProcess(tmp_path_factory.mktemp("versions") / "hub.db", env=env).start()
    processes = {
        "cpo221": PartyProcess("NL", "CPA", "--version", "2.2.1").start(),
        "emsp230": PartyProcess("DE", "MSB", "--role", "EMSP").start(),
        "emsp221": PartyProcess("DE", "MSA", "--role", "EMSP", "--version", "2.2.1,2.3.0").start(),
        "cpo230": PartyProcess("NL", "CPB").start(),
    }
    try:
        versions = {"cpo221": "2.2.1", "emsp230": "2.3.0", "emsp221": "2.2.1", "cpo230": "2.3.0"}
        parties = {name: Party(hub, p, versions[name]) for name, p in processes.items()}
        yield {"hub": hub, **parties}
    finally:
        for p in processes.values():
            p.stop()
        hub.stop()


def test_the_hub_lists_both_versions_and_each_versions_modules(world: dict[str, Any]) -> None:
    hub, cpo = world["hub"], world["cpo221"]
    listed = httpx.get(hub.versions_url, headers=auth(cpo.token)).json()["data"]
    assert [v["version"] for v in listed] == ["2.3.0", "2.2.1"]
    details = httpx.get(f"{hub.base_url}/ocpi/2.2.1", headers=auth(cpo.token)).json()["data"]
    modules = {(e["identifier"], e["role"]) for e in details["endpoints"]}
    assert {m for m, _ in modules} == {
        "credentials",
        "hubclientinfo",
        "locations",
        "sessions",
        "cdrs",
        "tariffs",
        "tokens",
        "commands",
        "chargingprofiles",
    }
    assert all(e["url"].startswith(f"{hub.base_url}/ocpi/2.2.1/") for e in details["endpoints"])
    assert not valid("2.2.1", "VersionDetails", details)


def test_a_221_party_registers_in_221_and_sees_the_hub_as_hub(world: dict[str, Any]) -> None:
    hub, cpo = world["hub"], world["cpo221"]
    answer = cpo.answer
    assert not valid("2.2.1", "Credentials", answer)
    assert [(r["role"], r["country_code"], r["party_id"]) for r in answer["roles"]] == [("HUB", "NL", "HUB")]
    assert "hub_party_id" not in answer
    got = httpx.get(f"{hub.base_url}/ocpi/2.2.1/credentials", headers=auth(cpo.token)).json()["data"]
    assert got["roles"][0]["role"] == "HUB" and got["token"] == cpo.token
    # the 2.3.0 parties get 2.3.0 Credentials, which list the 2.2.1 parties as reachable
    emsp = world["emsp230"]
    mine = httpx.get(f"{hub.base_url}/ocpi/2.3.0/credentials", headers=auth(emsp.token)).json()["data"]
    assert mine["hub_party_id"] == "NLHUB" and ("CPO", "NL", "CPA") in {
        (r["role"], r["country_code"], r["party_id"]) for r in mine["roles"]
    }
    listed = {row.split()[0]: row for row in hub.cli("partners").stdout.splitlines()[1:]}
    assert "2.2.1" in listed["NL-CPA"] and "2.3.0" in listed["DE-MSB"]


def test_the_hub_registers_with_a_221_party_in_221_and_the_party_rotates_and_leaves(world: dict[str, Any]) -> None:
    """Hub-initiated registration: the hub picks the highest version both sides offer (2.2.1 for a party offering
    only 2.2.1, 2.3.0 for one offering both) and presents itself in that version's Credentials."""
    hub = world["hub"]
    only221 = PartyProcess("NL", "CPH", "--version", "2.2.1").start()
    both = PartyProcess("NL", "CPI", "--version", "2.2.1,2.3.0").start()
    try:
        for process, version in ((only221, "2.2.1"), (both, "2.3.0")):
            invitation = process.control("invite")
            registered = hub.cli("register", invitation["versions_url"], invitation["token"])
            assert registered.returncode == 0, registered.stderr
            state = process.state()
            theirs = state["hub_credentials"]
            assert not valid(version, "Credentials", theirs)
            assert ("hub_party_id" in theirs) == (version == "2.3.0")
            paths = [c["path"] for c in state["calls"]]
            assert f"/ocpi/{version}/credentials" in paths
            listed = {row.split()[0]: row for row in hub.cli("partners").stdout.splitlines()[1:]}
            assert f" {version} " in listed[f"NL-{process.party}"]
        theirs = only221.state()["hub_credentials"]
        assert [(r["role"], r["country_code"], r["party_id"]) for r in theirs["roles"]] == [("HUB", "NL", "HUB")]

        # the 2.2.1 party uses its token at the hub's 2.2.1 endpoints, rotates there, and unregisters
        token_c = only221.state()["token_c"]
        clientinfo = f"{hub.base_url}/ocpi/2.2.1/sender/hubclientinfo"
        assert httpx.get(clientinfo, headers=auth(token_c)).json()["status_code"] == 1000
        rotated = only221.control("rotate")
        assert rotated["body"]["status_code"] == 1000, rotated
        assert not valid("2.2.1", "Credentials", rotated["body"]["data"])
        new_c = rotated["body"]["data"]["token"]
        assert new_c != token_c
        assert httpx.get(clientinfo, headers=auth(token_c)).status_code == 401
        assert httpx.get(clientinfo, headers=auth(new_c)).json()["status_code"] == 1000
        gone = only221.control("unregister")
        assert gone["http"] == 200 and gone["body"]["status_code"] == 1000, gone
        assert httpx.get(clientinfo, headers=auth(new_c)).status_code == 401
        listed = {row.split()[0]: row.split() for row in hub.cli("partners").stdout.splitlines()[1:]}
        assert listed["NL-CPH"][1] == "INACTIVE"
    finally:
        only221.stop()
        both.stop()


def test_a_221_location_reaches_230_and_221_emsps_each_in_its_version(world: dict[str, Any]) -> None:
    cpo, emsp230, emsp221 = world["cpo221"], world["emsp230"], world["emsp221"]
    location = ex.location("NL", "CPA", "V221LOC")
    assert cpo.call("PUT", "/receiver/locations/NL/CPA/V221LOC", location).json()["status_code"] == 1000
    [up] = emsp230.received(lambda r: r["path"].endswith("/V221LOC"))
    assert up["path"] == "/ocpi/2.3.0/receiver/locations/NL/CPA/V221LOC"
    assert not valid("2.3.0", "Location", up["body"]) and up["body"]["last_updated"] == location["last_updated"]
    [same] = emsp221.received(lambda r: r["path"].endswith("/V221LOC"))
    assert same["path"] == "/ocpi/2.2.1/receiver/locations/NL/CPA/V221LOC"
    assert same["body"] == location  # the sender's own bytes to a party of its version
    # read back through the hub by each eMSP in its own version
    back = emsp221.call("GET", "/sender/locations/V221LOC").json()
    assert back["status_code"] == 1000 and not valid("2.2.1", "Location", back["data"])


def test_a_230_location_reaches_a_221_emsp_without_what_221_cannot_carry(world: dict[str, Any]) -> None:
    cpo, emsp230, emsp221 = world["cpo230"], world["emsp230"], world["emsp221"]
    location = ex.location("NL", "CPB", "V230LOC")
    location["help_phone"] = "+31201234567"
    location["evses"][0]["accepted_service_providers"] = ["DE-MSB"]
    mcs = {**ex.connector("9"), "standard": "MCS"}
    location["evses"][0]["connectors"].append(mcs)
    assert cpo.call("PUT", "/receiver/locations/NL/CPB/V230LOC", location).json()["status_code"] == 1000
    [down] = emsp221.received(lambda r: r["path"].endswith("/V230LOC"))
    assert down["path"] == "/ocpi/2.2.1/receiver/locations/NL/CPB/V230LOC"
    assert not valid("2.2.1", "Location", down["body"]), down["body"]
    assert "help_phone" not in down["body"] and "accepted_service_providers" not in down["body"]["evses"][0]
    assert [c["id"] for c in down["body"]["evses"][0]["connectors"]] == ["1", "2"]  # no MCS in 2.2.1
    assert down["body"]["last_updated"] == location["last_updated"]
    [same] = emsp230.received(lambda r: r["path"].endswith("/V230LOC"))
    assert same["body"] == location
    # read back through the hub by the 2.2.1 eMSP: the same translation of the hub's copy
    back = emsp221.call("GET", "/sender/locations/V230LOC").json()["data"]
    assert not valid("2.2.1", "Location", back) and "help_phone" not in back


def test_pages_read_through_the_hub_across_versions_follow_the_callers_links(world: dict[str, Any]) -> None:
    hub, cpo230, emsp221, cpo221, emsp230 = (world[k] for k in ("hub", "cpo230", "emsp221", "cpo221", "emsp230"))
    served = [ex.tariff("NL", "CPB", f"PG{i}") for i in range(3)]
    served[1]["tax_included"] = "YES"  # taxes included and no VAT rate to take them out: 2.2.1 cannot carry it
    del served[1]["elements"][0]["price_components"][0]["vat"]
    cpo230.process.control("set", {"serve": {"tariffs": served}})
    first = emsp221.call("GET", "/sender/tariffs?limit=2", None, to=("NL", "CPB"))
    assert first.json()["status_code"] == 1000, first.text
    assert [i["id"] for i in first.json()["data"]] == ["PG0"]  # PG1 left out
    assert all(not valid("2.2.1", "Tariff", i) for i in first.json()["data"])
    assert first.headers["x-total-count"] == "2"
    link = first.headers["link"]
    assert link.startswith(f"<{hub.base_url}/ocpi/2.2.1/sender/tariffs?"), link
    url = link[1 : link.index(">")]
    second = httpx.get(url, headers=emsp221.headers(("NL", "CPB")), timeout=30).json()
    assert [i["id"] for i in second["data"]] == ["PG2"]
    # and the other way: a 2.2.1 CPO's page read by a 2.3.0 eMSP, in 2.3.0, with 2.3.0 links
    cpo221.process.control("set", {"serve": {"locations": [ex.location("NL", "CPA", f"PH{i}") for i in range(3)]}})
    page = emsp230.call("GET", "/sender/locations?limit=2", None, to=("NL", "CPA"))
    assert [i["id"] for i in page.json()["data"]] == ["PH0", "PH1"]
    assert all(not valid("2.3.0", "Location", i) for i in page.json()["data"])
    assert page.headers["link"].startswith(f"<{hub.base_url}/ocpi/2.3.0/sender/locations?")


def test_tariffs_get_their_tax_rule_across_versions(world: dict[str, Any]) -> None:
    cpo221, cpo230, emsp230, emsp221 = world["cpo221"], world["cpo230"], world["emsp230"], world["emsp221"]
    old_form = {k: v for k, v in ex.tariff("NL", "CPA", "T221").items() if k != "tax_included"}
    assert cpo221.call("PUT", "/receiver/tariffs/NL/CPA/T221", old_form).json()["status_code"] == 1000
    [up] = emsp230.received(lambda r: r["path"].endswith("/tariffs/NL/CPA/T221"))
    assert up["body"]["tax_included"] == "NO" and not valid("2.3.0", "Tariff", up["body"])
    [same] = emsp221.received(lambda r: r["path"].endswith("/tariffs/NL/CPA/T221"))
    assert same["body"] == old_form
    # taxes included and no VAT rate to take them out: 2.2.1 cannot carry it, so the 2.2.1 eMSP does not get it
    inclusive = {**ex.tariff("NL", "CPB", "TINC"), "tax_included": "YES"}
    del inclusive["elements"][0]["price_components"][0]["vat"]
    assert cpo230.call("PUT", "/receiver/tariffs/NL/CPB/TINC", inclusive).json()["status_code"] == 1000
    assert emsp230.received(lambda r: r["path"].endswith("/TINC"))
    assert emsp221.received(lambda r: r["path"].endswith("/TINC"), count=0) == []
    # and sent to it directly it is refused to the sender with the reason, never forwarded half-right
    refused = cpo230.call("PUT", "/receiver/tariffs/NL/CPB/TINC", inclusive, to=("DE", "MSA")).json()
    assert refused["status_code"] == 4000 and "2.2.1" in refused["status_message"], refused


def test_session_prices_change_shape_across_versions(world: dict[str, Any]) -> None:
    cpo221, emsp230 = world["cpo221"], world["emsp230"]
    session = ex.session("NL", "CPA", "DE", "MSB", "S221")
    session["total_cost"] = {"excl_vat": 10.0, "incl_vat": 12.1}
    answer = cpo221.call("PUT", "/receiver/sessions/NL/CPA/S221", session, to=("DE", "MSB")).json()
    assert answer["status_code"] == 1000, answer
    [got] = emsp230.received(lambda r: r["path"].endswith("/sessions/NL/CPA/S221"))
    assert got["body"]["total_cost"]["before_taxes"] == 10.0
    assert [t["amount"] for t in got["body"]["total_cost"]["taxes"]] == [2.1]
    assert not valid("2.3.0", "Session", got["body"])
    # a 2.2.1 party that sends the 2.3.0 shape is refused by 2.2.1's own rules
    session["total_cost"] = {"before_taxes": 10.0}
    wrong = cpo221.call("PUT", "/receiver/sessions/NL/CPA/S221", session, to=("DE", "MSB")).json()
    assert wrong["status_code"] == 2001, wrong


def test_clientinfo_reaches_each_party_at_its_versions_endpoint(world: dict[str, Any]) -> None:
    """A 2.2.1 party learns of the parties behind the hub only through ClientInfo: it is told of those connected
    before it too (the 2.2.1 CPO registered first, and the eMSP after it was told of it)."""
    emsp221 = world["emsp221"]
    infos = emsp221.received(lambda r: "/receiver/hubclientinfo/" in r["path"] and r["method"] == "PUT", count=2)
    assert infos and all(i["path"].startswith("/ocpi/2.2.1/receiver/hubclientinfo/") for i in infos)
    assert all(not valid("2.2.1", "ClientInfo", i["body"]) for i in infos)
    told = {(i["body"]["country_code"], i["body"]["party_id"], i["body"]["status"]) for i in infos}
    assert {("NL", "CPA", "CONNECTED"), ("DE", "MSB", "CONNECTED")} <= told


def test_real_time_authorization_across_versions_both_ways(world: dict[str, Any]) -> None:
    cpo230, emsp221, cpo221, emsp230 = world["cpo230"], world["emsp221"], world["cpo221"], world["emsp230"]
    emsp221.process.control("set", {"authorize": {"TOK221": "ALLOWED"}})
    answer = cpo230.call("POST", "/sender/tokens/TOK221/authorize", None, to=("DE", "MSA")).json()
    assert answer["status_code"] == 1000 and answer["data"]["allowed"] == "ALLOWED"
    assert not valid("2.3.0", "AuthorizationInfo", answer["data"])
    emsp230.process.control("set", {"authorize": {"TOK230": "BLOCKED"}})
    answer = cpo221.call("POST", "/sender/tokens/TOK230/authorize", None, to=("DE", "MSB")).json()
    assert answer["status_code"] == 1000 and answer["data"]["allowed"] == "BLOCKED"
    assert not valid("2.2.1", "AuthorizationInfo", answer["data"])


def test_a_token_type_221_has_no_word_for_in_the_query(world: dict[str, Any]) -> None:
    """v221.md §7.2: ``?type=EMAID`` becomes OTHER on a real-time authorization to a 2.2.1 eMSP; a 2.2.1 CPO was
    never told of such a token, so asking it for one is answered unknown by the hub and a PATCH is not pushed."""
    cpo230, emsp221, emsp230, cpo221 = world["cpo230"], world["emsp221"], world["emsp230"], world["cpo221"]
    cpo230.call("POST", "/sender/tokens/NLEMAIDQ1/authorize?type=EMAID", None, to=("DE", "MSA"))
    [asked] = emsp221.received(lambda r: r["path"].endswith("/tokens/NLEMAIDQ1/authorize"))
    assert asked["query"] == "type=OTHER", asked
    got = emsp230.call("GET", "/receiver/tokens/DE/MSB/NLEMAIDQ1?type=EMAID", None, to=("NL", "CPA"))
    assert got.status_code == 404 and got.json()["status_code"] == 2004, got.text
    assert cpo221.received(lambda r: "NLEMAIDQ1" in r["path"], count=0) == []
    patch = {"valid": False, "last_updated": "2026-01-01T00:00:00Z"}
    token = {**ex.token("DE", "MSB", "NLEMAIDQ2"), "type": "EMAID"}
    assert emsp230.call("PUT", "/receiver/tokens/DE/MSB/NLEMAIDQ2?type=EMAID", token).json()["status_code"] == 1000
    assert emsp230.call("PATCH", "/receiver/tokens/DE/MSB/NLEMAIDQ2?type=EMAID", patch).json()["status_code"] == 1000
    assert len(world["cpo230"].received(lambda r: "NLEMAIDQ2" in r["path"], count=2)) == 2
    assert cpo221.received(lambda r: "NLEMAIDQ2" in r["path"], count=0) == []


def test_a_command_from_a_230_emsp_to_a_221_cpo_and_its_result_back(world: dict[str, Any]) -> None:
    emsp230, cpo221 = world["emsp230"], world["cpo221"]
    cpo221.process.control("set", {"results": {"START_SESSION": {"body": {"result": "ACCEPTED"}, "delay": 0.2}}})
    response_url = f"{emsp230.process.base_url}/ocpi/2.3.0/sender/commands/START_SESSION/r1"
    command = {
        "response_url": response_url,
        "token": ex.token("DE", "MSB", "CMDTOK"),
        "location_id": "V221LOC",
        "evse_uid": "3256",
    }
    answer = emsp230.call("POST", "/receiver/commands/START_SESSION", command, to=("NL", "CPA")).json()
    assert answer["status_code"] == 1000 and answer["data"]["result"] == "ACCEPTED", answer
    [sent] = cpo221.received(lambda r: r["path"] == "/ocpi/2.2.1/receiver/commands/START_SESSION")
    assert not valid("2.2.1", "StartSession", sent["body"])
    [result] = emsp230.received(lambda r: r["path"].endswith("/commands/START_SESSION/r1"))
    assert result["body"] == {"result": "ACCEPTED"}


def test_a_charging_profile_from_a_230_emsp_to_a_221_cpo_and_its_result_back(world: dict[str, Any]) -> None:
    emsp230, cpo221 = world["emsp230"], world["cpo221"]
    result = {
        "result": "ACCEPTED",
        "profile": {
            "start_date_time": "2026-01-01T10:00:00Z",
            "charging_profile": {
                "charging_rate_unit": "W",
                "charging_profile_period": [{"start_period": 0, "limit": 11000.0}],
            },
        },
    }
    cpo221.process.control("set", {"results": {"GET": {"body": result, "delay": 0.2}}})
    response_url = f"{emsp230.process.base_url}/ocpi/2.3.0/sender/chargingprofiles/cp1"
    asked = emsp230.call(
        "GET", f"/receiver/chargingprofiles/SESS1?duration=900&response_url={response_url}", to=("NL", "CPA")
    ).json()
    assert asked["status_code"] == 1000 and asked["data"]["result"] == "ACCEPTED", asked
    [sent] = cpo221.received(lambda r: r["path"] == "/ocpi/2.2.1/receiver/chargingprofiles/SESS1")
    assert "duration=900" in sent["query"] and "response_url=" in sent["query"]
    [back] = emsp230.received(lambda r: r["path"].endswith("/sender/chargingprofiles/cp1"))
    assert back["body"] == result and not valid("2.3.0", "ActiveChargingProfileResult", back["body"])

    profile = {
        "charging_profile": {
            "charging_rate_unit": "A",
            "charging_profile_period": [{"start_period": 0, "limit": 16.0}],
        },
        "response_url": f"{response_url}-set",
    }
    put = emsp230.call("PUT", "/receiver/chargingprofiles/SESS1", profile, to=("NL", "CPA")).json()
    assert put["status_code"] == 1000, put
    [sent] = cpo221.received(lambda r: r["method"] == "PUT" and r["path"].endswith("/chargingprofiles/SESS1"))
    assert not valid("2.2.1", "SetChargingProfile", sent["body"])
    assert sent["body"]["charging_profile"] == profile["charging_profile"]


def test_a_custom_command_is_not_supported_by_a_221_cpo(world: dict[str, Any]) -> None:
    emsp230, cpo221 = world["emsp230"], world["cpo221"]
    command = {"response_url": f"{emsp230.process.base_url}/ocpi/2.3.0/sender/commands/X/r2", "location_id": "L"}
    answer = emsp230.call("POST", "/receiver/commands/CUSTOM_REBOOT", command, to=("NL", "CPA")).json()
    assert answer["status_code"] == 1000 and answer["data"]["result"] == "NOT_SUPPORTED", answer
    assert cpo221.received(lambda r: "CUSTOM_REBOOT" in r["path"], count=0) == []


def test_cdrs_and_tokens_cross_versions(world: dict[str, Any]) -> None:
    cpo221, emsp230, cpo230, emsp221 = world["cpo221"], world["emsp230"], world["cpo230"], world["emsp221"]
    cdr = json.loads((EXAMPLES / "2.2.1" / "cdr_example.json").read_text())  # the official 2.2.1 example
    cdr.update(country_code="NL", party_id="CPA", id="CDR221")
    cdr["cdr_token"].update(country_code="DE", party_id="MSB")
    cdr["tariffs"][0].update(country_code="NL", party_id="CPA")
    answer = cpo221.call("POST", "/receiver/cdrs", cdr, to=None)  # open routing: to the cdr_token's eMSP
    assert answer.json()["status_code"] == 1000, answer.text
    assert answer.headers["location"].startswith(f"{world['hub'].base_url}/ocpi/2.2.1/receiver/cdrs/")
    [got] = emsp230.received(lambda r: r["method"] == "POST" and r["path"].endswith("/receiver/cdrs"))
    assert got["body"]["id"] == "CDR221" and not valid("2.3.0", "CDR", got["body"])
    assert got["body"]["total_cost"]["before_taxes"] == 4.00
    assert [t["amount"] for t in got["body"]["total_cost"]["taxes"]] == [0.40]
    # an eMSP's Token reaches the 2.2.1 CPO in 2.2.1 form; an EMAID token cannot, and is not pushed to it
    token = ex.token("DE", "MSB", "TOKX")
    assert emsp230.call("PUT", "/receiver/tokens/DE/MSB/TOKX", token).json()["status_code"] == 1000
    [pushed] = cpo221.received(lambda r: r["path"].endswith("/tokens/DE/MSB/TOKX"))
    assert not valid("2.2.1", "Token", pushed["body"])
    emaid = {**ex.token("DE", "MSB", "NLEMAID0001"), "type": "EMAID"}
    put = emsp230.call("PUT", "/receiver/tokens/DE/MSB/NLEMAID0001?type=EMAID", emaid).json()
    assert put["status_code"] == 1000
    assert cpo230.received(lambda r: "NLEMAID0001" in r["path"])
    assert cpo221.received(lambda r: "NLEMAID0001" in r["path"], count=0) == []
    assert emsp221  # the 2.2.1 eMSP is not a token receiver


def test_230_only_modules_are_refused_for_a_221_party(world: dict[str, Any]) -> None:
    cpo230 = world["cpo230"]
    terminal = {"terminal_id": "T1", "last_updated": "2025-01-01T00:00:00Z"}
    answer = cpo230.call("GET", "/sender/payments/terminals/T1", None, to=("DE", "MSA")).json()
    assert answer["status_code"] == 4000 and "2.2.1" in answer["status_message"], answer
    assert json.dumps(terminal)


def test_a_party_moves_from_221_to_230_with_a_credentials_put(world: dict[str, Any]) -> None:
    """Last in this module: the 2.2.1 eMSP (which offers 2.3.0 too) PUTs its credentials to the 2.3.0 endpoint, and
    from then on the hub speaks 2.3.0 to it."""
    hub, emsp, cpo = world["hub"], world["emsp221"], world["cpo221"]
    moved = emsp.process.control("rotate", {"version": "2.3.0"})
    assert moved["body"]["status_code"] == 1000, moved
    assert moved["body"]["data"]["hub_party_id"] == "NLHUB"  # 2.3.0 Credentials now
    listed = {row.split()[0]: row for row in hub.cli("partners").stdout.splitlines()[1:]}
    assert "2.3.0" in listed["DE-MSA"]
    location = ex.location("NL", "CPA", "AFTERMOVE")
    assert cpo.call("PUT", "/receiver/locations/NL/CPA/AFTERMOVE", location).json()["status_code"] == 1000
    [got] = emsp.received(lambda r: r["path"].endswith("/AFTERMOVE"))
    assert got["path"] == "/ocpi/2.3.0/receiver/locations/NL/CPA/AFTERMOVE"
    assert not valid("2.3.0", "Location", got["body"])
