"""The credentials module end to end: a real hub process and real party processes over loopback HTTP."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.ocpi import auth, credentials_body
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e

Party = Callable[..., PartyProcess]


def test_party_registers_rotates_and_unregisters(hub: HubProcess, make_party: Party, client: httpx.Client) -> None:
    party = make_party("NL", "PTY")
    token_a = hub.invite()
    credentials_url = f"{hub.base_url}/ocpi/2.3.0/credentials"

    # Before registering: token A opens versions and details; PUT and DELETE are 405; other modules 401.
    assert client.get(hub.versions_url, headers=auth(token_a)).json()["status_code"] == 1000
    assert client.put(credentials_url, headers=auth(token_a), json={}).status_code == 405
    assert client.delete(credentials_url, headers=auth(token_a)).status_code == 405
    assert client.get(f"{hub.base_url}/ocpi/2.3.0/sender/hubclientinfo", headers=auth(token_a)).status_code == 401

    result = party.control("register", {"versions_url": hub.versions_url, "token": token_a})
    assert result["http"] == 200, result
    answer = result["body"]
    assert answer["status_code"] == 1000
    hub_credentials = answer["data"]
    assert hub_credentials["hub_party_id"] == "NLHUB"
    assert hub_credentials["url"] == hub.versions_url
    assert {"role": "OTHER", "country_code": "NL", "party_id": "HUB"}.items() <= hub_credentials["roles"][0].items()
    token_c = hub_credentials["token"]
    assert token_c not in (token_a, party.state()["token_b"])

    # The hub called the party back, with token B, before it answered the POST.
    calls = [c["path"] for c in party.state()["calls"]]
    assert calls[calls.index("/control/register") + 1 :][:2] == ["/ocpi/versions", "/ocpi/2.3.0"]

    # Token A is dead; token C works everywhere; a second POST is 405.
    assert client.get(hub.versions_url, headers=auth(token_a)).status_code == 401
    assert client.get(f"{hub.base_url}/ocpi/2.3.0/sender/hubclientinfo", headers=auth(token_c)).status_code == 200
    again = client.post(credentials_url, headers=auth(token_c), json=party.state()["hub_credentials"])
    assert again.status_code == 405 and again.json()["status_code"] >= 2000
    got = client.get(credentials_url, headers=auth(token_c)).json()
    assert got["status_code"] == 1000 and got["data"]["token"] == token_c

    # Rotation: the hub re-fetches the endpoints, issues a new token, and the old one stops working.
    calls_before = len(party.state()["calls"])
    rotated = party.control("rotate")
    assert rotated["http"] == 200 and rotated["body"]["status_code"] == 1000, rotated
    new_c = rotated["body"]["data"]["token"]
    assert new_c != token_c
    new_calls = [c["path"] for c in party.state()["calls"][calls_before:]]
    assert "/ocpi/versions" in new_calls and "/ocpi/2.3.0" in new_calls
    assert client.get(hub.versions_url, headers=auth(token_c)).status_code == 401
    assert client.get(hub.versions_url, headers=auth(new_c)).status_code == 200

    # Unregistration: token C' dies.
    gone = party.control("unregister")
    assert gone["http"] == 200 and gone["body"]["status_code"] == 1000
    assert "data" not in gone["body"]
    assert client.get(hub.versions_url, headers=auth(new_c)).status_code == 401
    assert client.delete(credentials_url, headers=auth(new_c)).status_code == 401


def test_hub_initiated_registration(hub: HubProcess, make_party: Party, client: httpx.Client) -> None:
    party = make_party("DE", "HIR")
    invitation = party.control("invite")
    result = hub.cli("register", invitation["versions_url"], invitation["token"])
    assert result.returncode == 0, result.stderr
    assert "DE-HIR" in result.stdout
    state = party.state()
    # The party now holds the token the hub gave it and can use the hub with it.
    assert state["hub_credentials"]["hub_party_id"] == "NLHUB"
    token = state["token_c"]
    listing = client.get(f"{hub.base_url}/ocpi/2.3.0/sender/hubclientinfo", headers=auth(token))
    assert listing.status_code == 200
    assert {"country_code": "DE", "party_id": "HIR", "status": "CONNECTED"}.items() <= next(
        c for c in listing.json()["data"] if c["party_id"] == "HIR"
    ).items()
    # and it can rotate like any party-registered partner
    rotated = party.control("rotate")
    assert rotated["body"]["status_code"] == 1000, rotated
    # the hub's token A for the party was single-use on the party side: a second register fails cleanly
    again = hub.cli("register", invitation["versions_url"], invitation["token"])
    assert again.returncode == 1 and "3001" in again.stderr


def test_hub_initiated_stops_when_party_has_no_credentials_endpoint(hub: HubProcess, make_party: Party) -> None:
    party = make_party("DE", "NCE", "--no-credentials-endpoint")
    invitation = party.control("invite")
    result = hub.cli("register", invitation["versions_url"], invitation["token"])
    assert result.returncode == 1 and "3003" in result.stderr
    assert not any(c["method"] == "POST" and c["path"].endswith("credentials") for c in party.state()["calls"])


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda b: b["roles"][0].update(country_code="NLD"), "country_code"),
        (lambda b: b["roles"][0].update(party_id="AB"), "party_id"),
        (lambda b: b.update(roles=[]), "roles"),
        (lambda b: b.update(url="not a url"), "url"),
        (lambda b: b["roles"][0].update(role="HUB"), "role"),
        (lambda b: b.update(token="has space"), "token"),
        (lambda b: b.pop("token"), "token"),
    ],
    ids=[
        "country-code-3-chars",
        "party-id-2-chars",
        "empty-roles",
        "bad-url",
        "unknown-role-HUB",
        "token-space",
        "missing-token",
    ],
)
def test_bad_credentials_get_2001(hub: HubProcess, make_party: Party, client: httpx.Client, mutate, reason) -> None:  # type: ignore[no-untyped-def]
    party = make_party("NL", "BAD", "--accept-any-token")
    token_a = hub.invite()
    body = credentials_body("token-b-bad", party.versions_url, ("CPO", "NL", "BAD"))
    mutate(body)
    response = client.post(f"{hub.base_url}/ocpi/2.3.0/credentials", headers=auth(token_a), json=body)
    assert response.status_code == 200, response.text
    envelope = response.json()
    assert envelope["status_code"] == 2001
    assert reason in envelope["status_message"]
    # nothing was registered: token A still works
    assert client.get(hub.versions_url, headers=auth(token_a)).status_code == 200


def test_unreachable_party_gets_3001_and_unsupported_version_3002(
    hub: HubProcess, make_party: Party, client: httpx.Client
) -> None:
    token_a = hub.invite()
    body = credentials_body("token-b-x", "http://127.0.0.1:9/ocpi/versions", ("CPO", "NL", "UNR"))
    response = client.post(f"{hub.base_url}/ocpi/2.3.0/credentials", headers=auth(token_a), json=body)
    assert response.json()["status_code"] == 3001
    old = make_party("NL", "OLD", "--version", "2.2.1", "--accept-any-token")
    body = credentials_body("token-b-y", old.versions_url, ("CPO", "NL", "OLD"))
    response = client.post(f"{hub.base_url}/ocpi/2.3.0/credentials", headers=auth(token_a), json=body)
    assert response.json()["status_code"] == 3002
    assert client.get(hub.versions_url, headers=auth(token_a)).status_code == 200


def test_missing_credentials_endpoint_gets_3003(hub: HubProcess, make_party: Party, client: httpx.Client) -> None:
    party = make_party("NL", "NCR", "--no-credentials-endpoint", "--accept-any-token")
    token_a = hub.invite()
    body = credentials_body("token-b-z", party.versions_url, ("CPO", "NL", "NCR"))
    response = client.post(f"{hub.base_url}/ocpi/2.3.0/credentials", headers=auth(token_a), json=body)
    assert response.json()["status_code"] == 3003


def test_transport_errors(hub: HubProcess, client: httpx.Client) -> None:
    url = f"{hub.base_url}/ocpi/2.3.0/credentials"
    # Missing and unknown tokens: 401 with an envelope, before the body is looked at.
    for headers in ({}, auth("no-such-token"), {"Authorization": "Bearer x"}):
        response = client.post(url, headers=headers, content=b"{not json")
        assert response.status_code == 401
        assert response.json()["status_code"] == 2000
    token_a = hub.invite()
    response = client.post(
        url,
        headers=auth(token_a),
        content=b"{not json",
    )
    assert response.status_code == 400 and response.json()["status_code"] == 2001
    # raw tokens are accepted too
    assert client.get(hub.versions_url, headers=auth(token_a, raw=True)).status_code == 200
    # ids are echoed, or generated
    response = client.get(hub.versions_url, headers={**auth(token_a), "X-Request-ID": "r-1", "X-Correlation-ID": "c-1"})
    assert response.headers["X-Request-ID"] == "r-1" and response.headers["X-Correlation-ID"] == "c-1"
    assert client.get(hub.versions_url, headers=auth(token_a)).headers["X-Request-ID"]
    # configuration modules carry no routing headers
    assert not any(h.lower().startswith("ocpi-") for h in response.headers)
    # envelope timestamp form
    stamp = response.json()["timestamp"]
    assert stamp.endswith("Z") and len(stamp) == 20


def test_duplicate_party_is_refused(hub: HubProcess, make_party: Party) -> None:
    first, second = make_party("NL", "DUP"), make_party("NL", "DUP")
    assert (
        first.control("register", {"versions_url": hub.versions_url, "token": hub.invite()})["body"]["status_code"]
        == 1000
    )
    answer = second.control("register", {"versions_url": hub.versions_url, "token": hub.invite()})["body"]
    assert answer["status_code"] == 2001 and "already registered" in answer["status_message"]


def test_ten_simultaneous_registrations_give_one_success(hub: HubProcess, make_party: Party) -> None:
    party = make_party("NL", "TEN", "--accept-any-token")
    url = f"{hub.base_url}/ocpi/2.3.0/credentials"
    tokens = hub.invites(10)

    def post(i: int) -> int:
        body = credentials_body(f"token-b-{i}", party.versions_url, ("CPO", "NL", "TEN"))
        with httpx.Client(timeout=30) as c:
            return int(c.post(url, headers=auth(tokens[i]), json=body).json()["status_code"])

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(post, range(10)))
    assert codes.count(1000) == 1, codes
    assert all(code == 2001 for code in codes if code != 1000), codes

    # the same token A ten times at once: one registration; the rest are told the token is spent, or (while its one
    # handshake with the party is under way) to come back later
    other = make_party("NL", "ONE", "--accept-any-token")
    token_a = hub.invite()

    def post_same(i: int) -> tuple[int, int, str | None]:
        body = credentials_body(f"token-b-same-{i}", other.versions_url, ("CPO", "NL", "ONE"))
        with httpx.Client(timeout=30) as c:
            response = c.post(url, headers=auth(token_a), json=body)
            return response.status_code, int(response.json()["status_code"]), response.headers.get("retry-after")

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        results = list(pool.map(post_same, range(10)))
    assert [code for _, code, _ in results].count(1000) == 1, results
    for http, code, retry_after in results:
        if http == 429:
            assert code == 2000 and retry_after is not None and int(retry_after) >= 1, results
        else:
            assert http in (200, 401, 405), results


def test_data_survives_restart_and_no_clear_text_tokens(fresh_hub: HubProcess, make_party: Party) -> None:
    party = make_party("BE", "RST")
    token_a = fresh_hub.invite()
    answer = party.control("register", {"versions_url": fresh_hub.versions_url, "token": token_a})["body"]
    token_c = answer["data"]["token"]
    token_b = party.state()["token_b"]
    fresh_hub.stop()
    fresh_hub.start()
    with httpx.Client(timeout=10) as c:
        got = c.get(f"{fresh_hub.base_url}/ocpi/2.3.0/credentials", headers=auth(token_c))
        assert got.status_code == 200 and got.json()["data"]["token"] == token_c
        health = c.get(f"{fresh_hub.base_url}/health").json()
        assert health["status"] == "ok" and health["store"]["active_partners"] == 1
    fresh_hub.stop()
    files = [p for p in fresh_hub.db_path.parent.iterdir() if p.name.startswith(fresh_hub.db_path.name)]
    blob = b"".join(p.read_bytes() for p in files if not p.name.endswith(".key"))
    for token in (token_a, token_b, token_c):
        assert token.encode() not in blob, "a token is stored in clear text"


def test_callbacks_fall_back_to_raw_tokens_for_legacy_parties(hub: HubProcess, make_party: Party) -> None:
    party = make_party("NL", "LEG", "--raw-tokens")
    answer = party.control("register", {"versions_url": hub.versions_url, "token": hub.invite()})["body"]
    assert answer["status_code"] == 1000, answer


def test_credentials_list_reachable_parties_across_workers(tmp_path: Path, make_party: Party) -> None:
    """Every worker's Credentials follow registrations and unregistrations made through any worker."""
    hub = HubProcess(tmp_path / "hub.db", workers=2).start()
    try:
        first, second = make_party("SE", "ONE"), make_party("SE", "TWO")
        token_first = first.control("register", {"versions_url": hub.versions_url, "token": hub.invite()})["body"][
            "data"
        ]["token"]
        answer = second.control("register", {"versions_url": hub.versions_url, "token": hub.invite()})["body"]
        assert ("SE", "ONE") in {(r["country_code"], r["party_id"]) for r in answer["data"]["roles"]}
        assert ("SE", "TWO") not in {(r["country_code"], r["party_id"]) for r in answer["data"]["roles"]}

        def listed_for_first() -> list[set[tuple[str, str]]]:
            seen = []
            for _ in range(8):  # two workers answer in turn; ask often enough to reach both
                got = httpx.get(f"{hub.base_url}/ocpi/2.3.0/credentials", headers=auth(token_first)).json()
                seen.append({(r["country_code"], r["party_id"]) for r in got["data"]["roles"]})
            return seen

        assert all(("SE", "TWO") in roles and ("SE", "ONE") not in roles for roles in listed_for_first())
        second.control("unregister")
        time.sleep(0.1)  # other workers look at the store's change marker at most every 50 ms
        assert all(("SE", "TWO") not in roles for roles in listed_for_first())
    finally:
        hub.stop()


def test_partners_list_does_not_call_a_healthy_receive_only_party_half_registered(
    hub: HubProcess, make_party: Party, client: httpx.Client
) -> None:
    party = make_party("DE", "RCV")
    result = party.control("register", {"versions_url": hub.versions_url, "token": hub.invite()})
    assert result["body"]["status_code"] == 1000, result
    rows = [line.split() for line in hub.cli("partners").stdout.splitlines()]
    [row] = [r for r in rows if r[0] == "DE-RCV"]
    assert row[2] == "NO-CALL-YET", row  # registered, has only received so far: not a half registration
    client.get(hub.versions_url, headers=auth(party.state()["token_c"])).raise_for_status()
    rows = [line.split() for line in hub.cli("partners").stdout.splitlines()]
    assert next(r for r in rows if r[0] == "DE-RCV")[2] == "-"


def test_a_rotation_that_changes_the_roles_is_announced_to_the_others(fresh_hub: HubProcess, make_party: Party) -> None:
    """ClientInfo follows the party-roles a credentials PUT drops (SUSPENDED) and adds (CONNECTED); a rotation that
    keeps them announces nothing."""
    listener = make_party("DE", "LSN", "--role", "EMSP")
    assert (
        listener.control("register", {"versions_url": fresh_hub.versions_url, "token": fresh_hub.invite()})["body"][
            "status_code"
        ]
        == 1000
    )
    cpo = make_party("NL", "RTA")
    assert (
        cpo.control("register", {"versions_url": fresh_hub.versions_url, "token": fresh_hub.invite()})["body"][
            "status_code"
        ]
        == 1000
    )

    def told(count: int) -> list[tuple[str, str]]:
        deadline = time.monotonic() + 15
        while True:
            infos = [
                (r["body"]["party_id"], r["body"]["status"])
                for r in listener.http.get("/control/received").json()
                if "/receiver/hubclientinfo/NL/" in r["path"] and r["method"] == "PUT"
            ]
            if len(infos) >= count or time.monotonic() > deadline:
                return infos
            time.sleep(0.05)

    assert told(1) == [("RTA", "CONNECTED")]
    assert cpo.control("rotate")["body"]["status_code"] == 1000  # the same roles
    changed = cpo.control("rotate", {"party_id": "RTB"})
    assert changed["body"]["status_code"] == 1000, changed
    assert sorted(told(3)) == [("RTA", "CONNECTED"), ("RTA", "SUSPENDED"), ("RTB", "CONNECTED")]


class _Listened:
    """A hub with a short ``announcement_interval``, a platform NL/SWA and an eMSP DE/LSN listening for ClientInfo,
    both registered: what DE/LSN is told of NL's parties."""

    def __init__(self, tmp_path: Path, make_party: Party, interval: float) -> None:
        self.hub = HubProcess(tmp_path / "hub.db", env={"OCPI_HUB_ANNOUNCEMENT_INTERVAL": str(interval)}).start()
        try:
            self.listener = make_party("DE", "LSN", "--role", "EMSP")
            self.platform = make_party("NL", "SWA")
            for party in (self.listener, self.platform):
                answer = party.control("register", {"versions_url": self.hub.versions_url, "token": self.hub.invite()})
                assert answer["body"]["status_code"] == 1000, answer
        except BaseException:
            self.hub.stop()
            raise

    def told(self) -> list[dict[str, Any]]:
        """The ClientInfo PUTs DE/LSN got about NL parties, in order."""
        return [
            r
            for r in self.listener.http.get("/control/received").json()
            if "/receiver/hubclientinfo/NL/" in r["path"] and r["method"] == "PUT"
        ]

    def latest(self) -> dict[str, str]:
        """The last status DE/LSN was told of each NL party."""
        return {r["body"]["party_id"]: r["body"]["status"] for r in self.told()}


def test_a_platform_changing_its_roles_at_every_credentials_put_is_announced_once_an_interval(
    tmp_path: Path, make_party: Party
) -> None:
    """The attack: a platform swaps its party id at each of 20 credentials PUTs in a row, each swap owing every other
    platform two ClientInfo PUTs. The others are told at most once per ``announcement_interval`` (each time one
    ClientInfo per party, one correlation id), and what they are told last is where the platform ended up."""
    interval = 2.0
    setup = _Listened(tmp_path, make_party, interval)
    swapper, told, latest = setup.platform, setup.told, setup.latest
    try:
        deadline = time.monotonic() + 15
        while latest() != {"SWA": "CONNECTED"} and time.monotonic() < deadline:
            time.sleep(0.05)
        assert latest() == {"SWA": "CONNECTED"}
        started = time.monotonic()
        for n in range(20):
            changed = swapper.control("rotate", {"party_id": "SWB" if n % 2 == 0 else "SWA"})
            assert changed["body"]["status_code"] == 1000, changed
        took = time.monotonic() - started
        final = {"SWA": "CONNECTED", "SWB": "SUSPENDED"}  # the 20th swap goes back to SWA
        deadline = time.monotonic() + interval + 15
        while latest() != final and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(interval + 0.5)  # anything still owed arrives before it is counted
        assert latest() == final
        swaps = told()[1:]
        expansions = {r["headers"]["x-correlation-id"] for r in swaps}
        most = 2 + int(took / interval)  # the first swap at once, then one per interval, and the last one's
        assert len(expansions) <= most, (len(expansions), took, [r["body"] for r in swaps])
        assert len(swaps) <= 2 * most  # each time one ClientInfo per party (before: 40, two per swap)
    finally:
        setup.hub.stop()


def test_a_platform_holding_new_party_ids_at_every_put_costs_the_others_only_what_it_held_and_holds(
    tmp_path: Path, make_party: Party
) -> None:
    """The attack: at each of 10 credentials PUTs in a row a platform holds 20 new party ids and drops the 20 before.
    Each announcement the others get lists at most the party ids the platform held when it was written and those it
    holds when it goes out (here 40), not every party id it used in the interval (up to 200); and what they are told
    last of each party is right: the ones it holds now CONNECTED, every other one they were told of SUSPENDED."""
    interval = 3.0
    setup = _Listened(tmp_path, make_party, interval)
    platform, told, latest = setup.platform, setup.told, setup.latest
    try:
        held: list[str] = []
        for put in range(10):
            held = [f"{'ABCDEFGHIJ'[put]}{n:02}" for n in range(20)]
            changed = platform.control("rotate", {"also": held})
            assert changed["body"]["status_code"] == 1000, changed
        final = {pid: "CONNECTED" for pid in held}
        deadline = time.monotonic() + interval + 15
        while {k: v for k, v in latest().items() if v == "CONNECTED"} != final | {"SWA": "CONNECTED"}:
            assert time.monotonic() < deadline, latest()
            time.sleep(0.05)
        time.sleep(interval + 0.5)  # anything still owed arrives before it is counted
        now_told = latest()
        assert {k for k, v in now_told.items() if v == "CONNECTED"} == {"SWA", *held}, now_told
        assert all(v == "SUSPENDED" for k, v in now_told.items() if k not in held and k != "SWA"), now_told
        per_announcement: dict[str, int] = {}
        for r in told()[1:]:  # after SWA's own registration
            correlation = r["headers"]["x-correlation-id"]
            per_announcement[correlation] = per_announcement.get(correlation, 0) + 1
        assert max(per_announcement.values()) <= 40, per_announcement  # before: one of them listed up to 200
    finally:
        setup.hub.stop()


def test_a_platform_listing_more_party_roles_than_the_hub_takes_gets_2001_and_nothing_changes(
    tmp_path: Path, make_party: Party, client: httpx.Client
) -> None:
    """``max_party_roles`` bounds what one platform's registration or change can make the hub announce to every other
    platform. Over it, a POST registers nothing and leaves token A usable, and a PUT leaves the platform's roles and
    token as they were."""
    hub = HubProcess(tmp_path / "hub.db", env={"OCPI_HUB_MAX_PARTY_ROLES": "3"}).start()
    try:
        party = make_party("NL", "BIG", "--accept-any-token")
        token_a = hub.invite()
        roles = [("CPO", "NL", f"BI{n}") for n in range(4)]
        body = credentials_body("token-b-big", party.versions_url, *roles)
        refused = client.post(f"{hub.base_url}/ocpi/2.3.0/credentials", headers=auth(token_a), json=body)
        assert refused.json()["status_code"] == 2001, refused.text
        assert "at most 3" in refused.json()["status_message"]
        assert client.get(hub.versions_url, headers=auth(token_a)).status_code == 200  # token A still works

        answer = party.control("register", {"versions_url": hub.versions_url, "token": token_a})
        assert answer["body"]["status_code"] == 1000, answer
        token_c = party.state()["token_c"]
        over = party.control("rotate", {"also": ["BI1", "BI2", "BI3"]})
        assert over["body"]["status_code"] == 2001, over
        assert party.state()["token_c"] == token_c
        mine = client.get(f"{hub.base_url}/ocpi/2.3.0/credentials", headers=auth(token_c))
        assert mine.json()["status_code"] == 1000  # the old token still opens the hub
        listed = hub.cli("partners").stdout
        assert "NL-BIG" in listed and "BI1" not in listed, listed
        within = party.control("rotate", {"also": ["BI1", "BI2"]})
        assert within["body"]["status_code"] == 1000, within
    finally:
        hub.stop()
