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
