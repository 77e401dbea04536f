"""``tools/outbound_clients.py --probe``: what each installed client puts on the wire, read by a loopback server that
records the request as it arrived. The hub's own client must send exactly what it was given; a bare aiohttp session
in its default setup does not, which shows the probe can tell."""

from __future__ import annotations

import json

import pytest

from tests.support.processes import run_tool

pytestmark = pytest.mark.e2e


def test_the_hubs_client_sends_what_it_is_given_and_the_probe_sees_what_a_default_client_adds() -> None:
    done = run_tool("outbound_clients.py", "--probe", timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    found = json.loads(done.stdout)
    hub = found["sends"]["hub"]
    assert hub["added"] == [] and hub["names_as_given"] and hub["path_as_given"], hub
    bare = found["sends"]["aiohttp"]  # aiohttp is a dependency of the hub, so it is always there
    assert "User-Agent" in bare["added"] and not bare["path_as_given"], bare
    assert bare["path_sent"] == "/ocpi/2.3.0/receiver/tokens/NL/ABC/012345678/authorize"  # %2e%2e and /./ resolved
    assert set(found["sends"]) | set(found["not_installed"]) == {
        "hub", "httpcore", "httpx", "aiohttp", "pyreqwest", "aiosonic",
    }  # fmt: skip
