"""Which partners the still-alive check probes, silent ones and receivers out of rotation (unit level: the store, the
deliveries, the client and the sends are stand-ins; the breaker runs on a fake clock)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from reference_hub.hub.liveness import Liveness
from reference_hub.hub.outbox import Breaker
from reference_hub.ocpi.datetime import DateTime
from reference_hub.settings import Settings
from reference_hub.store import Partner, PartnerStatus
from tests.support.clock import FakeClock


def _partner(
    partner_id: str, updated_ago: float = 0.0, *, offline: bool = False, stamp: DateTime | None = None
) -> Partner:
    """An ACTIVE partner last changed ``updated_ago`` seconds ago, or at ``stamp`` (the same moment for several)."""
    stamp = stamp or DateTime.from_datetime(datetime.now(UTC) - timedelta(seconds=updated_ago))
    return Partner(
        partner_id=partner_id,
        status=PartnerStatus.ACTIVE,
        token_hash="0" * 64,
        versions_url="https://example.com/versions",
        created=stamp,
        updated=stamp,
        offline=offline,
    )


class _FakeDeliveries:
    """Stand-in deliveries: keep the given partners as the ACTIVE ones."""

    def __init__(self, partners: list[Partner]) -> None:
        self.partners = partners

    async def active_partners(self) -> list[Partner]:
        return self.partners


class _FakeStore:
    """Stand-in store: holds the given partners (a round reads them only through the deliveries), the lease for
    ``lease_holder``, and returns ``shared`` as the times other processes heard partners."""

    def __init__(self, partners: list[Partner], lease_holder: str | None, shared: dict[str, DateTime]) -> None:
        self.partners = partners
        self.lease_holder = lease_holder
        self.shared = shared
        self.noted: dict[str, DateTime] = {}

    async def list_partners(self, **_: Any) -> Any:
        raise AssertionError("a round reads the ACTIVE partners the deliveries keep, not every partner in the store")

    async def take_lease(self, name: str, owner: str, now: DateTime, until: DateTime) -> bool:
        assert name == "liveness" and until > now
        self.lease_holder = self.lease_holder or owner
        return self.lease_holder == owner

    async def note_heard(self, heard: dict[str, DateTime]) -> None:
        self.noted.update(heard)

    async def heard_times(self) -> dict[str, DateTime]:
        return dict(self.shared)


def _ago(seconds: float) -> DateTime:
    return DateTime.from_datetime(datetime.now(UTC) - timedelta(seconds=seconds))


def _probed(
    partners: list[Partner],
    *,
    started_ago: float,
    heard: dict[str, float] | None = None,
    heard_elsewhere: dict[str, float] | None = None,
    lease_holder: str | None = None,
    store: _FakeStore | None = None,
) -> list[str]:
    shared = {k: _ago(v) for k, v in (heard_elsewhere or {}).items()}
    store = store or _FakeStore(partners, lease_holder, shared)
    deliveries = _FakeDeliveries(store.partners)
    liveness = Liveness(Settings(alive_after=300), store, None, None, deliveries)  # type: ignore[arg-type]
    liveness._started = time.monotonic() - started_ago
    for partner_id, ago in (heard or {}).items():
        liveness._heard[partner_id] = time.monotonic() - ago
    checked: list[str] = []

    async def check(partner: Partner) -> None:
        checked.append(partner.partner_id)

    liveness._check = check  # type: ignore[method-assign]
    asyncio.run(liveness.check_round())
    return sorted(checked)


def test_a_party_that_just_registered_through_another_worker_is_not_probed() -> None:
    partners = [_partner("NL-NEW", updated_ago=5), _partner("NL-OLD", updated_ago=3600)]
    assert _probed(partners, started_ago=3600) == ["NL-OLD"]


def test_requests_heard_here_count_and_offline_parties_are_left_to_the_breakers_schedule() -> None:
    partners = [
        _partner("NL-TALKS", updated_ago=3600),
        _partner("NL-SILENT", updated_ago=3600),
        _partner("NL-DOWN", updated_ago=10, offline=True),
    ]
    assert _probed(partners, started_ago=3600, heard={"NL-TALKS": 10, "NL-SILENT": 900}) == ["NL-SILENT"]


def test_nothing_is_silent_before_the_process_has_run_that_long() -> None:
    assert _probed([_partner("NL-OLD", updated_ago=3600)], started_ago=30) == []


def test_a_round_probes_a_bounded_number_longest_silent_first(monkeypatch: Any) -> None:
    import reference_hub.hub.liveness as liveness_module

    monkeypatch.setattr(liveness_module, "PROBES_PER_ROUND", 3)
    partners = [_partner(f"NL-P{n:02d}", updated_ago=1000 + n) for n in range(10)]
    assert _probed(partners, started_ago=5000) == ["NL-P07", "NL-P08", "NL-P09"]


def test_a_party_heard_by_another_process_is_not_probed() -> None:
    partners = [_partner("NL-THERE", updated_ago=3600), _partner("NL-NOWHERE", updated_ago=3600)]
    assert _probed(partners, started_ago=3600, heard_elsewhere={"NL-THERE": 20, "NL-NOWHERE": 900}) == ["NL-NOWHERE"]


def test_only_the_lease_holder_probes_but_every_process_shares_what_it_heard() -> None:
    store = _FakeStore([_partner("NL-OLD", updated_ago=3600)], "another process", {})
    assert _probed([], started_ago=3600, heard={"NL-TALKS": 5}, store=store) == []
    assert list(store.noted) == ["NL-TALKS"]
    assert abs(store.noted["NL-TALKS"].timestamp() - (time.time() - 5)) < 1


def test_times_heard_are_shared_to_the_second_one_time_per_second() -> None:
    """With 100,000 partners heard in a minute, a time made and written out per partner cost a worker 0.4 s of CPU
    per write; the partners heard in one second share one time, never later than the request and at most a second
    earlier."""
    store = _FakeStore([], None, {})
    liveness = Liveness(Settings(alive_after=300), store, None, None, None)  # type: ignore[arg-type]
    clock = time.monotonic()
    heard = {f"NL-{n:03d}": 3.0 - n * 0.002 for n in range(1000)}  # 2 s of requests, 3 to 1 s ago
    for partner_id, ago in heard.items():
        liveness._heard[partner_id] = clock - ago
    wall = time.time()
    asyncio.run(liveness.share_heard())
    assert set(store.noted) == set(heard)
    for partner_id, ago in heard.items():
        shared = store.noted[partner_id].timestamp()
        assert shared == int(shared) and wall - ago - 1.05 <= shared <= wall - ago + 0.05, (partner_id, shared)
    assert len({id(moment) for moment in store.noted.values()}) <= 3  # one object per second heard


def test_among_parties_silent_equally_long_a_bounded_round_probes_them_in_the_order_kept(monkeypatch: Any) -> None:
    import reference_hub.hub.liveness as liveness_module

    monkeypatch.setattr(liveness_module, "PROBES_PER_ROUND", 3)
    stamp = _ago(3600)
    partners = [_partner(f"NL-P{n:02d}", stamp=stamp) for n in (5, 1, 9, 3, 7)]
    # one updated a little longer ago than the others goes first; then the first two of the equals, as kept
    partners[4] = msgspec.structs.replace(partners[4], updated=_ago(3700))
    assert _probed(partners, started_ago=5000) == ["NL-P01", "NL-P05", "NL-P07"]


def test_receivers_out_of_rotation_are_probed_a_bounded_number_per_tick_longest_waiting_first(monkeypatch: Any) -> None:
    import reference_hub.hub.liveness as liveness_module

    monkeypatch.setattr(liveness_module, "PROBES_PER_ROUND", 4)
    monkeypatch.setattr(liveness_module, "PROBE_CONCURRENCY", 2)
    clock = FakeClock()
    breaker = Breaker(1, 10.0, clock=clock)
    receivers = [f"NL-R{n}" for n in range(10)]
    for receiver in receivers:  # taken out one second apart, NL-R0 first
        breaker.took_out(receiver)
        clock.now += 1
    clock.now += 10  # every probe is due

    class Deliveries:  # stand-in: the breaker, and the receivers OFFLINE in the store in no particular order
        def __init__(self) -> None:
            self.breaker = breaker

        async def offline(self) -> set[str]:
            return set(receivers)

    class Store:  # stand-in: every receiver is still an ACTIVE partner
        async def get_partner(self, partner_id: str) -> Partner:
            return _partner(partner_id, updated_ago=3600, offline=True)

    liveness = Liveness(Settings(), Store(), None, None, Deliveries())  # type: ignore[arg-type]
    probed: list[str] = []
    at_once = peak = 0

    async def answers(partner: Partner) -> bool:
        nonlocal at_once, peak
        at_once += 1
        peak = max(peak, at_once)
        await asyncio.sleep(0)
        at_once -= 1
        probed.append(partner.partner_id)
        return False  # still down: its next probe waits twice as long

    liveness._answers = answers  # type: ignore[method-assign]
    asyncio.run(liveness.probe_out_of_rotation())
    assert sorted(probed) == receivers[:4] and peak == 2
    probed.clear()
    asyncio.run(liveness.probe_out_of_rotation())  # the next tick: the next four, the first four wait 20 s now
    assert sorted(probed) == receivers[4:8]
