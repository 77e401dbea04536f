"""``tools/clientinfo_fanout.py`` end to end, small: the hub's worker and outbound client announce new platforms to
every receiving platform, and the load-test peer (a real process on 127.0.0.1) gets each ClientInfo exactly once."""

from __future__ import annotations

import json

import pytest

from tests.support.processes import run_tool

pytestmark = pytest.mark.e2e


def test_every_receiver_gets_each_announcement_once_and_the_costs_are_reported() -> None:
    done = run_tool("clientinfo_fanout.py", "--receivers", "12", "--announcements", "3", timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout[: done.stdout.rindex("}") + 1])
    assert result["expanded"] == 3
    assert result["clientinfo_received"] == result["clientinfo_distinct_request_ids"] == 36
    assert result["expand_ms_each"] > 0 and result["deliver_us_per_clientinfo"] > 0
    assert done.stdout.rstrip().endswith("every ClientInfo arrived exactly once")


def test_more_announcements_than_one_round_expands_are_refused() -> None:
    done = run_tool("clientinfo_fanout.py", "--announcements", "65", timeout=60)
    assert done.returncode == 2 and "--announcements must be between 1 and 64" in done.stderr


def test_a_platform_swapping_its_party_id_is_announced_once_an_interval() -> None:
    """The attack mode, small: 10 receivers, 10 swaps in 2 s. With an interval longer than the swapping, the first swap
    is announced at once and all the others together after the interval: two ClientInfo PUTs (one per party) each
    time, to each receiver; with the interval at 0 each swap is announced, and the receivers get more."""

    def run(interval: str) -> dict[str, int]:
        args = ("--receivers", "10", "--swaps-per-s", "5", "--seconds", "2", "--interval", interval)
        done = run_tool("clientinfo_fanout.py", *args, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        result: dict[str, int] = json.loads(done.stdout)
        assert result["swaps"] == 10 and result["still_pending_after_a_minute"] == 0
        return result

    paced = run("3")
    assert paced["clientinfo_during_swaps"] == 2 * 10 and paced["clientinfo_in_all"] == 4 * 10
    assert run("0")["clientinfo_in_all"] > 4 * 10


def test_a_platform_holding_new_party_ids_at_every_change_costs_at_most_what_it_held_and_holds() -> None:
    """The ``--new-ids`` mode, small: 10 receivers, 10 changes in 2 s, each holding 5 party ids never held before. The
    first change goes out at once (NL/SWA dropped, 5 added); the rest together after the interval, listing only the 5
    dropped from the first change and the 5 held at the end: at most 160 ClientInfo PUTs (560 when every id used in
    the interval was listed)."""
    args = ("--receivers", "10", "--swaps-per-s", "5", "--seconds", "2", "--interval", "3", "--new-ids", "5")
    done = run_tool("clientinfo_fanout.py", *args, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["swaps"] == 10 and result["still_pending_after_a_minute"] == 0
    assert result["new_ids_per_change"] == 5
    assert 0 < result["clientinfo_in_all"] <= 16 * 10, result
