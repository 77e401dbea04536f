"""Crash safety of broadcast delivery: ``kill -9`` of every hub process during a burst of pushes loses nothing the hub
acknowledged, and a receiver sees a repeat only under the same X-Request-ID.

During the burst one receiver is down (every delivery to it is still waiting at the kill) and the other is slow (some
deliveries to it are in flight, leased by a process that dies)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_objects import Platform, V, register
from tests.support import examples as ex
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e

PUSHES = 1000
KILL_AFTER = 300


def _kill_everything(hub: HubProcess) -> None:
    """SIGKILL the server and its workers at once, as a power cut would."""
    assert hub.proc is not None
    children = subprocess.run(["pgrep", "-P", str(hub.proc.pid)], capture_output=True, text=True, check=False)
    for pid in [hub.proc.pid, *(int(p) for p in children.stdout.split())]:
        os.kill(pid, signal.SIGKILL)
    hub.proc.wait(timeout=10)
    hub.proc = None


@pytest.mark.slow
def test_kill_during_a_broadcast_burst_loses_no_acknowledged_push(tmp_path: Path) -> None:
    env = {
        "OCPI_HUB_DELIVERY_LEASE": "2",
        "OCPI_HUB_DELIVERY_POLL": "0.2",
        "OCPI_HUB_DELIVERY_BACKOFF": "0.2",
        "OCPI_HUB_DELIVERY_POLICY": "store_and_forward",
    }
    hub = HubProcess(tmp_path / "hub.db", env=env, workers=2).start()
    cpo_party = PartyProcess("NL", "CPO").start()
    receivers = [
        PartyProcess("DE", "MSP", "--role", "EMSP").start(),
        PartyProcess("DE", "OTH", "--role", "EMSP").start(),
    ]
    try:
        cpo = Platform(hub, "NL", "CPO", register(hub, cpo_party))
        for r in receivers:
            register(hub, r)
        down, slow = receivers
        down.http.post("/control/set", json={"down": True}).raise_for_status()
        # Slow enough that deliveries to it lag behind the burst even with several in flight at once.
        slow.http.post("/control/set", json={"delay": 0.2}).raise_for_status()
        acknowledged: list[str] = []
        stop = threading.Event()

        def push() -> None:
            with httpx.Client(timeout=10) as client:
                for n in range(PUSHES):
                    if stop.is_set():
                        return
                    location_id = f"CRASH{n:04d}"
                    url = f"{hub.base_url}{V}/receiver/locations/NL/CPO/{location_id}"
                    try:
                        answer = client.put(url, json=ex.location("NL", "CPO", location_id), headers=cpo.headers())
                    except httpx.HTTPError:
                        return  # the hub is gone: what was not acknowledged was never promised
                    if answer.status_code in (200, 201) and answer.json()["status_code"] == 1000:
                        acknowledged.append(location_id)

        pusher = threading.Thread(target=push)
        pusher.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < KILL_AFTER and pusher.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        _kill_everything(hub)
        stop.set()
        pusher.join(timeout=30)
        assert len(acknowledged) >= KILL_AFTER, f"only {len(acknowledged)} pushes were acknowledged before the kill"
        slow_at_kill = {r["path"] for r in slow.http.get("/control/received").json() if "/CRASH" in r["path"]}
        assert len(slow_at_kill) < len(acknowledged), "the slow receiver had everything before the kill: nothing tested"
        # The down receiver comes back with a clean record: only what it accepts from now on counts.
        down.http.post("/control/set", json={"down": False}).raise_for_status()
        down.http.post("/control/clear").raise_for_status()
        slow.http.post("/control/set", json={"delay": 0}).raise_for_status()
        hub.start()

        for receiver in receivers:
            deadline = time.monotonic() + 90
            while True:
                got = receiver.http.get("/control/received").json()
                paths = {r["path"].rsplit("/", 1)[-1] for r in got}
                missing = [i for i in acknowledged if i not in paths]
                if not missing or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert not missing, (
                f"{receiver.party}: {len(missing)} acknowledged pushes never arrived, e.g. {missing[:3]}"
            )
            # One message is one path and body (a ClientInfo OFFLINE and a later CONNECTED are two messages).
            ids_per_object: dict[tuple[str, str], set[str]] = defaultdict(set)
            for r in got:
                ids_per_object[(r["path"], json.dumps(r["body"], sort_keys=True))].add(r["headers"]["x-request-id"])
            repeated = {p: ids for p, ids in ids_per_object.items() if len(ids) > 1}
            assert not repeated, f"{receiver.party}: repeats under new X-Request-IDs: {list(repeated.items())[:2]}"
    finally:
        for p in (cpo_party, *receivers):
            p.stop()
        hub.stop()
