"""``python tools/renaming_party.py``: what one platform changing its roles at every PUT credentials costs the other
platforms of a large hub.

A hub lists every reachable party in its Credentials, so it keeps that list encoded between changes of the party
list; a platform whose roles change (its business details, say) makes each worker encode its part again at the
next Credentials answer. This seeds a store with ``--parties`` parties (``ocpi-hub seed``), serves it
(``ocpi-hub serve``, ``--workers`` workers, on a free port of 127.0.0.1), and registers two real platforms (the
examples' ``Party``, each serving its own versions on 127.0.0.1): one renames itself at every PUT credentials,
``--puts`` times a second, while four bystander processes, apart from it, send GET versions with the other's token
every 10 ms. Reported: the longest bystander answer in each second, and the median and largest of those; the exit
code is 1 unless the other platform's GET credentials then lists the renaming platform under its last name. With
``--puts 0`` the same run without the renaming gives the quiet figure. Everything stays on 127.0.0.1 and stops by
itself after ``--seconds``.

With ``--read-credentials N`` the platform reads its Credentials instead, as fast as the hub gives them, on N
keep-alive connections (``loadtests/answer_reader.py``, which checks every answer): a 9.6 MB answer with 100,000
parties, charged to the platform's rate budget by its size. Reported besides: the answers it got per second.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT))

from ocpi_party import Party, authorization  # noqa: E402

from tests.support.processes import free_port  # noqa: E402

HUB = [sys.executable, "-m", "reference_hub"]


def _bystander(url: str, token: str, until: float, started: float, out: Any) -> None:
    worst: dict[int, float] = {}
    while time.monotonic() < until:
        sent = time.monotonic()
        request = urllib.request.Request(url, headers={"Authorization": authorization(token)})  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - the hub on 127.0.0.1
            answer.read()
        took = time.monotonic() - sent
        second = int(sent - started)
        worst[second] = max(worst.get(second, 0.0), took)
        time.sleep(max(0.0, 0.01 - took))
    out.put(worst)


def _rename(party: Party, puts: float, until: float) -> int:
    count = 0
    while time.monotonic() < until:
        count += 1
        sent = time.monotonic()
        mine = {
            "token": party.token_b,
            "url": f"{party.base}/ocpi/versions",
            "roles": [
                {
                    "role": party.role,
                    "party_id": party.party_id,
                    "country_code": party.country_code,
                    "business_details": {"name": f"Renamed {count}"},
                }
            ],
        }
        _, answer = party.call("PUT", party.credentials_url, mine, routed=False)
        if answer.get("status_code") != 1000:
            raise SystemExit(f"PUT credentials refused: {answer.get('status_message')}")
        party.token_c = answer["data"]["token"]
        time.sleep(max(0.0, 1 / puts - (time.monotonic() - sent)))
    return count


def _read(party: Party, connections: int, until: float, scratch: Path) -> str:
    """The platform GETs its Credentials on ``connections`` keep-alive connections until ``until``."""
    tokens, out = scratch / "reader-tokens.txt", scratch / "answers.json"
    tokens.write_text((party.token_c + "\n") * connections)
    seconds = max(1.0, round(until - time.monotonic(), 1))
    done = subprocess.run(
        [sys.executable, "-m", "loadtests.answer_reader", "--url", party.credentials_url, "--tokens", str(tokens),
         "--connections", str(connections), "--duration", f"{seconds:g}", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode or not out.exists():
        raise SystemExit(f"the answer reader failed: {done.stdout[-500:]}{done.stderr[-500:]}")
    result = json.loads(out.read_text())
    return (
        f"the platform read {result['answers']} Credentials answers on {connections} connections in {seconds:g} s"
        f" ({result['per_s']:.1f}/s; p50 {result['p50_ms']:.0f} ms; failures {result['failures']})"
    )


def _listed_name(reader: Party, renamer: Party) -> str | None:
    """The renaming platform's business name in the hub's Credentials as another platform now gets them."""
    _, answer = reader.call("GET", reader.credentials_url, routed=False)
    for role in answer.get("data", {}).get("roles", []):
        if (role.get("country_code"), role.get("party_id")) == (renamer.country_code, renamer.party_id):
            return str(role.get("business_details", {}).get("name"))
    return None


def _hub(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([*HUB, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"ocpi-hub {args[0]} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip("`"))
    parser.add_argument("--parties", type=int, default=100_000, help="parties seeded (default 100,000)")
    parser.add_argument("--puts", type=float, default=5.0, help="renaming PUT credentials per second (0: none)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the bystanders and the renaming run")
    parser.add_argument("--workers", type=int, default=2, help="hub workers (default 2)")
    parser.add_argument(
        "--read-credentials", type=int, default=0, metavar="N", help="read its Credentials on N connections instead"
    )
    parser.add_argument("--log", type=Path, help="keep the hub's log in this file (default: thrown away)")
    args = parser.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OCPI_HUB_ALLOW_PRIVATE_PEERS": "true"}
    env["OCPI_HUB_AUTH_FAILURE_LIMIT"] = "0"
    with tempfile.TemporaryDirectory() as scratch, (args.log or Path(scratch, "hub.log")).open("w") as log:
        port = free_port()
        store = ["--store", f"sqlite:///{scratch}/hub.db", "--port", str(port)]
        print(f"seeding {args.parties:,} parties ...", flush=True)
        _hub(["seed", *store, "--parties", str(args.parties)], env)
        tokens = _hub(["invite", *store, "--count", "2"], env).split()
        hub = subprocess.Popen(
            [*HUB, "serve", *store, "--workers", str(args.workers)], env=env, cwd=ROOT, stdout=log, stderr=log
        )
        try:
            versions = f"http://127.0.0.1:{port}/ocpi/versions"
            launched = time.monotonic()
            deadline = launched + 300
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                        break
                except OSError:
                    if hub.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"the hub did not start; its log: {log.name}") from None
                    time.sleep(0.1)
            print(f"the hub answered /health {time.monotonic() - launched:.1f} s after it was started", flush=True)
            renamer = Party("CPO", "NL/RNM", free_port(), "Renamed 0")
            reader = Party("EMSP", "DE/RDR", free_port(), "Reader")
            for party, token in ((renamer, tokens[0]), (reader, tokens[1])):
                party.start()
                party.register(versions, token)
            started = time.monotonic()
            until = started + args.seconds
            forks = multiprocessing.get_context("fork")
            results: Any = forks.Queue()
            bystanders = [
                forks.Process(target=_bystander, args=(versions, reader.token_c, until, started, results))
                for _ in range(4)
            ]
            for process in bystanders:
                process.start()
            renamed: list[int] = []
            if args.read_credentials:
                print(_read(renamer, args.read_credentials, until, Path(scratch)), flush=True)
            elif args.puts > 0:
                thread = threading.Thread(target=lambda: renamed.append(_rename(renamer, args.puts, until)))
                thread.start()
                thread.join()
            worst: dict[int, float] = {}
            for _ in bystanders:
                for second, took in results.get(timeout=args.seconds + 60).items():
                    worst[second] = max(worst.get(second, 0.0), took)
            for process in bystanders:
                process.join()
            listed = _listed_name(reader, renamer)
            renamer.unregister()
            reader.unregister()
        finally:
            hub.terminate()
            hub.wait(timeout=30)
    seconds = [worst[s] * 1000 for s in sorted(worst)]
    count = renamed[0] if renamed else 0
    print(f"{args.parties:,} parties, {count} renaming PUT credentials in {args.seconds:g} s")
    print("longest bystander GET versions in each second (ms): " + " ".join(f"{ms:.0f}" for ms in seconds))
    print(f"median of those {statistics.median(seconds):.0f} ms, largest {max(seconds):.0f} ms")
    expected = f"Renamed {count}"
    if listed != expected:
        print(f"WRONG: the other platform's GET credentials lists NL/RNM as {listed!r}, not {expected!r}")
        return 1
    print(f"the other platform's GET credentials lists NL/RNM as {listed!r}, its last name")
    return 0


if __name__ == "__main__":
    sys.exit(main())
