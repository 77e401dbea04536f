"""Each fault switch of the asynchronous-result rules (commands; ``reference_hub/faults.py``) takes effect: a hub
started with it breaks exactly that rule, which tests/e2e/test_commands.py shows the clean hub keeping."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pytest

from reference_hub.faults import Fault
from tests.e2e.test_commands import (
    commands_to_cpo,
    own_url,
    results_at,
    send,
    set_cpo,
    start_net,
    start_session,
    stop_net,
)
from tests.e2e.test_objects import ok, refused
from tests.e2e.test_routing import received
from tests.support import examples as ex

pytestmark = pytest.mark.e2e

ASYNC_FAULTS = [
    Fault.RESPONSE_URL_NOT_SUBSTITUTED,
    Fault.RESULT_NOT_FORWARDED,
    Fault.RESULT_TO_WRONG_PARTY,
    Fault.RESULTS_FROM_ANYONE,
    Fault.COMMAND_RESPONSE_AS_RESULT,
    Fault.RESULT_TIMEOUT_IGNORED,
    Fault.RESULT_REPEAT_ACCEPTED,
]
"""Each has a test below named after it."""

Net = dict[str, Any]


@pytest.fixture
def net_with(tmp_path: Path) -> Iterator[Callable[..., Net]]:
    started: list[Net] = []

    def start(*faults: str, env: dict[str, str] | None = None) -> Net:
        found = start_net(tmp_path / f"hub{len(started)}.db", faults=faults, env=env)
        started.append(found)
        return found

    yield start
    for found in started:
        stop_net(found)


def command(net: Net, ref: str) -> tuple[str, str]:
    """Send a START_SESSION from DE/MSP to NL/CPO; (the eMSP's URL, the URL the CPO was given)."""
    mine = own_url(net["parties"]["msp"], "START_SESSION", ref)
    ok(send(net["msp"], "START_SESSION", start_session(mine), ("NL", "CPO")))
    return mine, commands_to_cpo(net["parties"]["cpo"], "START_SESSION")[-1]["body"]["response_url"]


def post(net: Net, who: str, url: str, result: str = "ACCEPTED") -> Any:
    platform = net[who]
    return platform.call("POST", url, {"result": result}, headers=platform.headers(to=("DE", "MSP")))


def test_response_url_not_substituted(net_with: Callable[..., Net]) -> None:
    net = net_with("response_url_not_substituted")
    mine, given = command(net, "f1")
    assert given == mine  # the CPO got the eMSP's own URL, so the hub never sees the result


def test_result_not_forwarded(net_with: Callable[..., Net]) -> None:
    net = net_with("result_not_forwarded")
    mine, given = command(net, "f2")
    ok(post(net, "cpo", given))
    time.sleep(1.0)
    assert results_at(net["parties"]["msp"], mine, 0) == []


def test_result_to_wrong_party(net_with: Callable[..., Net]) -> None:
    net = net_with("result_to_wrong_party")
    mine, given = command(net, "f3")
    ok(post(net, "cpo", given))
    [result] = results_at(net["parties"]["msp"], mine)
    assert (result["headers"]["ocpi-to-party-id"], result["headers"]["ocpi-from-party-id"]) == ("CPO", "MSP")


def test_results_from_anyone(net_with: Callable[..., Net]) -> None:
    net = net_with("results_from_anyone")
    mine, given = command(net, "f4")
    ok(post(net, "oth", given, "FAILED"))  # DE/OTH's platform was never given this URL
    [result] = results_at(net["parties"]["msp"], mine)
    assert result["body"] == {"result": "FAILED"}


def test_command_response_as_result(net_with: Callable[..., Net]) -> None:
    net = net_with("command_response_as_result")
    mine, _given = command(net, "f5")
    [result] = results_at(net["parties"]["msp"], mine)
    assert result["body"] == {"result": "ACCEPTED", "timeout": 30}  # the CommandResponse, not a CommandResult


@pytest.mark.parametrize("fault", [None, "result_timeout_ignored"])
def test_result_timeout_ignored(net_with: Callable[..., Net], fault: str | None) -> None:
    net = net_with(*([fault] if fault else []), env={"OCPI_HUB_RESULT_GRACE": "0"})
    set_cpo(net, answers={"START_SESSION": {"result": "ACCEPTED", "timeout": 1}})
    mine, given = command(net, "f6")
    time.sleep(2.2)  # the CommandResponse said 1 s, and the hub allows no grace here
    answer = post(net, "cpo", given)
    if fault is None:
        assert "ended" in refused(answer, 2000)
        time.sleep(0.5)
        assert results_at(net["parties"]["msp"], mine, 0) == []
    else:
        ok(answer)
        assert len(results_at(net["parties"]["msp"], mine)) == 1


def test_result_repeat_accepted(net_with: Callable[..., Net]) -> None:
    net = net_with("result_repeat_accepted")
    mine, given = command(net, "f7")
    ok(post(net, "cpo", given))
    ok(post(net, "cpo", given))
    assert len(results_at(net["parties"]["msp"], mine, 2)) == 2


def test_response_url_not_substituted_in_a_charging_profile_query(net_with: Callable[..., Net]) -> None:
    """The same machinery serves ChargingProfiles: the switch leaves the GET's response_url query as sent."""
    net = net_with("response_url_not_substituted")
    cpo, msp, parties = net["cpo"], net["msp"], net["parties"]
    ok(cpo.call("PUT", "/receiver/sessions/NL/CPO/S-F", ex.session("NL", "CPO", "DE", "MSP", "S-F")), 201)
    mine = f"{parties['msp'].base_url}/ocpi/2.3.0/sender/chargingprofiles/results/f8"
    path = f"/receiver/chargingprofiles/S-F?duration=60&response_url={quote(mine, safe='')}"
    ok(msp.call("GET", path, headers=msp.headers(to=None)))
    [got] = received(parties["cpo"], lambda r: r["path"] == "/ocpi/2.3.0/receiver/chargingprofiles/S-F")
    assert parse_qs(got["query"])["response_url"] == [mine]


def test_each_async_fault_has_its_test() -> None:
    names = set(globals())
    assert all(any(n.startswith(f"test_{f.value}") for n in names) for f in ASYNC_FAULTS)
