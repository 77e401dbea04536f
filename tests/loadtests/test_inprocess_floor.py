"""``tools/inprocess_cpu.py``'s ``floor`` target: the one-route app it measures really forwards each authorization to
the load-test eMSP (a real ``loadtests.peer`` process on 127.0.0.1) and answers the eMSP's own status and bytes, so
the floor it reports is the cost of a real forward, not of an answer made up on the spot."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from litestar.testing import TestClient

from loadtests.run import PeerProcess

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _tool(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The tool as a module (``tools/`` is no package); registered while the test runs, as Litestar reads a handler's
    module to resolve its annotations."""
    spec = importlib.util.spec_from_file_location("inprocess_cpu", ROOT / "tools" / "inprocess_cpu.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "inprocess_cpu", module)
    spec.loader.exec_module(module)
    return module


def test_the_floor_relays_what_the_emsp_answered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "tokens.csv"
    table.write_text("uid,type,allowed\nT1,RFID,ALLOWED\nT2,APP_USER,BLOCKED\n")
    with PeerProcess("127.0.0.1", "--authorizations", str(table), "--party", "ZZ/PER") as peer:
        app = _tool(monkeypatch).floor_app(f"{peer.base_url}/ocpi/2.3.0/sender/tokens")
        with TestClient(app=app) as client:
            allowed = client.post("/ocpi/2.3.0/sender/tokens/T1/authorize?type=RFID")
            blocked = client.post("/ocpi/2.3.0/sender/tokens/T2/authorize?type=APP_USER")
            unknown = client.post("/ocpi/2.3.0/sender/tokens/T3/authorize?type=RFID")
        assert allowed.status_code == 200 and allowed.json()["data"]["allowed"] == "ALLOWED"
        assert allowed.json()["data"]["token"]["uid"] == "T1"
        assert blocked.status_code == 200 and blocked.json()["data"]["allowed"] == "BLOCKED"
        assert unknown.status_code == 404 and unknown.json()["status_code"] == 2004
        assert peer.stats()["authorize"] == 3  # each answer came from the eMSP
        assert json.loads(allowed.content)["data"]["authorization_reference"] == "LT-T1"  # its bytes, as sent
