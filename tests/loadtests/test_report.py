"""The routed-authorization part of BENCHMARKS.md is written from a run's figures (made up here: only the report's
arithmetic and wording are tested, never a speed)."""

from __future__ import annotations

from pathlib import Path

from loadtests.bench import _rta_load, _rta_targets


def _run(p50: float, p99: float, rps: float, **cpu: float) -> dict[str, float]:
    return {"rps": rps, "p50": p50, "p95": p99, "p99": p99, "failures": 0, "other_cores": 0.2, **cpu}


RTA = {
    "hub": _run(9.0, 40.0, 900, hub_us=300.0),
    "emsp": _run(3.0, 12.0, 2500, emsp_us=100.0),
    "ratio_cpu": 3.0,
    "fixed": {
        "rate": 200,
        "users": 50,
        "hub": _run(1.5, 7.0, 200, hub_us=400.0),
        "emsp": _run(0.5, 2.0, 200, emsp_us=100.0),
    },
    "added_p50": 1.0,
    "added_p99": 5.0,
    "ratio_cpu_fixed": 4.0,
    "curve": [
        {"rate": r, "hub": _run(1.5, 7.0, min(r, 600)), "emsp": _run(0.5, 2.0, r)} for r in (50, 100, 200, 400, 800)
    ],
}


def test_the_targets_say_what_the_hub_adds_and_whether_each_is_met() -> None:
    rows = _rta_targets(RTA)
    assert len(rows) == 3
    assert "3.00 (300 / 100 µs)" in rows[0] and "**missed** by 0.50" in rows[0]
    assert "200 req/s offered | ≤ 2 ms | 1.00 ms | met" in rows[1]
    assert "≤ 5 ms | 5.00 ms | met" in rows[2]


def test_the_load_table_has_a_row_per_step_and_target() -> None:
    lines = _rta_load(RTA, {"duration": 15, "curve_duration": 6})
    steps = [line for line in lines if line.startswith("| 800 |")]
    assert [line.split(" | ")[1] for line in steps] == ["through the hub", "the eMSP alone"]
    assert sum(line.startswith("| 200 |") for line in lines) == 4  # the fixed-rate run and the curve's step
    assert "p50 1.00 ms (target ≤ 2), p99 5.00 ms (target ≤ 5)" in lines[-1]


def test_fixed_rate_rounds_report_the_median_of_each_rounds_own_difference() -> None:
    from loadtests.bench import _median_run

    rounds = [
        {"hub": _run(1.5, 9.0, 199, hub_us=400.0), "emsp": _run(0.5, 2.0, 200, emsp_us=90.0)},
        {"hub": _run(1.9, 5.0, 200, hub_us=500.0), "emsp": _run(0.6, 1.5, 201, emsp_us=110.0)},
        {"hub": _run(1.6, 6.0, 198, hub_us=450.0), "emsp": _run(0.4, 2.5, 200, emsp_us=100.0)},
    ]
    hub = _median_run([r["hub"] for r in rounds])
    assert (hub["p50"], hub["p99"], hub["hub_us"], hub["rps"]) == (1.6, 6.0, 450.0, 199.0)
    failed = _median_run([r["hub"] | {"failures": 2, "passed": i != 1} for i, r in enumerate(rounds)])
    assert failed["failures"] == 6 and failed["passed"] is False  # never the median of a verdict
    rta = RTA | {
        "fixed": RTA["fixed"] | {"rounds": 3},
        "added_rounds": {"p50": [1.0, 1.3, 1.2], "p99": [7.0, 3.5, 3.5]},
    }
    lines = _rta_load(rta, {"duration": 15, "curve_duration": 6})
    assert "median of 3 rounds" in lines[1]
    assert "each round's: p50 1.00 / p99 7.00; p50 1.30 / p99 3.50; p50 1.20 / p99 3.50 ms" in lines[-1]


def test_a_run_without_the_fixed_rate_figures_reports_none() -> None:
    older = {k: v for k, v in RTA.items() if k not in ("fixed", "curve")}
    assert _rta_targets(older) == [] and _rta_load(older, {"duration": 15}) == []


def test_the_other_targets_follow_the_phases_the_run_has() -> None:
    from loadtests.bench import _other_targets

    run = {
        "summary": {
            "bare/max": {"server_us": 80.0},
            "hub-1k/max": {"server_us": 96.0},
            "hub-100k/max": {"server_us": 120.0},
        },
        "registration": {"registrations_per_s": 65.0},
        "registration_listened": {"registrations_per_s": 47.2, "flow_ms": {"p99": "8300"}},
        "fairness": {"ratio_p99": 1.5},
        "fanout": {
            "plan": {"receivers": 50},
            "fanout": {"asked_per_s": 2500, "delay_ms": {"p99": 1200.0}, "missing": 0, "duplicated": 0},
            "backlog": {"missing": 1, "duplicated": 0, "drain": {"per_s": 1500.0}},
        },
    }
    rows = _other_targets(run)
    assert "1.20 (96 / 80 µs) | met" in rows[0] and "1.50 (120 / 80 µs) | **missed** by 0.25" in rows[1]
    assert "no platform listening" in rows[2] and "| ≥ 70 | 65.0 | **missed** by 5.00 |" in rows[2]
    assert (
        "1,000 seeded platforms listening" in rows[3]
        and "| ≥ 70 | 47.2 (p99 8300 ms) | **missed** by 22.80 |" in rows[3]
    )
    assert "| ≤ 2 | 1.50 | met |" in rows[4]
    assert "1200 ms | **missed** by 200 ms" in rows[5]
    assert "| 0 | 1 | " in rows[6] and "met" not in rows[6].rsplit("|", 2)[1]  # one delivery missing in the backlog
    assert "1,500/s | met" in rows[7]
    assert _other_targets({}) == []


def test_the_token_cpu_target_shows_each_rounds_own_ratio_beside_the_medians() -> None:
    from loadtests.bench import _other_targets

    def run(target: str, repeat: int, us: float, kind: str = "max") -> dict[str, object]:
        return {"target": target, "kind": kind, "repeat": repeat, "rps": 5000.0, "server_cores": us * 5000 / 1e6}

    measurements = [
        run("bare", 1, 70.0), run("hub-1k", 1, 84.0),
        run("bare", 2, 80.0), run("hub-1k", 2, 104.0),
        run("hub-1k", 3, 99.0),  # a round the bare endpoint has no figure for is not paired
        run("bare", 1, 50.0, "fixed-rate"), run("hub-1k", 1, 100.0, "fixed-rate"),
    ]  # fmt: skip
    summary = {"bare/max": {"server_us": 75.0}, "hub-1k/max": {"server_us": 99.0}}
    rows = _other_targets({"summary": summary, "measurements": measurements})
    assert "| ≤ 1.25 | 1.32 (99 / 75 µs; each round's own: 1.20, 1.30) | **missed** by 0.07 |" in rows[0]
    single = _other_targets({"summary": summary, "measurements": measurements[:2]})
    assert "(99 / 75 µs) |" in single[0]  # one round: nothing to show beside the medians


def test_get_credentials_is_judged_by_the_answer_reader_and_any_failure_misses_the_target() -> None:
    from loadtests.bench import _answers_table, _other_targets

    read = {"per_s": 134.4, "server_ms": 11.2, "failures": 0, "window": [0.0, 10.0], "answer_bytes": 13e9}
    row = _other_targets({"answers": {"hub-100k": read}})[0]
    assert "| 134.4 (11.2 ms of server CPU each; failures 0) | met |" in row
    slow = _other_targets({"answers": {"hub-100k": {**read, "per_s": 80.0}}})[0]
    assert slow.endswith("| **missed** by 20 |")  # a rate in whole answers
    wrong = {**read, "failures": 3, "first_failure": "bytes 0 to 65536 differ from the checked answer"}
    assert _other_targets({"answers": {"hub-100k": wrong}})[0].endswith("| **missed** |")
    table = _answers_table({"hub-100k": wrong}, {"hub-1k": "hub, 1,000 parties", "hub-100k": "hub, 100,000 parties"})
    assert "| hub, 100,000 parties | 134.4 | 1300 |" in "\n".join(table)
    assert table[-1] == "First failure of the reader: bytes 0 to 65536 differ from the checked answer"
    assert _answers_table({}, {}) == []
    rehearsal = _other_targets({"settings": {"small": 1000, "large": 5000}, "answers": {"hub-100k": read}})[0]
    assert "GET credentials, 5,000 parties" in rehearsal and rehearsal.endswith(
        "| not judged: the target is for 100,000 parties |"
    )


def test_a_server_that_lost_a_worker_during_the_run_is_named(tmp_path: Path) -> None:
    """granian restarts a worker that dies; the figures measured across the restart are not the server's steady
    cost, so the report names the servers whose logs say so, and says so when none did."""
    from loadtests.bench import WORKER_EXIT, _worker_exits_row, worker_exits

    (tmp_path / "bare.server.log").write_text("INFO _granian: Started worker-1\n")
    (tmp_path / "hub-1k.server.log").write_text("INFO: started\n")
    assert worker_exits(tmp_path) == {}
    assert "none died" in _worker_exits_row({})[0]
    (tmp_path / "hub-100k.server.log").write_text(f"ERROR _granian: {WORKER_EXIT}-2\nINFO _granian: Respawning\n")
    (tmp_path / "hub-two.server.2.log").write_text(f"ERROR _granian: {WORKER_EXIT}-1\n" * 2)  # a second instance
    exits = worker_exits(tmp_path)
    assert exits == {"hub-100k": 1, "hub-two": 2}
    [row] = _worker_exits_row(exits)
    assert "**died during the run and were restarted**: hub-100k 1, hub-two 2" in row
    assert _worker_exits_row(None) == []  # a saved run from before the check: no row, rather than a false "none"


def test_the_registration_with_listening_platforms_says_what_was_owed_and_what_arrived() -> None:
    from loadtests.bench import registration_listened_lines

    heard = {
        "invited": 1000,
        "users": 50,
        "seeded": 1000,
        "ledger": {"registered": 1000, "rotated": 1000, "failed": 0},
        "elapsed_s": 23.2,
        "registrations_per_s": 47.2,
        "server_cores": 1.14,
        "other_cores": 0.08,
        "flow_ms": {"p50": "650", "p95": "5000", "p99": "8300"},
        "hub_cpu_ms_per_flow": 26.65,
        "clientinfo_during": 27563,
        "clientinfo_ids_during": 27563,
        "checks": {"every token A registered": True, "no failed handshake": False},
    }
    text = "\n".join(registration_listened_lines(heard))
    assert "47.2 handshakes+rotations per second" in text and "p99 8300 ms" in text
    assert "27563 (27563 distinct X-Request-IDs) of 1000000 owed" in text
    assert "checks: FAILED: no failed handshake" in text
    assert registration_listened_lines(None) == []


def test_the_instruction_count_sits_beside_the_token_cpu_target_unjudged_and_says_how_it_was_made() -> None:
    from loadtests.bench import _instruction_note, _other_targets

    counted = {"requests": 1000, "parties": 1000, "per_request": {"tokens": 180_808.4, "bare": 138_655.0}}
    summary = {"bare/max": {"server_us": 96.0}, "hub-1k/max": {"server_us": 128.0}}
    rows = _other_targets({"summary": summary, "measurements": [], "instructions": counted})
    assert "1.33 (128 / 96 µs)" in rows[0]
    assert rows[1].startswith("| token validation counted (callgrind): instructions per request, hub / bare, 1,000")
    assert "| 1.30 (180,808 / 138,655) | counted |" in rows[1] and "met" not in rows[1]
    note = " ".join(_instruction_note(counted))
    assert "1,000 and 3,000 requests" in note and "divided the difference by 2,000" in note
    assert _instruction_note({"skipped": "valgrind is not installed (`make valgrind`)"}) == []


def test_a_run_that_did_not_count_instructions_names_why_and_a_run_without_the_step_shows_nothing() -> None:
    from loadtests.bench import _other_targets

    summary = {"bare/max": {"server_us": 96.0}, "hub-1k/max": {"server_us": 128.0}}
    skipped = _other_targets({"summary": summary, "instructions": {"skipped": "valgrind is not installed"}})
    assert skipped[1].endswith("| not a target | not counted: valgrind is not installed | |")
    assert len(_other_targets({"summary": summary})) == 1


def test_the_bench_skips_the_instruction_count_naming_why(tmp_path: Path, monkeypatch) -> None:
    from loadtests.bench import Bench, Settings

    on_postgres = Bench(Settings(store="postgresql"), tmp_path / "pg", tmp_path / "unused.md", "test")
    on_postgres.instructions()
    assert on_postgres.extra["instructions"] == {
        "skipped": "counted on a SQLite store only; this run's store is postgresql"
    }
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without valgrind
    without = Bench(Settings(), tmp_path / "sqlite", tmp_path / "unused.md", "test")
    without.instructions()
    assert without.extra["instructions"] == {"skipped": "valgrind is not installed (`make valgrind`)"}
