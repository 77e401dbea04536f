"""``python tools/instructions.py``: machine instructions per token validation, counted, not timed.

CPU time per request moves by tens of percent on this shared machine from one run to the next (BENCHMARKS.md,
"Reading the figures"), even in one process. Instructions executed do not: ``valgrind --tool=callgrind`` counts
them whatever else the machine is doing, and the same program with the same input counts the same to within a few
thousand in billions. This runs ``tools/inprocess_cpu.py`` (the hub's ASGI app, or the bare endpoint, called from one
process with the bench's mix of GETs and 10% unknown tokens) under callgrind twice per target, with ``--requests`` N
and 3N, and reports the difference divided by 2N: the instructions one more request costs, start-up, seeding and
warm-up cancelled out. ``PYTHONHASHSEED`` is fixed so that both runs hash alike.

What it is for: telling whether a change to the token path does less work, without the noise (``--baseline DIR``
counts another checkout, e.g. ``git worktree add /tmp/base HEAD~1``, the same way and prints the ratio). What it is
not: the bench's figure. An instruction is not a microsecond (cache misses and branches cost time the count does not
show), the count includes the in-process client's own work alike for every target, and granian's Rust side and the
kernel are not in it. Only ``tokens`` and ``bare`` are offered: they run in one process; a routed target's count
would depend on when the eMSP's answers arrive.

``--json`` prints one JSON object instead (``requests``, ``parties``, ``per_request`` by target): ``make bench``
reads it.

About 45 s per run under valgrind on this machine (1,000 parties, 2,000 requests); everything stays in the process
and in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("tokens", "bare")
_SUMMARY = re.compile(r"^summary: (\d+)$", re.MULTILINE)


def count(checkout: Path, target: str, requests: int, parties: int, folder: Path) -> int:
    """Instructions callgrind counted for one run of ``checkout``'s in-process tool (``requests`` in one round)."""
    out = folder / f"{target}-{requests}.callgrind"
    env = _environment(checkout)
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        str(checkout / "tools" / "inprocess_cpu.py"),
        target,
        "--requests",
        str(requests),
        "--rounds",
        "1",
        "--parties",
        str(parties),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=folder, check=False)
    found = _SUMMARY.search(out.read_text()) if out.exists() else None
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{target} under callgrind failed ({done.returncode}): {done.stderr[-2000:]}")
    return int(found.group(1))


def _environment(checkout: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(checkout)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def warm(checkout: Path, target: str, parties: int) -> None:
    """A short run outside valgrind, which writes the bytecode of every module the target imports."""
    tool = str(checkout / "tools" / "inprocess_cpu.py")
    command = [sys.executable, tool, target, "--requests", "10", "--rounds", "1", "--parties", str(parties)]
    done = subprocess.run(command, capture_output=True, text=True, env=_environment(checkout), check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{target} outside valgrind failed ({done.returncode}): {done.stderr[-2000:]}")


def per_request(checkout: Path, target: str, requests: int, parties: int) -> float:
    """Instructions per request: the difference between a run of 3N requests and one of N, over 2N.

    :func:`warm` first: a run that compiles its sources counts about a billion instructions more than one that finds
    them compiled, so both counted runs must find the same."""
    warm(checkout, target, parties)
    with tempfile.TemporaryDirectory(prefix="instructions-") as tmp:
        small = count(checkout, target, requests, parties, Path(tmp))
        large = count(checkout, target, 3 * requests, parties, Path(tmp))
    if large <= small:
        # More requests always do more work: the smaller run did work the larger one did not (a source file changed
        # between the runs and was compiled again), so neither count can be used.
        raise RuntimeError(
            f"{target}: {3 * requests} requests counted {large:,}, {requests} counted {small:,}; count again"
        )
    return (large - small) / (2 * requests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "targets", nargs="*", metavar="TARGET", help="tokens or bare, in the order given (default: tokens bare)"
    )
    parser.add_argument(
        "--requests", type=int, default=2_000, help="N: the runs make N and 3N requests (default 2,000)"
    )
    parser.add_argument("--parties", type=int, default=1_000, help="parties the store is seeded with (default 1,000)")
    parser.add_argument(
        "--baseline", type=Path, help="another checkout of this repository: counted the same way, and compared"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    args = parser.parse_args(argv)
    targets = args.targets or list(TARGETS)
    unknown = set(targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown target(s): {', '.join(sorted(unknown))} (offered: {', '.join(TARGETS)})")
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    if args.baseline is not None and not (args.baseline / "tools" / "inprocess_cpu.py").is_file():
        parser.error(f"--baseline {args.baseline}: no tools/inprocess_cpu.py there")
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    figures: dict[str, float] = {}
    baselines: dict[str, float] = {}
    try:
        for target in targets:
            figures[target] = per_request(ROOT, target, args.requests, args.parties)
            line = f"{target}: {figures[target]:,.0f} instructions per request"
            if args.baseline is not None:
                baselines[target] = base = per_request(args.baseline.resolve(), target, args.requests, args.parties)
                line += f"; baseline {base:,.0f}; this checkout / baseline {figures[target] / base:.4f}"
            if not args.json:
                print(line, flush=True)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.json:
        found: dict[str, object] = {"requests": args.requests, "parties": args.parties, "per_request": figures}
        if baselines:
            found["baseline_per_request"] = baselines
        print(json.dumps(found))
        return 0
    if "tokens" in figures and "bare" in figures:
        print(f"tokens / bare: {figures['tokens'] / figures['bare']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
