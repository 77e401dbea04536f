"""Which partners the still-alive check probes (unit level: the store, the client and the sends are stand-ins)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from reference_hub.hub.liveness import Liveness
from reference_hub.ocpi.datetime import DateTime
from reference_hub.settings import Settings
from reference_hub.store import Partner, PartnerStatus


def _partner(partner_id: str, updated_ago: float, *, offline: bool = False) -> Partner:
    stamp = DateTime.from_datetime(datetime.now(UTC) - timedelta(seconds=updated_ago))
    return Partner(
        partner_id=partner_id,
        status=PartnerStatus.ACTIVE,
        token_hash="0" * 64,
        versions_url="https://example.com/versions",
        created=stamp,
        updated=stamp,
        offline=offline,
    )


class _FakeStore:
    """Stand-in store: lists the given partners."""

    def __init__(self, partners: list[Partner]) -> None:
        self.partners = partners

    async def list_partners(self, **_: Any) -> Any:
        return SimpleNamespace(items=self.partners)


def _probed(partners: list[Partner], *, started_ago: float, heard: dict[str, float] | None = None) -> list[str]:
    liveness = Liveness(Settings(alive_after=300), _FakeStore(partners), None, None, None)  # type: ignore[arg-type]
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
