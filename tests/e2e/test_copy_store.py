"""An operator outgrows one machine: the hub ran on SQLite, ``ocpi-hub copy-store`` moves everything to PostgreSQL,
and the hub started on PostgreSQL (with the SQLite store's key file as its key file) carries on as if nothing
happened: the parties' tokens work, the lists are the same, and a push that was still owed when the old hub stopped
is delivered by the new one, with the token the hub presents to that party."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from loadtests.postgres import Cluster
from tests.e2e.test_objects import Platform, V, register
from tests.e2e.test_scale_out import _wait_for
from tests.support import examples as ex
from tests.support.ocpi import auth
from tests.support.processes import HubProcess, PartyProcess, clean_env

pytestmark = pytest.mark.e2e


def test_a_sqlite_hub_moves_to_postgresql_with_copy_store(
    tmp_path: Path, postgres_cluster: Cluster, postgres_url: str
) -> None:
    env = {"OCPI_HUB_DELIVERY_POLL": "0.2", "OCPI_HUB_DELIVERY_POLICY": "store_and_forward"}
    old = HubProcess(tmp_path / "old" / "hub.db", env=env).start()
    cpo_party, msp_party = PartyProcess("NL", "CPO").start(), PartyProcess("DE", "MSP", "--role", "EMSP").start()
    new: HubProcess | None = None
    try:
        cpo = Platform(old, "NL", "CPO", register(old, cpo_party))
        msp_token = register(old, msp_party)
        for n in range(5):
            location = ex.location("NL", "CPO", f"MOVE{n}")
            assert cpo.call("PUT", f"/receiver/locations/NL/CPO/MOVE{n}", location).status_code == 201
        _wait_for("the first pushes arrived", lambda: len(msp_party.http.get("/control/received").json()) >= 5)
        msp_party.control("set", {"down": True})
        assert cpo.call("PUT", "/receiver/locations/NL/CPO/OWED", ex.location("NL", "CPO", "OWED")).status_code == 201
        old_list = httpx.get(f"{old.base_url}{V}/sender/locations", headers=cpo.headers(), timeout=10).json()["data"]
        old.stop()

        copied = subprocess.run(
            [sys.executable, "-m", "reference_hub", "copy-store", "--from", old.store, "--to", postgres_url],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=120,
            check=False,
        )
        assert copied.returncode == 0, copied.stderr
        assert "partners: 2" in copied.stdout and "6 locations" in copied.stdout, copied.stdout
        assert "deliveries owed or failed: 1" in copied.stdout, copied.stdout
        assert f"{old.db_path}.key" in copied.stderr  # where the key that opens the sealed tokens is

        keys = {"OCPI_HUB_SECRET_KEY_FILE": f"{old.db_path}.key"}
        new = HubProcess(tmp_path / "new" / "unused.db", store=postgres_url, env={**env, **keys})
        new.start()
        moved = Platform(new, "NL", "CPO", cpo.token)
        assert httpx.get(new.versions_url, headers=auth(msp_token), timeout=10).status_code == 200
        new_list = httpx.get(f"{new.base_url}{V}/sender/locations", headers=moved.headers(), timeout=10).json()["data"]
        assert new_list == old_list
        msp_party.control("set", {"down": False})
        _wait_for(
            "the push owed by the old hub was delivered by the new one",
            lambda: any(
                r["path"].endswith("/OWED") and not r.get("refused")
                for r in msp_party.http.get("/control/received").json()
            ),
        )

        # copying again onto the same database is refused and changes nothing
        again = subprocess.run(
            [sys.executable, "-m", "reference_hub", "copy-store", "--from", old.store, "--to", postgres_url],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=120,
            check=False,
        )
        assert again.returncode == 1 and "not empty" in again.stderr, again.stderr
    finally:
        for p in (cpo_party, msp_party):
            p.stop()
        old.stop()
        if new is not None:
            new.stop()
