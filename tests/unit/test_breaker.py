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


def test_a_receiver_back_twice_is_judged_by_its_latest_return_and_older_returns_are_forgotten() -> None:
    clock = FakeClock(0.0)
    breaker = Breaker(1, 10, clock=clock)
    for receiver in ("A", "B", "C"):
        breaker.failed(receiver)
    clock.now = 10
    breaker.start_probe("A")
    breaker.probe_succeeded("A")  # A back at 10
    clock.now = 100
    breaker.start_probe("B")
    breaker.probe_succeeded("B")  # B back at 100
    clock.now = 200
    breaker.failed("A")  # out again 190 s after coming back: twice its wait, 20 s
    clock.now = 220
    assert breaker.start_probe("A")
    breaker.probe_succeeded("A")  # A back at 220, its last wait 20 s
    clock.now = 350
    breaker.start_probe("C")
    breaker.probe_succeeded("C")  # C back at 350: A's return at 10 is long past, its return at 220 is not
    clock.now = 420
    breaker.failed("B")  # 320 s after its return: the first wait again
    breaker.failed("A")  # 200 s after its latest return: twice its last wait, 40 s
    clock.now = 429.9
    assert not breaker.probe_due("B")
    clock.now = 430
    assert breaker.probe_due("B") and not breaker.probe_due("A")
    clock.now = 460
    assert breaker.probe_due("A")


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
