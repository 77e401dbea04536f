"""The delivery breaker: when a receiver leaves the rotation and when it is probed (unit level: a fake clock)."""

from __future__ import annotations

from reference_hub.hub.outbox import Breaker
from tests.support.clock import FakeClock


def test_out_after_the_threshold_of_failures_in_a_row_and_a_delivery_resets_the_count() -> None:
    breaker = Breaker(3, 10, clock=FakeClock())
    assert [breaker.failed("R") for _ in range(2)] == [False, False]
    breaker.delivered("R")
    assert [breaker.failed("R") for _ in range(3)] == [False, False, True]
    assert breaker.out_of_rotation() == {"R"}
    assert breaker.failed("R") is False  # already out: said once


def test_one_probe_per_cool_down_and_a_failed_probe_doubles_the_wait() -> None:
    clock = FakeClock()
    breaker = Breaker(1, 10, clock=clock)
    assert breaker.failed("R") is True
    clock.now += 9.9
    assert not breaker.start_probe("R")
    clock.now += 0.1
    assert breaker.start_probe("R")
    assert not breaker.start_probe("R")  # one probe at a time
    breaker.probe_failed("R")  # still out, now for 20 s
    clock.now += 19.9
    assert not breaker.probe_due("R")
    clock.now += 0.1
    assert breaker.start_probe("R")
    breaker.probe_succeeded("R")
    assert breaker.out_of_rotation() == set()


def test_the_wait_between_probes_is_bounded() -> None:
    clock = FakeClock()
    breaker = Breaker(1, 200, clock=clock)
    breaker.failed("R")
    for _ in range(5):
        clock.now += 10_000
        assert breaker.start_probe("R")
        breaker.probe_failed("R")
    clock.now += 300
    assert breaker.probe_due("R")


def test_a_receiver_that_leaves_again_soon_waits_longer_than_the_first_time() -> None:
    clock = FakeClock()
    breaker = Breaker(1, 10, clock=clock)
    breaker.failed("R")
    clock.now += 10
    assert breaker.start_probe("R")
    breaker.probe_succeeded("R")
    clock.now += 5
    assert breaker.failed("R") is True  # out again within five minutes of coming back
    clock.now += 19.9
    assert not breaker.probe_due("R")
    clock.now += 0.1
    assert breaker.start_probe("R")
    breaker.probe_succeeded("R")
    clock.now += 301  # long after: back to the first wait
    breaker.failed("R")
    clock.now += 10
    assert breaker.probe_due("R")


def test_the_store_is_the_truth_of_who_is_out() -> None:
    clock = FakeClock()
    breaker = Breaker(0, 10, clock=clock)
    assert not any(breaker.failed("R") for _ in range(100))  # threshold 0: never out on its own
    breaker.sync({"OFF": 3600})  # found OFFLINE in the store, marked so an hour ago (before a restart): probed at once
    assert breaker.out_of_rotation() == {"OFF"} and breaker.start_probe("OFF")
    breaker.took_out("GONE")  # the still-alive check found it gone: probed after the cool-down
    assert not breaker.probe_due("GONE")
    breaker.sync({"GONE": 0})  # brought back elsewhere: OFF is back, GONE stays out
    assert breaker.out_of_rotation() == {"GONE"}


def test_a_receiver_another_process_just_took_out_is_probed_after_the_cool_down_from_then() -> None:
    """Another process took R out 4 s ago: this one (holding the probes' lease) waits out the rest of the cool-down.
    Probed at once, a receiver whose versions endpoint answers while its deliveries fail came back and left again
    within a second, each time announced to every platform."""
    clock = FakeClock()
    breaker = Breaker(5, 10, clock=clock)
    breaker.sync({"R": 4.0})
    clock.now += 5.9
    assert not breaker.probe_due("R")
    clock.now += 0.1
    assert breaker.start_probe("R")
    breaker.probe_succeeded("R")
    clock.now += 1
    breaker.sync({"R": 0.0})  # out again, by another process, a second after coming back here: twice the wait
    clock.now += 19.9
    assert not breaker.probe_due("R")
    clock.now += 0.1
    assert breaker.probe_due("R")
    breaker.sync({})
    breaker.sync({"S": -30.0})  # marked by a process whose clock is ahead: never more than the wait
    clock.now += 10
    assert breaker.probe_due("S")
