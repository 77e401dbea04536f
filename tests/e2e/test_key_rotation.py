"""The token-sealing key kept apart from the data, and rotated while the hub runs.

A real hub keeps its SQLite database in one folder and its key file in another (``secret_key_file``). Two real
parties register; ``ocpi-hub rotate-key`` then seals every stored token under a new key while the hub keeps
routing: afterwards the key file holds only the new key, no stored token opens with the old one, and the running hub
still delivers to both parties.
"""

from __future__ import annotations

import json
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken

from tests.e2e.test_objects import Platform, register
from tests.support import examples as ex
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e


def _sealed(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT partner_id, doc FROM partners").fetchall()
    return {pid: json.loads(doc)["outgoing_token"] for pid, doc in rows if json.loads(doc).get("outgoing_token")}


def _delivered(party: PartyProcess, location_id: str) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(r["path"].endswith(f"/{location_id}") for r in party.http.get("/control/received").json()):
            return True
        time.sleep(0.1)
    return False


def test_rotate_key_on_a_running_hub_with_the_key_outside_the_data(tmp_path: Path) -> None:
    data, keys = tmp_path / "data", tmp_path / "secrets" / "hub.key"
    data.mkdir()
    hub = HubProcess(data / "hub.db", env={"OCPI_HUB_SECRET_KEY_FILE": str(keys)}).start()
    cpo_party = PartyProcess("NL", "CPO").start()
    msp_party = PartyProcess("DE", "MSP", "--role", "EMSP").start()
    try:
        cpo = Platform(hub, "NL", "CPO", register(hub, cpo_party))
        register(hub, msp_party)
        assert not list(data.glob("*.key")), "the key must not sit beside the data"
        assert stat.S_IMODE(keys.stat().st_mode) == 0o600
        old_key = keys.read_bytes().strip()
        before = _sealed(data / "hub.db")
        assert set(before) == {"NL-CPO", "DE-MSP"}
        assert all(Fernet(old_key).decrypt(t.encode()) for t in before.values())

        cpo.call("PUT", "/receiver/locations/NL/CPO/BEFORE", ex.location("NL", "CPO", "BEFORE"))
        assert _delivered(msp_party, "BEFORE")

        rotated = hub.cli("rotate-key")
        assert rotated.returncode == 0, rotated.stderr
        assert "sealed 2 party token(s) under a new key" in rotated.stdout

        [new_key] = keys.read_bytes().split()
        assert new_key != old_key and stat.S_IMODE(keys.stat().st_mode) == 0o600
        after = _sealed(data / "hub.db")
        for partner_id, sealed in after.items():
            assert Fernet(new_key).decrypt(sealed.encode()) == Fernet(old_key).decrypt(before[partner_id].encode())
            with pytest.raises(InvalidToken):
                Fernet(old_key).decrypt(sealed.encode())

        # The running hub follows the key file: it still presents the right token to each party.
        cpo.call("PUT", "/receiver/locations/NL/CPO/AFTER", ex.location("NL", "CPO", "AFTER"))
        assert _delivered(msp_party, "AFTER")
        assert old_key.decode() not in hub.log.read_text() and new_key.decode() not in hub.log.read_text()
    finally:
        cpo_party.stop()
        msp_party.stop()
        hub.stop()


def test_rotate_key_with_one_key_in_the_setting_says_what_to_do(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub.db", env={"OCPI_HUB_SECRET_KEY": Fernet.generate_key().decode()})
    refused = hub.cli("rotate-key")
    assert refused.returncode == 2  # a configuration to change first (exit codes: README "Command line")
    [line] = refused.stderr.strip().splitlines()
    assert "put a new one in front" in line and "OCPI_HUB_SECRET_KEY=NEW,OLD" in line
