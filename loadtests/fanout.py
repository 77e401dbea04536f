"""The fan-out phase of the benchmark: one CPO's Location pushes broadcast by a hub to many recording receivers, then
one receiver down for a while and its backlog drained on its return.

Two steps on one hub (run with the ``store_and_forward`` delivery policy, so that what a receiver misses while it is
down waits for it instead of being given up, and a short breaker cool-down, so its return is noticed within seconds):

1. **fan-out**: pushes at a fixed rate for a while; every receiver records what arrived, when, and under which
   X-Request-ID. Reported: deliveries per second, acceptance-to-receipt percentiles per receiver and overall,
   missing objects, objects received twice (under one X-Request-ID: a retry; under two: a duplicate), and the hub's
   CPU time per delivery (all its processes, the inbound PUTs included).
2. **backlog**: pushes go on while one receiver (its own process, on a fixed port so its URL stays the same) is
   stopped and, ``down`` seconds later, started again. Reported: how long the hub took to notice, how fast the
   backlog drained (deliveries per second from its first to its last backlog receipt), and the other receivers'
   p99 before the stop and while the backlog drained.

Receivers share processes (``per_process`` each; ``python -m loadtests.peer`` with several ``--party``): each is a
party registered on its own with its own URL, but 50 Python processes would take more of a 2-core machine than the
hub. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import json
import math
import threading
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loadtests import data
from loadtests.run import PeerProcess, RunResult, RunSpec, register_peer, run_locust

__all__ = ("FanoutPlan", "run_fanout")


@dataclass
class FanoutPlan:
    receivers: int = 50
    rate: float = 50
    """Pushes per second offered by the CPO (each one is a delivery to every receiver)."""
    duration: int = 60
    """Seconds of the fan-out step."""
    per_process: int = 10
    """Recording receivers per peer process."""
    lead: int = 10
    """Backlog step: seconds of pushes before the receiver stops."""
    down: int = 60
    """Seconds the receiver stays down."""
    tail: int = 30
    """Seconds of pushes after it is started again."""
    drain: float = 120
    """Seconds to wait, after the pushes, for every acknowledged push to reach every receiver."""
    users: int = 32


@dataclass
class _Receiver:
    party: str
    versions_url: str
    process: PeerProcess


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - our own loopback peer
        return json.loads(response.read())


def _received(versions_url: str) -> list[tuple[str, float, str]]:
    base = versions_url.rsplit("/ocpi/", 1)[0]
    return [(str(i), float(t), str(x)) for i, t, x in _get(f"{base}/received")]


def _percentiles(values: list[float]) -> dict[str, float]:
    return data.percentiles(values)


class _Receivers:
    """The recording receivers: ``count - 1`` shared ones and the last, the returning one, alone in its process."""

    def __init__(self, stack: ExitStack, country: str, count: int, per_process: int, results: Path) -> None:
        self.stack = stack
        self.results = results
        self.shared: list[_Receiver] = []
        parties = [f"{country}/{data.party_id(i)}" for i in range(count)]
        *others, self.returning_party = parties
        for start in range(0, len(others), per_process):
            group = others[start : start + per_process]
            args = ["--record"] + [a for party in group for a in ("--party", party)]
            process = stack.enter_context(PeerProcess("127.0.0.1", *args))
            self.shared += [_Receiver(p, u, process) for p, u in zip(group, process.versions_urls, strict=True)]
        self.earlier: list[tuple[str, float, str]] = []
        """What the returning receiver got in its earlier lives (written by the peer when it stopped)."""
        self.lives = 0
        self.returning = self._start_returning(port=0)

    def _start_returning(self, port: int) -> _Receiver:
        self.lives += 1
        record = self.results / f"returning-{self.lives}.json"
        args = ("--record", "--party", self.returning_party, "--record-file", str(record))
        process = PeerProcess("127.0.0.1", *args, port=port).start()
        self.stack.callback(process.stop)
        return _Receiver(self.returning_party, process.versions_url, process)

    def stop_returning(self) -> None:
        self.returning.process.stop()
        record = self.results / f"returning-{self.lives}.json"
        self.earlier += [(str(i), float(t), str(x)) for i, t, x in json.loads(record.read_text())[self.returning_party]]

    def restart_returning(self) -> None:
        port = int(self.returning.versions_url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        self.returning = self._start_returning(port)

    @property
    def all(self) -> list[_Receiver]:
        return [*self.shared, self.returning]

    def received(self) -> dict[str, list[tuple[str, float, str]]]:
        got = {r.party: _received(r.versions_url) for r in self.shared}
        got[self.returning_party] = self.earlier + _received(self.returning.versions_url)
        return got


def _wait_all(receivers: _Receivers, wanted: set[str], drain: float) -> tuple[dict[str, Any], bool]:
    deadline = time.monotonic() + drain
    while True:
        received = receivers.received()
        complete = all(wanted <= {i for i, _, _ in items} for items in received.values())
        if complete or time.monotonic() >= deadline:
            return received, complete
        time.sleep(1.0)


def _acked(spec: RunSpec) -> list[tuple[str, float, float]]:
    acked: list[tuple[str, float, float]] = []
    for path in sorted(spec.results.glob(f"{spec.name}.pushes.json*")):
        acked += [(str(i), float(s), float(a)) for i, s, a in json.loads(path.read_text(encoding="utf-8"))]
    return acked


def match(
    acked: list[tuple[str, float, float]], received: dict[str, list[tuple[str, float, str]]]
) -> tuple[dict[str, Any], list[tuple[str, float, float, float]]]:
    """Per receiver: delivered, missing, received more than once (``twice``), of which under different X-Request-IDs
    (``duplicated``: the receiver cannot tell it is the same delivery), acceptance-to-receipt percentiles. Also every
    first receipt as ``(receiver, accepted at, received at, delay ms)`` for the charts and the windows."""
    accepted = {i: ack for i, _, ack in acked}
    out: dict[str, Any] = {"acknowledged": len(acked), "receivers": {}}
    receipts: list[tuple[str, float, float, float]] = []
    for party, items in received.items():
        first: dict[str, float] = {}
        ids: dict[str, set[str]] = {}
        count: dict[str, int] = {}
        for object_id, moment, request_id in items:
            if object_id not in accepted:
                continue
            first[object_id] = min(first.get(object_id, moment), moment)
            ids.setdefault(object_id, set()).add(request_id)
            count[object_id] = count.get(object_id, 0) + 1
        delays = []
        for object_id, moment in first.items():
            delay = (moment - accepted[object_id]) * 1000
            delays.append(delay)
            receipts.append((party, accepted[object_id], moment, delay))
        out["receivers"][party] = {
            "delivered": len(first),
            "missing": sum(1 for i in accepted if i not in first),
            "twice": sum(1 for n in count.values() if n > 1),
            "duplicated": sum(1 for s in ids.values() if len(s) > 1),
            "delay_ms": _percentiles(delays),
        }
    rows = out["receivers"].values()
    out["missing"] = sum(r["missing"] for r in rows)
    out["twice"] = sum(r["twice"] for r in rows)
    out["duplicated"] = sum(r["duplicated"] for r in rows)
    out["delivered"] = sum(r["delivered"] for r in rows)
    out["delay_ms"] = _percentiles([r[3] for r in receipts])
    p99s = [r["delay_ms"].get("p99") or 0.0 for r in rows]
    out["worst_receiver_p99_ms"] = max(p99s, default=0.0)
    out["median_receiver_p99_ms"] = sorted(p99s)[len(p99s) // 2] if p99s else 0.0
    return out, receipts


def _series(
    receipts: list[tuple[str, float, float, float]], start: float, *, only: str | None = None, but: str | None = None
) -> dict[str, list[float]]:
    """Delay percentiles per second of acceptance (seconds since ``start``), for the delay-over-time chart."""
    buckets: dict[int, list[float]] = {}
    for party, accepted, _, delay in receipts:
        if (only is not None and party != only) or (but is not None and party == but):
            continue
        buckets.setdefault(math.floor(accepted - start), []).append(delay)
    out: dict[str, list[float]] = {"t": [], "p50": [], "p99": [], "max": []}
    for second in sorted(buckets):
        p = _percentiles(buckets[second])
        out["t"].append(second)
        for key in ("p50", "p99", "max"):
            out[key].append(round(float(p.get(key) or 0.0), 2))
    return out


def _spec(base: RunSpec, name: str, run_time: int, rate: float, users: int) -> RunSpec:
    return RunSpec(
        scenario="push",
        results=base.results,
        name=name,
        versions_url=base.versions_url,
        users=users,
        spawn_rate=users,
        run_time=run_time,
        reset_stats=True,
        options={
            **base.options,
            "rate": rate,
            "push_log": base.results / f"{name}.pushes.json",
            "push_prefix": f"{name[:2].upper()}{datetime.now(UTC).strftime('%H%M%S')}",
        },
    )


def run_fanout(
    base: RunSpec,
    plan: FanoutPlan,
    invitations: list[str],
    hub_cpu: Callable[[], float],
    machine: Callable[[], float],
    say: Callable[[str], None] = print,
    step_done: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Both steps; ``base`` names the target, the CPO's tokens and parties and the results folder; ``hub_cpu`` reads
    the hub's CPU seconds (all its processes), ``machine`` the whole machine's busy CPU seconds. ``step_done`` is
    called with ``fanout-registrations`` once the receivers are registered, then with ``fanout`` and
    ``fanout-backlog`` as each step ends (the bench notes its store's statements there)."""
    if len(invitations) < plan.receivers:
        raise ValueError(f"{plan.receivers} receivers need as many registration tokens A; got {len(invitations)}")
    base.results.mkdir(parents=True, exist_ok=True)
    country = data.party_country(invitations)
    out: dict[str, Any] = {"plan": vars(plan)}
    with ExitStack() as stack:
        receivers = _Receivers(stack, country, plan.receivers, plan.per_process, base.results)
        for index, receiver in enumerate(receivers.all):
            register_peer(base.versions_url, invitations[index], receiver.versions_url, receiver.party)
        say(f"  {plan.receivers} receivers registered in {len({id(r.process) for r in receivers.all})} processes")
        if step_done is not None:
            step_done("fanout-registrations")

        # 1. fan-out
        spec = _spec(base, "fanout", plan.duration, plan.rate, plan.users)
        started = time.time()
        with _Cores(hub_cpu, machine) as cores:
            result = run_locust(spec)
            acked = _acked(spec)
            received, complete = _wait_all(receivers, {i for i, _, _ in acked}, plan.drain)
        summary, receipts = match(acked, received)
        first = min((r[1] for r in receipts), default=started)
        last = max((r[2] for r in receipts), default=started)
        busy = max(last - first, 1e-9)
        used = cores.between(first, last)
        summary.update(_run_figures(result))
        summary.update(
            used,
            drained=complete,
            seconds=round(busy, 1),
            deliveries_per_s=round(summary["delivered"] / busy, 1),
            asked_per_s=round(plan.rate * plan.receivers, 1),
            hub_us_per_delivery=round(used["hub_cpu_s"] / summary["delivered"] * 1e6, 1)
            if summary["delivered"]
            else 0.0,
            series=_series(receipts, started),
            cores=cores.series(started),
        )
        out["fanout"] = summary
        say(
            f"  fan-out: {summary['delivered']:,} deliveries in {busy:.1f} s ({summary['deliveries_per_s']:.0f}/s of "
            f"{summary['asked_per_s']:.0f} asked), p50 {summary['delay_ms'].get('p50')} ms p99 "
            f"{summary['delay_ms'].get('p99')} ms, missing {summary['missing']}, duplicated {summary['duplicated']}, "
            f"hub {summary['hub_us_per_delivery']} µs/delivery"
        )
        if step_done is not None:
            step_done("fanout")

        # 2. backlog
        spec = _spec(base, "backlog", plan.lead + plan.down + plan.tail, plan.rate, plan.users)
        moments: dict[str, float] = {}
        outcome: dict[str, RunResult] = {}
        runner = threading.Thread(target=lambda: outcome.setdefault("result", run_locust(spec)), daemon=True)
        started = time.time()
        with _Cores(hub_cpu, machine) as cores:
            runner.start()
            time.sleep(plan.lead)
            moments["stopped"] = time.time()
            receivers.stop_returning()
            time.sleep(plan.down)
            moments["restarted"] = time.time()
            receivers.restart_returning()
            runner.join()
            acked = _acked(spec)
            received, complete = _wait_all(receivers, {i for i, _, _ in acked}, plan.drain)
        summary, receipts = match(acked, received)
        summary.update(_run_figures(outcome.get("result")), drained=complete)
        summary.update(_backlog(receipts, receivers.returning_party, moments, started))
        drain = summary["drain"]
        if drain.get("seconds"):
            summary["drain"] |= cores.between(started + drain["first_s"], started + drain["last_s"])
        summary["cores"] = cores.series(started)
        summary |= {f"whole_{k}": v for k, v in cores.between(started, time.time()).items()}
        summary["series_others"] = _series(receipts, started, but=receivers.returning_party)
        summary["series_returning"] = _series(receipts, started, only=receivers.returning_party)
        out["backlog"] = summary
        drain = summary.get("drain") or {}
        say(
            f"  backlog: {drain.get('backlog', 0):,} waiting, noticed after {drain.get('noticed_s')} s, drained at "
            f"{drain.get('per_s')}/s; others' p99 {summary.get('others_before_ms', {}).get('p99')} ms before, "
            f"{summary.get('others_during_drain_ms', {}).get('p99')} ms during the drain; "
            f"missing {summary['missing']}, duplicated {summary['duplicated']}"
        )
        if step_done is not None:
            step_done("fanout-backlog")
    return out


class _Cores:
    """The hub's and everything else's CPU use, second by second, while a step runs: the noise beside each figure
    (the machine is shared), and what the hub spent while a backlog drained."""

    def __init__(self, hub_cpu: Callable[[], float], machine: Callable[[], float]) -> None:
        self.hub_cpu, self.machine = hub_cpu, machine
        self.samples: list[tuple[float, float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Cores:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.samples.append((time.time(), self.hub_cpu(), self.machine()))
            if self._stop.wait(1.0):
                self.samples.append((time.time(), self.hub_cpu(), self.machine()))
                return

    def between(self, start: float, end: float) -> dict[str, float]:
        """Hub cores, other processes' cores and hub CPU seconds between two moments (nearest samples)."""
        inside = [s for s in self.samples if start - 0.5 <= s[0] <= end + 0.5]
        if len(inside) < 2:
            return {"hub_cores": 0.0, "rest_cores": 0.0, "hub_cpu_s": 0.0}
        (t0, h0, m0), (t1, h1, m1) = inside[0], inside[-1]
        span = max(t1 - t0, 1e-9)
        return {
            "hub_cores": round((h1 - h0) / span, 2),
            "rest_cores": round(max((m1 - m0) - (h1 - h0), 0.0) / span, 2),
            "hub_cpu_s": round(h1 - h0, 2),
        }

    def series(self, start: float) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {"t": [], "hub_cores": [], "rest_cores": []}
        for (t0, h0, m0), (t1, h1, m1) in zip(self.samples, self.samples[1:], strict=False):
            span = max(t1 - t0, 1e-9)
            out["t"].append(round(t1 - start, 1))
            out["hub_cores"].append(round((h1 - h0) / span, 2))
            out["rest_cores"].append(round(max((m1 - m0) - (h1 - h0), 0.0) / span, 2))
        return out


def _run_figures(result: RunResult | None) -> dict[str, Any]:
    if result is None:
        return {"rps": 0.0, "answer": {}, "failures": 0, "passed": False}
    exact = result.summary.get("exact") or {}
    return {
        "rps": exact.get("rps"),
        "answer": next((v for k, v in (exact.get("by_name") or {}).items() if k.startswith("PUT ")), {}),
        "failures": int(result.summary.get("failures") or 0),
        "passed": result.passed and result.returncode == 0,
    }


def _backlog(
    receipts: list[tuple[str, float, float, float]], returning: str, moments: dict[str, float], started: float
) -> dict[str, Any]:
    """The returning receiver's backlog (what it had not received when it was started again) and how it drained; the
    others' delays before the stop and while the backlog drained, by moment of receipt."""
    restarted, stopped = moments["restarted"], moments["stopped"]
    mine = [r for r in receipts if r[0] == returning]
    backlog = sorted(r[2] for r in mine if r[2] >= restarted and r[1] < restarted)
    drain: dict[str, Any] = {"backlog": len(backlog)}
    if backlog:
        first, last = backlog[0], backlog[-1]
        drain.update(
            noticed_s=round(first - restarted, 2),
            seconds=round(last - first, 3),
            per_s=round(len(backlog) / (last - first), 1) if last > first else float(len(backlog)),
            first_s=round(first - started, 2),
            last_s=round(last - started, 2),
        )
    others = [r for r in receipts if r[0] != returning]
    before = [r[3] for r in others if r[2] < stopped]
    during = [r[3] for r in others if backlog and backlog[0] <= r[2] <= backlog[-1]]
    return {
        "stopped_s": round(stopped - started, 2),
        "restarted_s": round(restarted - started, 2),
        "drain": drain,
        "others_before_ms": _percentiles(before),
        "others_during_drain_ms": _percentiles(during),
    }
