"""The dashboard's latency series: percentiles read from the sketches within their stated accuracy, error rates per
bucket, and bounded memory (a fixed number of buckets, a fixed number of parties)."""

from __future__ import annotations

from reference_hub.hub import traffic as traffic_module
from reference_hub.hub.traffic import ACCURACY, Exchange, Traffic


def exchange(at: float, latency_ms: float, *, to: str = "DE/MSP", ok: bool = True, kind: str = "forward") -> Exchange:
    return Exchange(
        at=at,
        kind=kind,
        sender="NL/CPO",
        receiver=to,
        module="sessions",
        method="PUT",
        status_code=1000 if ok else None,
        latency_ms=latency_ms,
        request_id="r",
        correlation_id="c",
    )


def test_percentiles_and_error_rate_per_minute_and_per_party() -> None:
    clock = [6_000_000.0]
    traffic = Traffic(clock=lambda: clock[0])
    for n in range(1, 101):  # 1..100 ms in one minute, every tenth one failed
        traffic.note(exchange(clock[0] + n * 0.1, float(n), ok=n % 10 != 0))
    hour, day = traffic.series()  # type: ignore[misc]
    [minute] = [b for b in hour.buckets(clock[0] + 30) if b.sent]
    assert minute.sent == 100 and minute.failed == 10 and minute.error_rate == 0.1
    for q, exact in ((0.5, 50), (0.95, 95), (0.99, 99)):
        value = minute.quantile(q)
        assert value is not None and abs(value - exact) <= exact * ACCURACY + 1
    assert sum(b.sent for b in day.buckets(clock[0] + 30)) == 100
    assert len(hour.buckets(clock[0])) == 60 and len(day.buckets(clock[0])) == 144
    mine = traffic.series("DE-MSP")  # the partner id finds the CC/PID's series
    assert mine is not None and sum(b.sent for b in mine[0].buckets(clock[0] + 30)) == 100
    assert traffic.series("BE/OTH") is None


def test_deliveries_count_for_their_receiver_only_and_parties_are_bounded(monkeypatch: object) -> None:
    traffic = Traffic(clock=lambda: 6_000_000.0)
    traffic.note(exchange(6_000_000.0, 5.0, to="NL-CPO", kind="delivery"))
    hour, _day = traffic.series()  # type: ignore[misc]
    assert sum(b.sent for b in hour.buckets(6_000_000.0)) == 0  # not a routed request
    assert traffic.series("NL/CPO") is not None
    for n in range(traffic_module.PARTIES + 5):
        traffic.note(exchange(6_000_000.0, 1.0, to=f"X{n:03d}/AAA"))
    assert len(traffic._parties) == traffic_module.PARTIES
    assert traffic.series("NL/CPO") is None  # the least recently used went first


def test_the_day_series_reads_as_if_every_latency_had_been_added_to_it() -> None:
    """The ten-minute buckets are merged from the minute buckets (two sketch additions per forward instead of four):
    counts, failures and percentiles are those of sketches that took each latency themselves, for the slots that
    ended and for the one under way, and an exchange noted late still counts in its own slot."""
    from ddsketch import DDSketch

    start = 6_000_000.0  # a multiple of 600: slots begin at start, start + 600, ...
    traffic = Traffic(clock=lambda: start)
    wanted: dict[int, tuple[int, int, DDSketch]] = {}

    def note(at: float, latency: float, ok: bool) -> None:
        traffic.note(exchange(at, latency, ok=ok))
        slot = int(at // 600) * 600
        sent, failed, sketch = wanted.setdefault(slot, (0, 0, DDSketch(relative_accuracy=ACCURACY)))
        sketch.add(latency)
        wanted[slot] = (sent + 1, failed + (not ok), sketch)

    for n in range(25 * 60):  # one exchange a second for 25 minutes: two slots ended, a third under way
        note(start + n, 1.0 + (n * 37) % 400, ok=n % 13 != 0)
    note(start + 300.5, 999.0, ok=False)  # noted late: its slot ended (merged) long ago
    hour, day = traffic.series()  # type: ignore[misc]
    kept = {b.start: b for b in day.buckets(start + 25 * 60) if b.sent}
    assert sorted(kept) == sorted(wanted)
    for slot, (sent, failed, sketch) in wanted.items():
        got = kept[slot]
        assert (got.sent, got.failed) == (sent, failed), slot
        for q in (0.5, 0.95, 0.99, 1.0):
            assert got.quantile(q) == sketch.get_quantile_value(q), (slot, q)
    # The minute buckets themselves are unchanged: the late exchange counts in its own minute too.
    minutes = {b.start: b.sent for b in hour.buckets(start + 25 * 60) if b.sent}
    assert minutes[int(start) + 300] == 61 and sum(minutes.values()) == 25 * 60 + 1
