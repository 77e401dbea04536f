"""One platform's flood cannot take the hub from the others: budgets per platform of requests under way and of
calls forwarded on its behalf, on a real hub between real party processes.

CPO A floods real-time authorizations addressed to an eMSP that holds every request for seconds; CPO B meanwhile
authorizes at another eMSP. A gets HTTP 429 with Retry-After beyond its budget, the slow eMSP sees no more than the
budget, and B's authorization is answered at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reference_hub.hub.ratelimit import ANSWER_UNIT, answer_weight
from tests.e2e.test_objects import Platform, V, register
from tests.support.ocpi import auth
from tests.support.processes import HubProcess, PartyProcess, seeded_store

pytestmark = pytest.mark.e2e

FLOOD = 10
HOLD = 3.0
"""Seconds the slow eMSP holds each request."""


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    hub = HubProcess(tmp_path / "hub.db", env=request.param).start()
    parties = {
        "a": PartyProcess("NL", "CPA").start(),
        "b": PartyProcess("NL", "CPB").start(),
        "slow": PartyProcess("DE", "SLW", "--role", "EMSP").start(),
        "fast": PartyProcess("DE", "FST", "--role", "EMSP").start(),
    }
    try:
        platforms = {name: Platform(hub, p.country, p.party, register(hub, p), p) for name, p in parties.items()}
        parties["slow"].control("set", {"delay": HOLD})
        parties["fast"].control("set", {"authorize": {"T-FAST": "ALLOWED"}})
        yield {"hub": hub, "parties": parties, **platforms}
    finally:
        for p in parties.values():
            p.stop()
        hub.stop()


def _authorizations(party: PartyProcess) -> int:
    return sum(1 for r in party.http.get("/control/received").json() if r["path"].endswith("/authorize"))


def _flood(
    a: Platform, to: tuple[str, str] = ("DE", "SLW"), uid: str = "T-SLOW-{n}"
) -> tuple[list[httpx.Response], threading.Thread]:
    answers: list[httpx.Response] = []

    def one(n: int) -> None:
        url = f"{a.hub.base_url}{V}/sender/tokens/{uid.format(n=n)}/authorize"
        answer = httpx.post(url, headers=a.headers(to=to), timeout=30)
        answer.extensions["finished"] = time.monotonic()
        answers.append(answer)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(FLOOD)]
    for t in threads:
        t.start()

    def join() -> None:
        for t in threads:
            t.join()

    joiner = threading.Thread(target=join)
    joiner.start()
    return answers, joiner


def _b_is_served_at_once(b: Platform) -> None:
    started = time.monotonic()
    answer = httpx.post(
        f"{b.hub.base_url}{V}/sender/tokens/T-FAST/authorize", headers=b.headers(to=("DE", "FST")), timeout=30
    )
    assert answer.json()["data"]["allowed"] == "ALLOWED", answer.text
    assert time.monotonic() - started < 1.0


def _check_refusals(answers: list[httpx.Response], admitted: int | range, message: str) -> None:
    refused = [r for r in answers if r.status_code == 429]
    admitted = range(admitted, admitted + 1) if isinstance(admitted, int) else admitted
    assert FLOOD - len(refused) in admitted, [(r.status_code, r.text[:120]) for r in answers]
    for r in refused:
        body = r.json()
        assert body["status_code"] == 2000 and message in body["status_message"] and int(r.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("world", [{"OCPI_HUB_PARTY_FORWARDS": "3"}], indirect=True)
def test_calls_forwarded_for_one_platform_are_bounded(world: dict[str, Any]) -> None:
    a, b, slow = world["a"], world["b"], world["parties"]["slow"]
    answers, joiner = _flood(a)
    time.sleep(1.0)  # the flood is under way: three forwards held by the slow eMSP, the rest refused
    assert _authorizations(slow) == 3
    _b_is_served_at_once(b)
    joiner.join(timeout=30)
    _check_refusals(answers, 3, "requests to other parties under way")


@pytest.mark.parametrize("world", [{"OCPI_HUB_PARTY_REQUESTS": "4"}], indirect=True)
def test_requests_under_way_for_one_platform_are_bounded(world: dict[str, Any]) -> None:
    a, b, slow = world["a"], world["b"], world["parties"]["slow"]
    answers, joiner = _flood(a)
    time.sleep(1.0)
    assert _authorizations(slow) == 4
    _b_is_served_at_once(b)
    joiner.join(timeout=30)
    _check_refusals(answers, 4, "requests under way at this hub")
    # Once they are done, A's budget is whole again.
    again = httpx.post(f"{a.hub.base_url}{V}/sender/tokens/T-FAST/authorize", headers=a.headers(to=("DE", "FST")))
    assert again.status_code == 200 and again.json()["data"]["allowed"] == "ALLOWED"


@pytest.mark.parametrize("world", [{"OCPI_HUB_PARTY_RATE": "2"}], indirect=True)
def test_a_platform_over_its_rate_budget_waits_for_its_turn_then_is_refused(world: dict[str, Any]) -> None:
    """Two requests a second: a burst of a second's worth passes at once, the next ones wait for their turn (at most
    a second), and those whose turn is further away get 429; another platform is not slowed by any of it."""
    a, b = world["a"], world["b"]
    began = time.monotonic()
    answers, joiner = _flood(a, ("DE", "FST"), "T-FAST")
    _b_is_served_at_once(b)
    joiner.join(timeout=30)
    # 3 at once (a second's worth, plus the one due now), one after 0.5 s and one after 1 s; the rest would wait
    # longer than a second. One more may pass if the flood's requests reached the hub over more than half a second.
    _check_refusals(answers, range(5, 7), "over its budget of 2 requests per second")
    served = [r for r in answers if r.status_code == 200]
    assert all(r.json()["data"]["allowed"] == "ALLOWED" for r in served), [r.text[:120] for r in served]
    # The fifth admitted one's turn came a second after the first request reached the hub, whenever it arrived.
    assert max(r.extensions["finished"] for r in served) - began >= 1.0
    assert _authorizations(world["parties"]["fast"]) == len(served) + 1  # B's own authorization went through too


def test_a_platform_reading_its_credentials_in_a_loop_is_held_to_its_budget(tmp_path: Path) -> None:
    """The attack: one platform GETs its Credentials as fast as it can on two connections. Each answer lists every
    party reachable through the hub (about 1 MB with 10,000 parties), and counted as one request, a platform could
    have the hub send them back to back. It is charged as the requests it costs, so the platform gets as many answers
    as its budget pays for; another platform is served meanwhile."""
    store, tokens = seeded_store(tmp_path, 10_000)
    rate, seconds = 200, 3.0
    hub = HubProcess(tmp_path / "hub.db", store=store, env={"OCPI_HUB_PARTY_RATE": str(rate)}).start()
    try:
        url = f"{hub.base_url}/ocpi/2.3.0/credentials"
        size = len(httpx.get(url, headers=auth(tokens[0]), timeout=30).content)
        assert size > 10 * ANSWER_UNIT  # the answer is as large as this test needs
        answered: list[int] = []
        stop = time.monotonic() + seconds

        def read() -> None:
            with httpx.Client(headers=auth(tokens[0]), timeout=30) as client:
                while time.monotonic() < stop:
                    answered.append(client.get(url).status_code)

        readers = [threading.Thread(target=read) for _ in range(2)]
        for t in readers:
            t.start()
        others = [httpx.get(hub.versions_url, headers=auth(tokens[1]), timeout=10).status_code for _ in range(20)]
        for t in readers:
            t.join(timeout=30)
        assert others == [200] * 20  # another platform's budget is its own
        # What the budget pays for: the second's burst, the flood's seconds, and a last wait of up to a second (the
        # first answer, read before, is in there too), each answer counted as itself and its size's worth.
        most = (1 + seconds + 1) * rate / (1 + answer_weight(size)) + 2
        served = answered.count(200)
        assert 0 < served <= most, (served, most, size, answered.count(429))
        assert set(answered) <= {200, 429}
    finally:
        hub.stop()
