"""A real hub (two workers) under hostile input: nothing answers 5xx or logs a traceback for a client's mistake, stalled
bodies are cut off without stopping anyone else, a killed worker is replaced, and the files and pages a stranger could
reach reveal nothing."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.ocpi import auth
from tests.support.processes import HubProcess

pytestmark = pytest.mark.e2e

ADMIN = "hardening-admin-key"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HubProcess, str]]:
    folder = tmp_path_factory.mktemp("hardening")
    env = {
        "OCPI_HUB_ADMIN_KEY": ADMIN,
        "OCPI_HUB_BODY_TIMEOUT": "2",
        "OCPI_HUB_BODIES_PER_TOKEN": "4",
        "OCPI_HUB_AUTH_FAILURE_LIMIT": "0",
    }
    # the default store's folder, data/, is the one folder the hub creates (0700) when it is missing
    process = HubProcess(folder / "data" / "hub.db", env=env, workers=2, cwd=folder, store="sqlite:///data/hub.db")
    seeded = process.cli("seed", "--parties", "1", "--export", str(folder / "tokens"))
    assert seeded.returncode == 0, seeded.stderr
    process.start()
    yield process, (folder / "tokens").read_text().split()[0]
    process.stop()


def _no_server_error(response: httpx.Response) -> dict[str, object]:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    body: dict[str, object] = response.json()  # the OCPI envelope, also on errors
    assert isinstance(body.get("status_code"), int) and "timestamp" in body, body
    return body


def test_malformed_requests_get_ocpi_errors_never_5xx(hub: tuple[HubProcess, str]) -> None:
    process, token = hub
    base = process.base_url
    with httpx.Client(base_url=base, timeout=10) as c:
        options = c.request("OPTIONS", "/ocpi/2.3.0/credentials")
        assert options.status_code == 401 and _no_server_error(options)["status_code"] == 2000
        huge = c.get("/ocpi/2.3.0/sender/hubclientinfo", params={"offset": str(2**64)}, headers=auth(token))
        assert _no_server_error(huge)["status_code"] == 2001
        bad_utf8 = c.put(
            "/ocpi/2.3.0/credentials",
            content=b'{"token": "\xff\xfe", "url": "http://x"}',
            headers={**auth(token), "Content-Type": "application/json"},
        )
        assert bad_utf8.status_code == 400 and _no_server_error(bad_utf8)["status_code"] == 2001
        deep = c.put("/ocpi/2.3.0/credentials", content=b"[" * 5000 + b"]" * 5000, headers=auth(token))
        assert _no_server_error(deep)["status_code"] == 2001
        crlf = {"token": "x" * 20, "url": "http://127.0.0.1:1/ocpi/versions\r\nX-Injected: 1", "roles": []}
        assert _no_server_error(c.put("/ocpi/2.3.0/credentials", json=crlf, headers=auth(token)))["status_code"] >= 2000
        long_url = c.get("/ocpi/versions?" + "a" * 10_000, headers=auth(token))
        assert long_url.status_code == 414 and _no_server_error(long_url)["status_code"] == 2000
        big_headers = c.get("/ocpi/versions", headers={**auth(token), **{f"X-Pad-{n}": "y" * 900 for n in range(20)}})
        assert big_headers.status_code == 431 and _no_server_error(big_headers)["status_code"] == 2000
        for body in (b"not json", b'{"versions_url": 5}', b"[]", b'{"versions_url": "http://a\r\nb", "token": "t"}'):
            admin = c.post("/admin/registrations", content=body, headers={"X-Admin-Key": ADMIN})
            assert admin.status_code == 400 and _no_server_error(admin)["status_code"] == 2001, admin.text
    assert "Traceback" not in process.log.read_text()


def test_stalled_bodies_are_cut_off_and_others_are_served(hub: tuple[HubProcess, str]) -> None:
    process, token = hub
    host, port = "127.0.0.1", process.port
    stalled = []
    for _ in range(20):  # each promises 1,000 bytes, sends ten, and waits
        s = socket.create_connection((host, port))
        s.sendall(
            b"PUT /ocpi/2.3.0/credentials HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Token {auth(token)['Authorization'].split()[1]}\r\n".encode()
            + b'Content-Length: 1000\r\n\r\n{"token": '
        )
        stalled.append(s)
    try:
        started = time.monotonic()
        assert httpx.get(f"{process.base_url}/ocpi/versions", headers=auth(token), timeout=10).status_code == 200
        assert time.monotonic() - started < 5
        answers = []
        for s in stalled:
            s.settimeout(10)
            answers.append(s.recv(4096).split(b"\r\n", 1)[0])
        # the first stalled upload is timed out (408); past four at once per token and process they are refused (429)
        assert answers[0] == b"HTTP/1.1 408 Request Timeout", answers[0]
        assert set(answers) <= {b"HTTP/1.1 408 Request Timeout", b"HTTP/1.1 429 Too Many Requests"}, set(answers)
    finally:
        for s in stalled:
            s.close()


def test_a_killed_worker_is_replaced(hub: tuple[HubProcess, str]) -> None:
    process, token = hub
    assert process.proc is not None
    children = subprocess.run(["pgrep", "-P", str(process.proc.pid)], capture_output=True, text=True, check=False)
    workers = [int(p) for p in children.stdout.split()]
    assert len(workers) >= 2, children.stdout
    os.kill(workers[0], signal.SIGKILL)
    deadline = time.monotonic() + 20
    answered = 0
    while time.monotonic() < deadline and answered < 50:
        try:
            if httpx.get(f"{process.base_url}/ocpi/versions", headers=auth(token), timeout=5).status_code == 200:
                answered += 1
        except httpx.TransportError:
            time.sleep(0.1)
    assert answered == 50, "the hub stopped serving after one worker was killed"
    assert process.proc.poll() is None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        now = subprocess.run(["pgrep", "-P", str(process.proc.pid)], capture_output=True, text=True, check=False)
        if len(now.stdout.split()) >= 2:
            break
        time.sleep(0.2)
    assert len(now.stdout.split()) >= 2, "the killed worker was not replaced"


def test_files_and_health_reveal_nothing(hub: tuple[HubProcess, str]) -> None:
    process, _ = hub
    folder = process.db_path.parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        if path.name.startswith(process.db_path.name):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    health = httpx.get(f"{process.base_url}/health", timeout=10).text
    assert str(Path(process.db_path).parent) not in health and "hub.db" not in health
