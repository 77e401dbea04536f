"""How the fan-out phase counts what each receiver got (made-up receipts: only the counting is tested)."""

from __future__ import annotations

from loadtests.fanout import match


def test_a_retry_is_told_from_a_duplicate_and_a_missing_push_is_counted_per_receiver() -> None:
    acked = [("L1", 100.0, 100.1), ("L2", 101.0, 101.1), ("L3", 102.0, 102.1)]
    received = {
        "AA/R01": [("L1", 100.2, "x1"), ("L2", 101.3, "x2"), ("L3", 102.2, "x3"), ("OTHER", 99.0, "x0")],
        "AA/R02": [("L1", 100.5, "y1"), ("L1", 100.9, "y1"), ("L2", 101.2, "y2"), ("L2", 101.4, "y9")],
    }
    figures, receipts = match(acked, received)
    first, second = figures["receivers"]["AA/R01"], figures["receivers"]["AA/R02"]
    assert (first["delivered"], first["missing"], first["twice"], first["duplicated"]) == (3, 0, 0, 0)
    # L1 twice under one X-Request-ID (a retry), L2 under two (a duplicate), L3 never
    assert (second["delivered"], second["missing"], second["twice"], second["duplicated"]) == (2, 1, 2, 1)
    assert (figures["missing"], figures["duplicated"], figures["delivered"]) == (1, 1, 5)
    # delays from the acknowledgement to the first receipt; the object nobody pushed is ignored
    assert sorted(round(r[3]) for r in receipts if r[0] == "AA/R02") == [100, 400]
    assert figures["receivers"]["AA/R01"]["delay_ms"]["max"] == 200.0


def test_the_report_shows_both_steps_with_their_checks() -> None:
    from loadtests.bench import render_fanout

    acked = [("L1", 100.0, 100.1)]
    figures, _ = match(acked, {"AA/R01": [("L1", 100.2, "x1")], "AA/R02": []})
    step = {**figures, "asked_per_s": 100, "deliveries_per_s": 99.5, "hub_cores": 0.5, "hub_us_per_delivery": 400.0}
    back = {
        **figures,
        "stopped_s": 1.0,
        "restarted_s": 4.0,
        "drain": {"backlog": 30, "noticed_s": 0.5, "per_s": 1200.0},
        "others_before_ms": {"p99": 12.0},
        "others_during_drain_ms": {"p99": 15.0},
        "failures": 0,
    }
    text = "\n".join(render_fanout({"plan": {"receivers": 2, "rate": 1, "duration": 3, "down": 3}, "fanout": step,
                                    "backlog": back}))  # fmt: skip
    assert "### Fan-out (1 Locations/s to 2 receivers, 3 s; then one receiver down 3 s)" in text
    assert "| fan-out | 100 | 100 |" in text and "| 1 | 0 | 0 | 0.5 | 400.0 |" in text  # one missing, none twice
    assert "backlog of 30 deliveries" in text and "**1,200 deliveries/s**" in text
    assert "12.00 ms before the stop and 15.00 ms while the backlog drained" in text
    assert render_fanout({}) == []
