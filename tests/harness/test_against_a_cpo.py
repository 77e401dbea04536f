"""The command scenarios against a pure CPO (roles CPO, no hub): the stand-alone test party of the end-to-end tests
(tests/e2e/party.py) registers the harness as its eMSP, answers the commands and posts the results itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.hubrun import run_harness
from tests.support import examples as ex
from tests.support.processes import PartyProcess

pytestmark = pytest.mark.e2e


def test_commands_against_a_cpo_that_posts_its_own_results(tmp_path: Path) -> None:
    cpo = PartyProcess("NL", "CPX").start()
    try:
        cpo.control(
            "set",
            {
                "serve": {"locations": [ex.location("NL", "CPX", "LOC-X1")]},
                # the party answers every command ACCEPTED unless told otherwise: a STOP_SESSION of a session it
                # does not know is answered as the spec defines; a location it does not know is not (a warning)
                "answers": {"STOP_SESSION": {"result": "UNKNOWN_SESSION", "timeout": 0}},
                "results": {"START_SESSION": {"body": {"result": "ACCEPTED"}, "delay": 0.1}},
            },
        )
        token_a = cpo.control("invite")["token"]
        target = tmp_path / "target.toml"
        target.write_text(
            "\n".join(
                [
                    'name = "test CPO"',
                    f'versions_url = "{cpo.versions_url}"',
                    f'token_a = "{token_a}"',
                    'roles = ["CPO"]',
                    "timeout = 10",
                    "[party]",
                    'country_code = "NL"',
                    'party_id = "CTE"',
                    'role = "EMSP"',
                    "[peer]",
                    'host = "127.0.0.1"',
                    "port = 0",
                    "[report]",
                    'dir = "report"',
                ]
            )
            + "\n",
            encoding="utf-8",
        )
        run = run_harness(target, "commands.", "chargingprofiles.")
        outcomes = run.outcomes()
        assert outcomes == {
            "commands.command-responses": "pass",
            "commands.result-delivered": "pass",
            "commands.result-routing-headers": "pass",
            "commands.result-once": "pass",
            "commands.unknown-session": "pass",
            "commands.unknown-location-2003": "warn",
            "commands.result-keeps-correlation-id": "skip",  # a hub's rule
            "chargingprofiles.responses": "skip",  # the harness has no session of its own at a CPO
            "chargingprofiles.results-delivered": "skip",
        }, run.stdout
        assert run.scenario("commands.result-keeps-correlation-id")["message"].startswith("written for HUB")
        # the results came from the CPO itself, to the harness's eMSP identity
        got = [e for e in run.scenario("commands.result-delivered")["exchanges"] if e["direction"] == "inbound"]
        assert any("/results/commands/START_SESSION/" in e["url"] for e in got), got
        # no session was reported for the accepted START_SESSIONs (the party reports none): nothing to stop, and the
        # report says so
        assert "the target reported no session for it" in " ".join(run.results["observations"])
        # the CANCEL_RESERVATION ends the reservation the RESERVE_NOW made
        sent = {
            e["url"].rsplit("/", 1)[1]: json.loads(e["request_body"])
            for e in run.scenario("commands.command-responses")["exchanges"]
            if e["direction"] == "outbound" and "/commands/" in e["url"]
        }
        assert sent["CANCEL_RESERVATION"]["reservation_id"] == sent["RESERVE_NOW"]["reservation_id"]
        assert "UNLOCK_CONNECTOR is not sent" in " ".join(run.scenario("commands.command-responses")["notes"])
    finally:
        cpo.stop()
