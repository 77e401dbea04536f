"""``PartyPace``, the rate budget per platform, on a hand-driven clock (``tests/support/clock.FakeClock``)."""

from __future__ import annotations

from reference_hub.hub.ratelimit import PartyPace
from tests.support.clock import FakeClock


def test_a_burst_passes_then_requests_are_spaced_then_refused() -> None:
    clock = FakeClock()
    pace = PartyPace(4, max_wait=1.0, clock=clock)
    turns = [pace.turn("A") for _ in range(12)]
    assert turns[:5] == [0.0] * 5  # a second's worth, and the one due now
    assert turns[5:9] == [0.25, 0.5, 0.75, 1.0]  # spaced at the budgeted rate, up to a second's wait
    assert all(t < -1.0 for t in turns[9:])  # further away than a second: refused, with the seconds to its turn
    assert pace.turn("B") == 0.0  # another platform's budget is its own


def test_a_refused_request_costs_nothing_and_the_budget_refills() -> None:
    clock = FakeClock()
    pace = PartyPace(2, max_wait=0.0, clock=clock)
    assert [pace.turn("A") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert pace.turn("A") < 0 and pace.turn("A") < 0  # refusals do not push the next turn further away
    clock.now += 0.5
    assert pace.turn("A") == 0.0
    clock.now += 10
    assert [pace.turn("A") for _ in range(3)] == [0.0, 0.0, 0.0]  # idle for long: a whole burst again


def test_rate_zero_switches_it_off() -> None:
    pace = PartyPace(0)
    assert all(pace.turn("A") == 0.0 for _ in range(10_000))
