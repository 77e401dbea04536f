"""``PartyPace``, the rate budget per platform, on a hand-driven clock (``tests/support/clock.FakeClock``)."""

from __future__ import annotations

from reference_hub.hub.ratelimit import ANSWER_UNIT, PartyPace, answer_weight
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


def test_a_dear_answer_is_charged_as_the_requests_it_cost() -> None:
    """A Credentials answer of 100,000 parties counts as about 150 requests: the platform's next requests wait for the
    budget it spent, or are refused, and another platform's budget is untouched."""
    clock = FakeClock()
    pace = PartyPace(100, max_wait=1.0, clock=clock)
    assert pace.turn("A") == 0.0
    pace.charge("A", answer_weight(9_600_000))  # 146 requests' worth: 1.46 s of A's budget
    assert 0.46 < pace.turn("A") < 0.48  # a second's burst covers most of it; it waits for the rest
    pace.charge("A", answer_weight(9_600_000))
    assert -1.95 < pace.turn("A") < -1.9  # its turn is more than a second away: refused, with the seconds to wait
    clock.now += 1.0
    assert 0.9 < pace.turn("A") <= 1.0  # within a second now: it waits
    assert pace.turn("B") == 0.0
    clock.now += 60
    assert pace.turn("A") == 0.0  # repaid
    pace.charge("A", answer_weight(ANSWER_UNIT - 1))  # a small answer costs nothing more than its request
    assert pace.turn("A") == 0.0
    PartyPace(0).charge("A", 1000)  # no budget, nothing to charge


def test_answer_weight_counts_whole_units_beyond_the_request_itself() -> None:
    assert [answer_weight(n) for n in (0, ANSWER_UNIT - 1, ANSWER_UNIT, 10 * ANSWER_UNIT + 5)] == [0, 0, 1, 10]
