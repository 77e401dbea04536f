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
