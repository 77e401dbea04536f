"""Charts of one benchmark run, drawn from its ``bench.json`` into ``docs/bench/`` (PNG) and shown in BENCHMARKS.md.

``python -m loadtests.bench`` draws them after every run (and ``--render`` from a saved ``bench.json``); matplotlib
comes with the ``bench`` extra (``make install`` includes it), so the hub's own install stays lean. Without it the
bench still writes its tables and says that no charts were drawn.

What is drawn is what the run measured: latency percentiles per target and load for token validation, for routed
real-time authorization (through the hub against the eMSP alone), acceptance-to-receipt delay of the routed
pushes, each with the run's noise (other processes' cores) in the title; for token validation and routed
authorization, latency against offered load (p50 and p99 per step, the hub beside its reference), where a server's
limit shows as the rate at which its latency turns upward; and the fan-out phase's delivery delay over time: second
by second while pushes reach every receiver, then while one receiver is down and after it returns.

``python -m loadtests.charts RESULTS/bench.json`` draws the charts a saved run has figures for (an ``--only`` run
included) into ``docs/bench/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHARTS = (
    "token-validation.png",
    "token-validation-load.png",
    "authorization.png",
    "authorization-load.png",
    "pushes.png",
    "fanout.png",
)
"""The files written, in the order BENCHMARKS.md shows them."""


def draw(data: dict[str, Any], folder: Path) -> list[Path]:
    """Draw every chart the run has figures for into ``folder``; the files written (none without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display on a server
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    plt.rcParams.update({"figure.dpi": 110, "font.size": 9})
    percentiles = ("p50", "p95", "p99")

    summary = data.get("summary") or {}
    rows = [
        (f"{target}\n{kind}", summary[f"{target}/{kind}"])
        for kind in ("max", "fixed-rate")
        for target in ("bare", "hub-1k", "hub-100k")
        if f"{target}/{kind}" in summary
    ]
    if rows:
        noise = max(r["other_cores"] for _, r in rows)
        written.append(
            _bars(
                plt,
                folder / CHARTS[0],
                [label for label, _ in rows],
                {p: [r[p] for _, r in rows] for p in percentiles},
                "Token validation: latency at the load generator (ms)",
                f"as fast as possible (32 users) and {data.get('settings', {}).get('rate', 1000):.0f} req/s offered; "
                f"other processes up to {noise:.2f} cores",
            )
        )
    token_curve = data.get("token_curve") or []
    if token_curve:
        written.append(
            _load_curve(
                plt,
                folder / CHARTS[1],
                token_curve,
                (("bare", "bare endpoint"), ("hub-1k", "hub, 1,000 parties")),
                "Token validation: latency against offered load (ms)",
            )
        )

    rta = data.get("authorize") or {}
    labels = (("hub", "through the hub"), ("hub-221", "to a 2.2.1 eMSP"), ("emsp", "the eMSP alone"))
    targets = [(k, label) for k, label in labels if rta.get(k)]
    if targets:
        noise = max(float(rta[k].get("other_cores") or 0) for k, _ in targets)
        written.append(
            _bars(
                plt,
                folder / CHARTS[2],
                [f"{label}\n{float(rta[k].get('rps') or 0):.0f} req/s" for k, label in targets],
                {p: [float(rta[k].get(p) or 0) for k, _ in targets] for p in percentiles},
                "Real-time authorization: latency at the load generator (ms)",
                f"{rta.get('users', 32)} users as fast as possible; other processes up to {noise:.2f} cores",
            )
        )
    rta_curve = rta.get("curve") or []
    if rta_curve:
        written.append(
            _load_curve(
                plt,
                folder / CHARTS[3],
                rta_curve,
                (("emsp", "the eMSP alone"), ("hub", "through the hub")),
                "Real-time authorization: latency against offered load (ms)",
            )
        )

    push = data.get("push") or {}
    deliveries = push.get("deliveries") or {}
    named = (("end_to_end_ms", "send to receipt"), ("after_ack_ms", "answer to receipt"))
    series = [(label, deliveries.get(key) or {}) for key, label in named]
    answer = push.get("answer") or {}
    if any(s for _, s in series):
        bars = ["hub's answer to the PUT", *(label for label, _ in series)]
        values = {p: [float(answer.get(p) or 0), *(float(s.get(p) or 0) for _, s in series)] for p in percentiles}
        written.append(
            _bars(
                plt,
                folder / CHARTS[4],
                bars,
                values,
                f"Routed pushes: {push.get('rate', 0):.0f} Locations/s to {push.get('receivers', 0)} receivers (ms)",
                f"{deliveries.get('acknowledged', 0):,} acknowledged, {deliveries.get('missing', 0)} missing, "
                f"{deliveries.get('duplicated', deliveries.get('twice', 0))} twice",
            )
        )
    fanout = data.get("fanout") or {}
    if fanout.get("fanout") and fanout.get("backlog"):
        written.append(_fanout(plt, folder / CHARTS[5], fanout))
    return written


def _fanout(plt: Any, path: Path, fanout: dict[str, Any]) -> Path:
    """Delay over time: the fan-out step, then the backlog step with the moments the receiver stopped and came back;
    each point is the delay of the pushes accepted in that second (log scale: a backlog waits a minute while a
    delivery takes milliseconds)."""
    plan, step, back = fanout.get("plan") or {}, fanout["fanout"], fanout["backlog"]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6.4))
    series = step.get("series") or {}
    for key, style in (("p50", "-"), ("p99", "-"), ("max", ":")):
        top.plot(series.get("t", []), [max(v, 0.1) for v in series.get(key, [])], style, label=f"{key}, all receivers")
    top.set_title(
        f"Fan-out: {plan.get('rate', 0):.0f} Locations/s to {plan.get('receivers', 0)} receivers, "
        f"{float(step.get('deliveries_per_s') or 0):,.0f} deliveries/s; hub {step.get('hub_cores', 0)} cores, "
        f"rest of the machine {step.get('rest_cores', 0)}",
        fontsize=9,
    )
    others, mine = back.get("series_others") or {}, back.get("series_returning") or {}
    for key, style in (("p50", "-"), ("p99", "-")):
        bottom.plot(others.get("t", []), [max(v, 0.1) for v in others.get(key, [])], style, label=f"{key}, the others")
    bottom.plot(mine.get("t", []), [max(v, 0.1) for v in mine.get("max", [])], "o", markersize=2.5,
                label="max, the returning receiver")  # fmt: skip
    drain = back.get("drain") or {}
    for moment, label, colour in (
        (back.get("stopped_s"), "stopped", "grey"),
        (back.get("restarted_s"), "started again", "green"),
    ):
        if moment is not None:
            bottom.axvline(moment, color=colour, linestyle="--", linewidth=0.8)
            bottom.annotate(label, (moment, 0.98), xycoords=("data", "axes fraction"), fontsize=7, rotation=90,
                            va="top", ha="right")  # fmt: skip
    bottom.set_title(
        f"One receiver down {plan.get('down', 0)} s: backlog {drain.get('backlog', 0):,} drained at "
        f"{float(drain.get('per_s') or 0):,.0f}/s; others' p99 {_p(back.get('others_before_ms'))} ms before, "
        f"{_p(back.get('others_during_drain_ms'))} ms during the drain",
        fontsize=9,
    )
    for axes in (top, bottom):
        axes.set_yscale("log")
        axes.set_ylabel("acceptance to receipt, ms")
        axes.grid(alpha=0.3)
        axes.legend(fontsize=7, loc="lower right")
    bottom.set_xlabel("second of the step (by the moment the hub accepted the push)")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def _p(figures: dict[str, Any] | None) -> str:
    value = (figures or {}).get("p99")
    return "-" if value is None else f"{float(value):,.0f}"


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m loadtests.charts", description=__doc__.split("\n\n")[0])
    parser.add_argument("bench_json", type=Path, help="a run's bench.json")
    parser.add_argument("--folder", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "bench")
    args = parser.parse_args(argv)
    written = draw(json.loads(args.bench_json.read_text(encoding="utf-8")), args.folder)
    for path in written:
        print(path)
    if not written:
        print("nothing drawn: no figures for a chart in that file, or matplotlib is not installed")
    return 0 if written else 1


def _bars(plt: Any, path: Path, labels: list[str], values: dict[str, list[float]], title: str, subtitle: str) -> Path:
    """Grouped bars, one group per label and one bar per percentile, on a logarithmic axis (p99 can be 100 times
    p50 on a busy machine)."""
    figure, axes = plt.subplots(figsize=(7.5, 3.6))
    width = 0.8 / len(values)
    for index, (name, heights) in enumerate(values.items()):
        positions = [i + (index - (len(values) - 1) / 2) * width for i in range(len(labels))]
        bars = axes.bar(positions, [max(h, 0.01) for h in heights], width, label=name)
        axes.bar_label(bars, labels=[f"{h:.1f}" for h in heights], fontsize=7, padding=1)
    axes.set_xticks(range(len(labels)), labels)
    axes.set_yscale("log")
    axes.set_ylabel("ms (log scale)")
    axes.set_title(f"{title}\n{subtitle}", fontsize=9)
    axes.legend(fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def _load_curve(
    plt: Any, path: Path, points: list[dict[str, Any]], targets: tuple[tuple[str, str], ...], title: str
) -> Path:
    """p50 (solid) and p99 (dashed) against offered rate, one colour per target, both axes logarithmic (the rates
    double from step to step; latency spans two orders of magnitude once a server saturates). Each step's served rate
    is written beside its p99 point when it fell short of the offered one."""
    figure, axes = plt.subplots(figsize=(7.5, 3.6))
    noise = 0.0
    for index, (key, label) in enumerate(targets):
        steps = [(float(p["rate"]), p[key]) for p in points if p.get(key)]
        if not steps:
            continue
        colour = f"C{index}"
        rates = [rate for rate, _ in steps]
        axes.plot(rates, [max(float(r.get("p50") or 0), 0.01) for _, r in steps], "o-", color=colour,
                  label=f"{label}, p50")  # fmt: skip
        axes.plot(rates, [max(float(r.get("p99") or 0), 0.01) for _, r in steps], "s--", color=colour,
                  label=f"{label}, p99")  # fmt: skip
        for rate, r in steps:
            served = float(r.get("rps") or 0)
            if served < 0.95 * rate:
                axes.annotate(f"{served:.0f}/s", (rate, max(float(r.get("p99") or 0), 0.01)), fontsize=7,
                              textcoords="offset points", xytext=(4, 4), color=colour)  # fmt: skip
            noise = max(noise, float(r.get("other_cores") or 0))
    axes.set_xscale("log", base=2)
    axes.set_yscale("log")
    rates = sorted({float(p["rate"]) for p in points})
    axes.set_xticks(rates, [f"{r:.0f}" for r in rates])
    axes.set_xlabel("offered req/s (served req/s written where it fell short)")
    axes.set_ylabel("ms (log scale)")
    axes.set_title(f"{title}\nother processes up to {noise:.2f} cores", fontsize=9)
    axes.legend(fontsize=7, ncol=2)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


__all__ = ("CHARTS", "draw", "main")


if __name__ == "__main__":
    raise SystemExit(main())
