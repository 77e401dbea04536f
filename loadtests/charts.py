"""Charts of one benchmark run, drawn from its ``bench.json`` into ``docs/bench/`` (PNG) and shown in BENCHMARKS.md.

``python -m loadtests.bench`` draws them after every run (and ``--render`` from a saved ``bench.json``); matplotlib
comes with the ``bench`` extra (``make install`` includes it), so the hub's own install stays lean. Without it the
bench still writes its tables and says that no charts were drawn.

What is drawn is what the run measured: latency percentiles per target and load for token validation, for routed
real-time authorization (through the hub against the eMSP alone), and acceptance-to-receipt delay of the routed
pushes, each with the run's noise (other processes' cores) in the title.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHARTS = ("token-validation.png", "authorization.png", "pushes.png")
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

    rta = data.get("authorize") or {}
    labels = (("hub", "through the hub"), ("hub-221", "to a 2.2.1 eMSP"), ("emsp", "the eMSP alone"))
    targets = [(k, label) for k, label in labels if rta.get(k)]
    if targets:
        noise = max(float(rta[k].get("other_cores") or 0) for k, _ in targets)
        written.append(
            _bars(
                plt,
                folder / CHARTS[1],
                [f"{label}\n{float(rta[k].get('rps') or 0):.0f} req/s" for k, label in targets],
                {p: [float(rta[k].get(p) or 0) for k, _ in targets] for p in percentiles},
                "Real-time authorization: latency at the load generator (ms)",
                f"{rta.get('users', 32)} users as fast as possible; other processes up to {noise:.2f} cores",
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
                folder / CHARTS[2],
                bars,
                values,
                f"Routed pushes: {push.get('rate', 0):.0f} Locations/s to {push.get('receivers', 0)} receivers (ms)",
                f"{deliveries.get('acknowledged', 0):,} acknowledged, {deliveries.get('missing', 0)} missing, "
                f"{deliveries.get('duplicated', deliveries.get('twice', 0))} twice",
            )
        )
    return written


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


__all__ = ("CHARTS", "draw")
