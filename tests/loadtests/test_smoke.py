"""Short, bounded runs of each load scenario against a real hub process: the load tests themselves work.

Locust runs as a subprocess (``loadtests.run.run_locust``); this process never imports it. Each run is bounded in
users, time and requests, and the assertions read what Locust left behind: its exit code, its CSV statistics and
the JSON summary written by the locustfile's quitting listener.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from loadtests.run import PeerProcess, RunResult, RunSpec, register_peer, run_locust, run_push
from tests.support.ocpi import auth
from tests.support.processes import HubProcess

pytestmark = pytest.mark.e2e

SEEDED = 40
INVITED = 24


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("loadtests")


@pytest.fixture(scope="module")
def hub(workdir: Path) -> Iterator[HubProcess]:
    """A hub with SEEDED registered parties (tokens in tokens.txt) and INVITED tokens A (invitations.txt)."""
    # the token scenario's unknown tokens all come from 127.0.0.1: no failed-authentication limit, as in `make bench`
    process = HubProcess(workdir / "hub.db", env={"OCPI_HUB_AUTH_FAILURE_LIMIT": "0"})
    seeded = process.cli("seed", "--parties", str(SEEDED), "--export", str(workdir / "tokens.txt"))
    assert seeded.returncode == 0, seeded.stderr
    invited = process.cli("invite", "--count", str(INVITED))
    assert invited.returncode == 0, invited.stderr
    (workdir / "invitations.txt").write_text(invited.stdout)
    process.start()
    yield process
    process.stop()


def _rows(result: RunResult) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["Type"], r["Name"]): r for r in result.stats}


def _count(row: dict[str, str] | None, column: str = "Request Count") -> int:
    return int(row[column]) if row else 0


def _explain(result: RunResult) -> str:
    return f"exit {result.returncode}; summary problems {result.summary.get('problems')}\n{result.tail()}"


def test_token_validation_counts_expected_401s_as_successes(hub: HubProcess, workdir: Path) -> None:
    result = run_locust(
        RunSpec(
            scenario="token",
            results=workdir / "token",
            name="token",
            versions_url=hub.versions_url,
            users=4,
            spawn_rate=4,
            run_time=4,
            options={"tokens": workdir / "tokens.txt", "unknown_share": 0.3, "max_requests": 1500},
        )
    )
    assert result.returncode == 0, _explain(result)
    rows = _rows(result)
    for path in ("/ocpi/versions", "/ocpi/2.3.0", "/ocpi/2.3.0/credentials"):
        assert _count(rows.get(("GET", path))) > 0, path
        unknown = rows.get(("GET", f"{path} [unknown token]"))
        assert _count(unknown) > 0, f"no unknown-token requests to {path}"
        assert _count(unknown, "Failure Count") == 0
    aggregated = result.aggregated
    assert int(aggregated["Request Count"]) >= 100
    assert int(aggregated["Failure Count"]) == 0
    assert result.summary["passed"] is True
    assert result.summary["exact"]["http_requests"] == int(aggregated["Request Count"])
    assert (result.spec.results / "token.html").stat().st_size > 10_000  # Locust's report with its charts


def test_registration_happens_exactly_once_per_token_a(hub: HubProcess, workdir: Path) -> None:
    with PeerProcess() as peer:
        result = run_locust(
            RunSpec(
                scenario="registration",
                results=workdir / "registration",
                name="registration",
                versions_url=hub.versions_url,
                users=8,
                spawn_rate=8,
                run_time=40,
                stop_timeout=20,
                options={"invitations": workdir / "invitations.txt", "peer_url": peer.versions_url},
            )
        )
        served = peer.stats()
    assert result.returncode == 0, _explain(result)
    assert result.elapsed < 35, "the run should end by itself once every token A is used"
    ledger = result.summary["registrations"]
    assert ledger["registered"] == ledger["rotated"] == INVITED
    assert ledger["failed"] == 0 and ledger["duplicate_tokens"] == 0
    assert ledger["verification"]["source"] == "hubclientinfo"
    assert ledger["verification"]["listed"] == INVITED
    rows = _rows(result)
    assert _count(rows.get(("POST", "/ocpi/2.3.0/credentials"))) == INVITED
    assert _count(rows.get(("PUT", "/ocpi/2.3.0/credentials"))) == INVITED
    assert _count(rows.get(("GET", "/ocpi/versions [rotated-out token]"))) == INVITED
    assert _count(rows.get(("CHECK", "registrations exactly once"))) == 1
    assert int(result.aggregated["Failure Count"]) == 0
    # the hub called the peer back twice (versions, details) for each POST and each PUT
    assert served["versions"] == served["details"] == 2 * INVITED
    # and its own count agrees: the seeded parties plus one per token A
    with open(workdir / "tokens.txt") as handle:
        token = handle.readline().strip()
    listing = httpx.get(f"{hub.base_url}/ocpi/2.3.0/sender/hubclientinfo", headers=auth(token), timeout=10)
    assert int(listing.headers["X-Total-Count"]) == SEEDED + INVITED


def test_a_wrong_answer_fails_the_run(workdir: Path) -> None:
    """A hub that accepts unknown tokens answers fast and wrong: the run must fail on the 401 check."""
    faulty = HubProcess(workdir / "faulty.db", faults=["accept_any_token"])
    assert faulty.cli("seed", "--parties", "5", "--export", str(workdir / "faulty-tokens.txt")).returncode == 0
    faulty.start()
    try:
        result = run_locust(
            RunSpec(
                scenario="token",
                results=workdir / "faulty",
                name="faulty",
                versions_url=faulty.versions_url,
                users=2,
                spawn_rate=2,
                run_time=3,
                options={
                    "tokens": workdir / "faulty-tokens.txt",
                    "unknown_share": 0.5,
                    "endpoints": "versions",
                    "max_requests": 300,
                },
            )
        )
    finally:
        faulty.stop()
    assert result.returncode == 1, _explain(result)
    row = _rows(result)[("GET", "/ocpi/versions [unknown token]")]
    assert int(row["Failure Count"]) == int(row["Request Count"]) > 0
    assert any("unauthorized" in e["error"] for e in result.summary["errors"])
    assert _count(_rows(result).get(("GET", "/ocpi/versions")), "Failure Count") == 0


def test_a_latency_threshold_sets_the_exit_code(hub: HubProcess, workdir: Path) -> None:
    result = run_locust(
        RunSpec(
            scenario="token",
            results=workdir / "threshold",
            name="threshold",
            versions_url=hub.versions_url,
            users=2,
            spawn_rate=2,
            run_time=3,
            options={"tokens": workdir / "tokens.txt", "max_requests": 200, "max_p99_ms": 0.001},
        )
    )
    assert result.returncode == 1, _explain(result)
    assert int(result.aggregated["Failure Count"]) == 0
    assert any(p.startswith("p99") for p in result.summary["problems"])


@pytest.mark.parametrize("fault", [None, "ignore_offset"])
def test_pages_compares_first_and_deep_pages_and_catches_an_ignored_offset(tmp_path: Path, fault: str | None) -> None:
    hub = HubProcess(tmp_path / "pages.db", faults=[fault] if fault else [])
    assert hub.cli("seed", "--parties", "1", "--export", str(tmp_path / "tokens.txt")).returncode == 0
    seeded = hub.cli("seed-locations", "--locations", "1000", "--owner", "AA/000")
    assert seeded.returncode == 0, seeded.stderr
    hub.start()
    try:
        result = run_locust(
            RunSpec(
                scenario="pages",
                results=tmp_path / "pages",
                name="pages",
                versions_url=hub.versions_url,
                users=2,
                spawn_rate=2,
                run_time=3,
                options={
                    "tokens": tmp_path / "tokens.txt",
                    "module": "locations",
                    "from_party": "AA/000",
                    "to_party": "NL/HUB",
                    "max_requests": 200,
                },
            )
        )
    finally:
        hub.stop()
    rows = _rows(result)
    first = rows.get(("GET", "/ocpi/2.3.0/sender/locations [first page]"))
    deep = rows.get(("GET", "/ocpi/2.3.0/sender/locations [deep page]"))
    assert _count(first) > 0 and _count(deep) > 0, _explain(result)
    if fault is None:
        assert result.returncode == 0, _explain(result)
        assert _count(deep, "Failure Count") == 0
    else:
        assert result.returncode != 0
        assert _count(deep, "Failure Count") == _count(deep)  # every deep page is the first page again
        assert _count(first, "Failure Count") == 0


@pytest.mark.parametrize("version", ["2.3.0", "2.2.1"])
def test_authorize_routes_through_the_hub_to_the_load_test_emsp(tmp_path: Path, version: str) -> None:
    """The CPO AA/000 authorizes drivers' tokens at the hub; the hub forwards each to the load-test eMSP ZZ/PER, which
    answers from its table (in 2.2.1 too: the hub translates the request and the answer, as ``make bench`` measures).
    A token the table says is BLOCKED but the run expects ALLOWED must fail the run."""
    hub = HubProcess(tmp_path / "rta.db", env={"OCPI_HUB_AUTH_FAILURE_LIMIT": "0"})
    assert hub.cli("seed", "--parties", "1", "--export", str(tmp_path / "cpo-token.txt")).returncode == 0
    hub.start()
    table = tmp_path / "tokens.csv"
    peer = PeerProcess(
        "127.0.0.1", "--authorizations", str(table), "--party", "ZZ/PER", "--ocpi-version", version
    ).start()
    try:
        register_peer(hub.versions_url, hub.invite(), peer.versions_url, "ZZ/PER", version=version)
        assert hub.cli("partners").stdout.count(f" {version} ") >= 1
        seeded = hub.cli("seed-tokens", "--tokens", "500", "--owner", "ZZ/PER", "--export", str(table))
        assert seeded.returncode == 0, seeded.stderr

        def run(name: str, tokens_file: Path) -> RunResult:
            return run_locust(
                RunSpec(
                    scenario="authorize",
                    results=tmp_path / name,
                    name=name,
                    versions_url=hub.versions_url,
                    users=4,
                    spawn_rate=4,
                    run_time=3,
                    options={
                        "tokens": tmp_path / "cpo-token.txt",
                        "tokens_file": tokens_file,
                        "from_party": "AA/000",
                        "unknown_share": 0.2,
                        "max_requests": 300,
                    },
                )
            )

        result = run("authorize", table)
        assert result.returncode == 0, _explain(result)
        rows = _rows(result)
        known = rows.get(("POST", "/ocpi/2.3.0/sender/tokens/{uid}/authorize"))
        unknown = rows.get(("POST", "/ocpi/2.3.0/sender/tokens/{uid}/authorize [unknown token]"))
        assert _count(known) > 0 and _count(unknown) > 0, _explain(result)
        assert _count(known, "Failure Count") == _count(unknown, "Failure Count") == 0
        assert peer.stats()["authorize"] >= _count(known)  # every known token went to the eMSP

        lying = tmp_path / "lying.csv"
        lying.write_text("uid,type,allowed\n" + "".join(f"T{n:07d},RFID,ALLOWED\n" for n in range(9, 500, 10)))
        wrong = run("lying", lying)
        assert wrong.returncode != 0
        row = _rows(wrong).get(("POST", "/ocpi/2.3.0/sender/tokens/{uid}/authorize"))
        assert _count(row) > 0 and _count(row, "Failure Count") == _count(row)
    finally:
        peer.stop()
        hub.stop()


def test_push_through_the_hub_reaches_every_receiver(tmp_path: Path) -> None:
    """The CPO AA/000 PUTs new Locations to the hub; two recording eMSPs registered for the run must each receive
    every acknowledged one, once, and the run reports the delay from send to receipt."""
    hub = HubProcess(tmp_path / "push.db", env={"OCPI_HUB_AUTH_FAILURE_LIMIT": "0"})
    assert hub.cli("seed", "--parties", "1", "--export", str(tmp_path / "cpo-token.txt")).returncode == 0
    hub.start()
    try:
        spec = RunSpec(
            scenario="push",
            results=tmp_path / "push",
            name="push",
            versions_url=hub.versions_url,
            users=3,
            spawn_rate=3,
            run_time=3,
            options={
                "tokens": tmp_path / "cpo-token.txt",
                "from_party": "AA/000",
                "to_party": "NL/HUB",
                "max_requests": 150,
            },
        )
        result, deliveries = run_push(spec, receivers=2, invitations=hub.invites(2), drain=20)
    finally:
        hub.stop()
    assert result.returncode == 0, _explain(result)
    acknowledged = deliveries["acknowledged"]
    assert acknowledged > 0
    assert len(deliveries["receivers"]) == 2
    for got in deliveries["receivers"].values():
        assert got["delivered"] == acknowledged and got["missing"] == 0 and got["duplicated"] == 0
    assert deliveries["end_to_end_ms"]["count"] == 2 * acknowledged
    assert deliveries["end_to_end_ms"]["p50"] > 0
    assert result.summary["deliveries"]["missing"] == 0  # the summary file carries the figures too


@pytest.mark.slow
def test_fanout_reaches_every_receiver_and_drains_a_returning_receivers_backlog(tmp_path: Path) -> None:
    """The benchmark's fan-out phase, small: five receivers in three processes (two shared, the returning one alone),
    then the returning one stopped while pushes go on and started again on its port. Every acknowledged push reaches
    every receiver once, what the returning one got before it stopped still counts, and its backlog is measured."""
    from loadtests.bench import cpu_seconds, machine_busy_seconds
    from loadtests.fanout import FanoutPlan, run_fanout

    env = {
        "OCPI_HUB_AUTH_FAILURE_LIMIT": "0",
        "OCPI_HUB_DELIVERY_POLICY": "store_and_forward",
        "OCPI_HUB_DELIVERY_BREAKER_COOLDOWN": "0.5",
    }
    hub = HubProcess(tmp_path / "fanout.db", env=env)
    assert hub.cli("seed", "--parties", "1", "--export", str(tmp_path / "cpo-token.txt")).returncode == 0
    hub.start()
    plan = FanoutPlan(receivers=5, rate=10, duration=3, per_process=2, lead=1, down=3, tail=3, drain=30, users=2)
    base = RunSpec(
        scenario="push",
        results=tmp_path / "fanout",
        name="fanout",
        versions_url=hub.versions_url,
        options={"tokens": tmp_path / "cpo-token.txt", "from_party": "AA/000", "to_party": "NL/HUB"},
    )
    try:
        assert hub.proc is not None
        pid = hub.proc.pid
        invitations = hub.invites(5)
        figures = run_fanout(base, plan, invitations, lambda: cpu_seconds(pid), machine_busy_seconds, print)
    finally:
        hub.stop()
    step, back = figures["fanout"], figures["backlog"]
    for part in (step, back):
        assert part["acknowledged"] > 0 and part["passed"], part
        assert len(part["receivers"]) == 5
        assert part["missing"] == 0 and part["duplicated"] == 0
        assert part["delivered"] == 5 * part["acknowledged"]
    assert step["deliveries_per_s"] > 0 and step["delay_ms"]["p99"] > 0 and step["hub_us_per_delivery"] > 0
    returning = sorted(back["receivers"])[-1]
    assert back["receivers"][returning]["delivered"] == back["acknowledged"]  # before the stop and after the return
    assert back["drain"]["backlog"] > 0  # pushes accepted while it was down, delivered after it came back
    assert back["drain"]["per_s"] > 0
    assert back["series_returning"]["t"] and back["series_others"]["t"]
