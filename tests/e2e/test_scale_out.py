"""Several hub instances on one PostgreSQL database behave as one hub.

Every test starts real ``ocpi-hub serve`` processes on their own loopback ports, all on one database of the session's
throwaway PostgreSQL server (tests/conftest.py), and real party processes (tests/e2e/party.py) that record what they
receive. What each test proves:

- a party registered through one instance is served by every instance (its token, its objects, its pushes);
- a rotated or unregistered token stops working on another instance within ``REVOCATION_BOUND`` seconds;
- the outbox is drained by every instance, deliveries written by one sent by another, nothing lost or repeated;
- a ClientInfo is announced once per change, whichever instance handled it;
- the still-alive check probes a silent party as one hub would (never twice in a round), does not probe a party
  that talks to another instance only, and announces OFFLINE and CONNECTED once each;
- ``kill -9`` of one of two instances during a push burst loses nothing either acknowledged.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from loadtests.postgres import Cluster
from tests.e2e.test_objects import Platform, V, register
from tests.support import examples as ex
from tests.support.ocpi import auth
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e

REVOCATION_BOUND = 1.0
"""Seconds within which a token revoked through one instance stops working on another: a notification normally
(milliseconds), else the next read of the change counter (``CHANGE_POLL``, 0.5 s), plus the authenticator's look at
the change marker (``MARKER_INTERVAL``, 50 ms)."""

DELIVERY_ENV = {
    "OCPI_HUB_DELIVERY_LEASE": "2",
    "OCPI_HUB_DELIVERY_POLL": "0.2",
    "OCPI_HUB_DELIVERY_BACKOFF": "0.2",
    "OCPI_HUB_DELIVERY_POLICY": "store_and_forward",
    # a receiver taken out of rotation while it is down is probed back soon; the check's lease (held by one
    # instance, at least two callback timeouts) passes to the other soon after its holder is frozen or killed
    "OCPI_HUB_DELIVERY_BREAKER_COOLDOWN": "0.5",
    "OCPI_HUB_CALLBACK_TIMEOUT": "2",
}


def _instances(
    cluster: Cluster, root: Path, count: int = 2, env: dict[str, str] | None = None, start: bool = True
) -> list[HubProcess]:
    """``count`` hub processes on one new database, sharing one secret key (as instances behind a proxy do)."""
    url = cluster.create_database(f"scale_{uuid.uuid4().hex[:12]}")
    shared = {"OCPI_HUB_SECRET_KEY": Fernet.generate_key().decode(), **DELIVERY_ENV, **(env or {})}
    hubs = []
    for n in range(count):
        hubs.append(HubProcess(root / f"instance-{n}" / "unused.db", store=url, env=shared))
    if start:
        for hub in hubs:
            hub.start()
    return hubs


@pytest.fixture(scope="module")
def pair(postgres_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HubProcess, ...]]:
    """Two instances on one database, the still-alive check off (its own test below)."""
    hubs = _instances(postgres_cluster, tmp_path_factory.mktemp("pair"), env={"OCPI_HUB_ALIVE_AFTER": "0"})
    yield tuple(hubs)
    for hub in hubs:
        hub.stop()


def _ok(response: httpx.Response, http: int = 200) -> dict[str, Any]:
    assert response.status_code == http, response.text
    body: dict[str, Any] = response.json()
    assert body["status_code"] == 1000, body
    return body


def _versions(hub: HubProcess, token: str) -> httpx.Response:
    return httpx.get(hub.versions_url, headers=auth(token), timeout=10)


def _wait_for(what: str, check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.05)


def _received(party: PartyProcess, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    return [r for r in party.http.get("/control/received").json() if predicate(r)]


def _client_infos(party: PartyProcess, about: str, status: str) -> list[dict[str, Any]]:
    return _received(party, lambda r: r["path"].endswith(f"/hubclientinfo/{about}") and r["body"]["status"] == status)


# --- one hub -------------------------------------------------------------------------------------------------


def test_a_party_registered_through_one_instance_is_served_by_every_instance(
    pair: tuple[HubProcess, ...], make_party: Callable[..., PartyProcess]
) -> None:
    a, b = pair
    cpo_party, msp_party = make_party("NL", "SCA"), make_party("DE", "SCM", "--role", "EMSP")
    cpo = Platform(a, "NL", "SCA", register(a, cpo_party), cpo_party)
    msp_token = register(b, msp_party)
    for hub in pair:
        assert _ok(_versions(hub, cpo.token))["data"][0]["version"] == "2.3.0"
        credentials = _ok(httpx.get(f"{hub.base_url}{V}/credentials", headers=auth(msp_token), timeout=10))
        assert credentials["data"]["token"] == msp_token
        listed = _ok(httpx.get(f"{hub.base_url}{V}/sender/hubclientinfo", headers=auth(msp_token), timeout=10))
        assert {(c["country_code"], c["party_id"]) for c in listed["data"]} >= {("NL", "SCA"), ("DE", "SCM")}

    # Written through B, read through A; the broadcast to the eMSP (registered through B) is sent once.
    through_b = Platform(b, "NL", "SCA", cpo.token)
    location = ex.location("NL", "SCA", "SHARED1")
    _ok(through_b.call("PUT", "/receiver/locations/NL/SCA/SHARED1", location), 201)
    served = _ok(cpo.call("GET", "/receiver/locations/NL/SCA/SHARED1"))["data"]
    assert served["id"] == "SHARED1" and served["last_updated"] == location["last_updated"]
    _wait_for("the broadcast reached the eMSP", lambda: bool(_received(msp_party, lambda r: "SHARED1" in r["path"])))
    time.sleep(1)
    assert len(_received(msp_party, lambda r: "SHARED1" in r["path"])) == 1


def _refused_after(hub: HubProcess, token: str, since: float) -> float:
    """Seconds from ``since`` until ``hub`` answers ``token`` with 401 (asked as fast as it answers)."""
    while True:
        if _versions(hub, token).status_code == 401:
            return time.monotonic() - since
        assert time.monotonic() - since < 10, "the revoked token still works after 10 s"


def test_a_rotated_or_unregistered_token_stops_working_on_every_instance_within_the_bound(
    pair: tuple[HubProcess, ...], make_party: Callable[..., PartyProcess]
) -> None:
    a, b = pair
    party = make_party("NL", "ROT")
    old = register(a, party)
    for _ in range(3):  # B knows (and caches) the token before it changes
        _ok(_versions(b, old))

    rotated = party.control("rotate")
    answered = time.monotonic()
    assert rotated["body"]["status_code"] == 1000, rotated
    after_rotation = _refused_after(b, old, answered)
    new = party.state()["token_c"]
    assert new != old
    _ok(_versions(b, new))

    unregistered = party.control("unregister")
    answered = time.monotonic()
    assert unregistered["body"]["status_code"] == 1000, unregistered
    after_unregistration = _refused_after(b, new, answered)

    print(f"revocation seen by the other instance after {after_rotation:.3f} s and {after_unregistration:.3f} s")
    assert after_rotation < REVOCATION_BOUND
    assert after_unregistration < REVOCATION_BOUND
    assert _versions(a, old).status_code == 401 and _versions(a, new).status_code == 401


def _push_all(instances: list[Platform], prefix: str, count: int) -> list[str]:
    """``count`` Location pushes, alternating between the instances; returns the acknowledged ids."""
    acknowledged = []
    with httpx.Client(timeout=10) as client:
        for n in range(count):
            cpo = instances[n % len(instances)]
            location_id = f"{prefix}{n:04d}"
            url = f"{cpo.hub.base_url}{V}/receiver/locations/{cpo.cc}/{cpo.pid}/{location_id}"
            answer = client.put(url, json=ex.location(cpo.cc, cpo.pid, location_id), headers=cpo.headers())
            assert answer.status_code == 201 and answer.json()["status_code"] == 1000, answer.text
            acknowledged.append(location_id)
    return acknowledged


def _arrivals(receiver: PartyProcess, prefix: str) -> dict[str, list[str]]:
    """X-Request-IDs received (and accepted: not answered 503 while down) per pushed Location id."""
    found: dict[str, list[str]] = defaultdict(list)
    for r in _received(receiver, lambda r: f"/{prefix}" in r["path"] and not r.get("refused")):
        found[r["path"].rsplit("/", 1)[-1]].append(r["headers"]["x-request-id"])
    return found


def _all_arrived(receivers: list[PartyProcess], prefix: str, ids: list[str], timeout: float = 60) -> None:
    _wait_for(
        f"every {prefix} push reached every receiver",
        lambda: all(set(ids) <= set(_arrivals(r, prefix)) for r in receivers),
        timeout,
    )


def test_the_outbox_is_drained_by_every_instance_with_nothing_lost_or_repeated(
    pair: tuple[HubProcess, ...], make_party: Callable[..., PartyProcess]
) -> None:
    """First both instances run: 80 pushes through both arrive once each. Then each instance in turn is frozen
    (SIGSTOP) right after pushes through both were acknowledged while the receivers were down: the other one sends
    everything, the frozen one's deliveries included (after their lease ran out, if it held any)."""
    a, b = pair
    cpo_party = make_party("NL", "DRN")
    receivers = [make_party("DE", "DR1", "--role", "EMSP"), make_party("DE", "DR2", "--role", "EMSP")]
    token = register(a, cpo_party)
    for n, receiver in enumerate(receivers):
        register(pair[n], receiver)
    through = [Platform(a, "NL", "DRN", token), Platform(b, "NL", "DRN", token)]

    ids = _push_all(through, "RUN", 80)
    _all_arrived(receivers, "RUN", ids)
    time.sleep(1)  # a duplicate would be on its way by now
    for receiver in receivers:
        arrivals = _arrivals(receiver, "RUN")
        assert sorted(arrivals) == ids
        repeated = {k: v for k, v in arrivals.items() if len(v) > 1}
        assert not repeated, f"{receiver.party}: delivered more than once: {list(repeated.items())[:3]}"

    for frozen, running in ((b, a), (a, b)):
        prefix = f"FRZ{frozen.port}"
        for receiver in receivers:
            receiver.control("set", {"down": True})
        ids = _push_all(through, prefix, 30)
        assert frozen.proc is not None
        frozen.proc.send_signal(signal.SIGSTOP)
        try:
            for receiver in receivers:
                receiver.control("set", {"down": False})
            _all_arrived(receivers, prefix, ids)
            for receiver in receivers:
                arrivals = _arrivals(receiver, prefix)
                assert all(len(set(v)) == 1 for v in arrivals.values()), (
                    f"a repeat under a new X-Request-ID: {arrivals}"
                )
        finally:
            frozen.proc.send_signal(signal.SIGCONT)
        assert running.proc is not None and running.proc.poll() is None


def test_a_client_info_is_announced_once_whichever_instance_handled_the_change(
    pair: tuple[HubProcess, ...], make_party: Callable[..., PartyProcess]
) -> None:
    a, b = pair
    watchers = [make_party("DE", "CW1", "--role", "EMSP"), make_party("FR", "CW2", "--role", "EMSP")]
    for hub, watcher in zip(pair, watchers, strict=True):
        register(hub, watcher)
    newcomer = make_party("NL", "CIN")
    token = register(a, newcomer)  # joins through A ...
    for watcher in watchers:
        _wait_for("the CONNECTED ClientInfo arrived", lambda w=watcher: bool(_client_infos(w, "NL/CIN", "CONNECTED")))
    _ok(httpx.delete(f"{b.base_url}{V}/credentials", headers=auth(token), timeout=10))  # ... and leaves through B
    _wait_for("the leave was announced", lambda: all(_client_infos(w, "NL/CIN", "SUSPENDED") for w in watchers))
    time.sleep(2)  # both instances have polled the outbox several times since
    for watcher in watchers:
        assert len(_client_infos(watcher, "NL/CIN", "CONNECTED")) == 1
        assert len(_client_infos(watcher, "NL/CIN", "SUSPENDED")) == 1


# --- the still-alive check -----------------------------------------------------------------------------------


def _probes(party: PartyProcess, after: float) -> list[float]:
    return [c["at"] for c in party.state()["calls"] if c["path"] == "/ocpi/versions" and c["at"] > after]


@pytest.mark.slow
def test_still_alive_probes_are_not_multiplied_by_the_number_of_instances(
    postgres_cluster: Cluster, tmp_path: Path, make_party: Callable[..., PartyProcess]
) -> None:
    alive_after = 2.0
    a, b = _instances(
        postgres_cluster,
        tmp_path,
        env={
            "OCPI_HUB_ALIVE_AFTER": str(alive_after),
            "OCPI_HUB_CALLBACK_TIMEOUT": "5",
            "OCPI_HUB_DELIVERY_BREAKER_COOLDOWN": "1",
        },
        start=False,
    )
    try:
        a.start()
        time.sleep(1.5)  # A's first rounds: it holds the check's lease from here on
        b.start()
        silent = make_party("NL", "SIL")
        chatty = make_party("NL", "CHT")
        watcher = make_party("DE", "WAT", "--role", "EMSP")
        chatty_token = register(b, chatty)
        chatty_registered = time.time()
        stop = threading.Event()

        def chat() -> None:  # the chatty party talks to B only; A holds the lease and must not probe it
            while not stop.wait(0.3):
                _versions(b, chatty_token)

        talker = threading.Thread(target=chat)
        talker.start()
        try:
            register(a, silent)
            register(a, watcher)
            registered = time.time()
            time.sleep(7)
        finally:
            stop.set()
            talker.join()
        probes = _probes(silent, registered)
        gaps = [later - earlier for earlier, later in itertools.pairwise(probes)]
        print(f"probes of the silent party: {len(probes)} in 7 s, gaps {[round(g, 2) for g in gaps]}")
        assert len(probes) >= 2, "the still-alive check did not run"
        assert min(gaps) >= alive_after - 0.5, f"probed twice within a round: gaps {gaps}"
        assert _probes(chatty, chatty_registered) == [], "a party talking to another instance was probed"

        offline_before = len(_client_infos(watcher, "NL/SIL", "OFFLINE"))
        connected_before = len(_client_infos(watcher, "NL/SIL", "CONNECTED"))
        silent.control("set", {"versions_down": True})
        _wait_for("OFFLINE announced", lambda: len(_client_infos(watcher, "NL/SIL", "OFFLINE")) > offline_before)
        silent.control("set", {"versions_down": False})
        _wait_for(
            "CONNECTED announced again",
            lambda: len(_client_infos(watcher, "NL/SIL", "CONNECTED")) > connected_before,
        )
        time.sleep(3)  # several more rounds of both instances
        assert len(_client_infos(watcher, "NL/SIL", "OFFLINE")) == offline_before + 1
        assert len(_client_infos(watcher, "NL/SIL", "CONNECTED")) == connected_before + 1
    finally:
        a.stop()
        b.stop()


# --- crash --------------------------------------------------------------------------------------------------

PUSHES = 400
KILL_AFTER = 150


def test_kill_9_of_one_instance_during_a_push_burst_loses_nothing_acknowledged(
    postgres_cluster: Cluster, tmp_path: Path, make_party: Callable[..., PartyProcess]
) -> None:
    """Pushes alternate between two instances; one is killed with SIGKILL (server and worker at once) mid-burst,
    while one receiver is slow (deliveries are in flight, leased by the dying instance). Independent receiver
    processes count what arrives: every push either instance acknowledged reaches both, a repeat only under the
    same X-Request-ID, and the surviving instance does it alone."""
    a, b = _instances(postgres_cluster, tmp_path, env={"OCPI_HUB_ALIVE_AFTER": "0"})
    cpo_party = make_party("NL", "KIL")
    receivers = [make_party("DE", "KR1", "--role", "EMSP"), make_party("DE", "KR2", "--role", "EMSP")]
    try:
        token = register(a, cpo_party)
        for receiver in receivers:
            register(b, receiver)
        receivers[1].control("set", {"delay": 0.5})  # slower than the burst, even with several sends at once
        through = [Platform(a, "NL", "KIL", token), Platform(b, "NL", "KIL", token)]
        acknowledged: dict[str, list[str]] = {"a": [], "b": []}
        count = threading.Event()

        def push() -> None:
            with httpx.Client(timeout=10) as client:
                for n in range(PUSHES):
                    name = "ab"[n % 2]
                    cpo = through[n % 2]
                    location_id = f"K{n:04d}"
                    url = f"{cpo.hub.base_url}{V}/receiver/locations/NL/KIL/{location_id}"
                    try:
                        answer = client.put(url, json=ex.location("NL", "KIL", location_id), headers=cpo.headers())
                    except httpx.HTTPError:
                        continue  # that instance is gone: what it did not acknowledge was never promised
                    if answer.status_code in (200, 201) and answer.json()["status_code"] == 1000:
                        acknowledged[name].append(location_id)
                    if len(acknowledged["a"]) + len(acknowledged["b"]) >= KILL_AFTER:
                        count.set()

        pusher = threading.Thread(target=push)
        pusher.start()
        assert count.wait(60), "the burst did not get going"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # kill while the slow receiver lags: deliveries are owed and in flight
            behind = (
                len(acknowledged["a"])
                + len(acknowledged["b"])
                - len(_received(receivers[1], lambda r: "/K" in r["path"]))
            )
            if behind >= 10:
                break
            time.sleep(0.05)
        assert a.proc is not None
        os.killpg(a.proc.pid, signal.SIGKILL)  # the server and its worker, as a power cut would
        a.proc.wait(timeout=10)
        a.proc = None
        acknowledged_at_kill = len(acknowledged["a"]) + len(acknowledged["b"])
        slow_at_kill = len(_received(receivers[1], lambda r: "/K" in r["path"]))
        pusher.join(timeout=120)
        everything = acknowledged["a"] + acknowledged["b"]
        print(
            f"acknowledged by the killed instance: {len(acknowledged['a'])}, by the survivor: "
            f"{len(acknowledged['b'])}; the slow receiver had {slow_at_kill} at the kill"
        )
        assert len(acknowledged["a"]) >= KILL_AFTER // 2 - 1
        assert len(acknowledged["b"]) > len(acknowledged["a"]), "the survivor took no pushes after the kill"
        assert slow_at_kill < acknowledged_at_kill, "the slow receiver had everything at the kill: nothing tested"
        for receiver in receivers:
            _wait_for(
                f"{receiver.party} received every acknowledged push",
                lambda r=receiver: set(everything) <= set(_arrivals(r, "K")),
                timeout=90,
            )
            repeats = {k: v for k, v in _arrivals(receiver, "K").items() if len(set(v)) > 1}
            assert not repeats, f"{receiver.party}: repeats under new X-Request-IDs: {list(repeats.items())[:2]}"
    finally:
        a.stop()
        b.stop()
