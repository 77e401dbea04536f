"""``ocpi-hub`` as a user meets it: every mistake is one line with the documented exit code (the traceback only with
--debug), a busy port is refused naming who holds it, and the everyday output (version, tables, JSON, completion,
token files) is what the README says. Real processes throughout."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reference_hub import __version__
from reference_hub.cli import EXIT_FAILED, EXIT_UNAVAILABLE, EXIT_USAGE
from tests.support.processes import HubProcess, clean_env, free_port

pytestmark = pytest.mark.e2e

COMMANDS = ("serve", "invite", "register", "partners", "seed", "seed-locations", "seed-tokens", "completion")


def hub(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reference_hub", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(env),
        timeout=timeout,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str], code: int, *expected: str) -> str:
    """The command failed with ``code`` and said so in exactly one line on stderr containing ``expected``."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    for text in expected:
        assert text in lines[0], (text, lines[0])
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("bogus",), ("unknown command 'bogus'", *COMMANDS)),
        (("--bogus",), ("unknown option --bogus", *COMMANDS)),
        ((), ("name a command", *COMMANDS)),
        (("serve", "--port", "99999"), ("--port", "99999 is not a port number (1-65535)")),
        (("serve", "--port", "eighty"), ("--port", "'eighty' is not a port number")),
        (("invite", "--count", "0"), ("--count", "0 is too small")),
        (("serve", "--workers", "two"), ("--workers", "'two' is not a whole number")),
        (("seed-locations", "--locations", "5", "--owner", "NLCPO"), ("--owner 'NLCPO' is not CC/PID",)),
        (
            ("seed", "--parties", "2", "--clientinfo-url", "ftp://x"),
            ("--clientinfo-url 'ftp://x' is not an http:// or https:// URL",),
        ),
        (("partners", "list", "DE-ABC"), ("takes no PARTNER_ID",)),
        (("operators", "add"), ("give the operator's NAME",)),
        (("operators", "add", "bad name!"), ("give the operator's NAME",)),
        (("operators", "add", "alice", "--role", "root"), ("invalid choice: 'root'",)),
        (("completion", "fish"), ("invalid choice: 'fish'",)),
    ],
)
def test_usage_mistakes_are_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], expected: tuple[str]) -> None:
    one_line(hub(*args, cwd=tmp_path), EXIT_USAGE, *expected)


def test_an_unsupported_store_url_says_what_is_supported_before_anything_starts(tmp_path: Path) -> None:
    line = one_line(
        hub("serve", "--port", str(free_port()), "--store", "mysql://user:pw@db.example/ocpi", cwd=tmp_path),
        EXIT_USAGE,
        "unsupported store URL",
        "sqlite://",
        "postgresql://",
        "mongodb://",
    )
    assert ":pw@" not in line and "db.example" in line  # the URL as given, without its password
    assert not (tmp_path / "data").exists()


def test_settings_file_mistakes_name_the_file_and_line(tmp_path: Path) -> None:
    one_line(hub("serve", "--config", "missing.yaml", cwd=tmp_path), EXIT_USAGE, "missing.yaml", "No such file")
    (tmp_path / "hub.yaml").write_text("port: 8081\nstore: [sqlite:///a.db\n\npage_limit: 3\n")
    one_line(hub("serve", "--config", "hub.yaml", cwd=tmp_path), EXIT_USAGE, "hub.yaml, line ", "YAML syntax error")
    (tmp_path / "typo.yaml").write_text("prot: 8081\n")
    one_line(hub("invite", "--config", "typo.yaml", cwd=tmp_path), EXIT_USAGE, "unknown setting 'prot'")
    one_line(hub("invite", cwd=tmp_path, env={"OCPI_HUB_PORT": "99999"}), EXIT_USAGE, "port", "99999")
    one_line(
        hub("invite", cwd=tmp_path, env={"OCPI_HUB_PAGE_LIMIT": "many"}),
        EXIT_USAGE,
        "invalid setting page_limit",
        "OCPI_HUB_PAGE_LIMIT",
    )
    assert not (tmp_path / "data").exists()


def test_a_store_under_a_missing_directory_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "deeper"
    for command in (("seed", "--parties", "2"), ("invite",), ("partners",)):
        one_line(
            hub(*command, "--store", f"sqlite:///{missing}/hub.db", cwd=tmp_path),
            EXIT_USAGE,
            f"the store's directory {missing} does not exist",
        )
    assert not (tmp_path / "nowhere").exists()


def test_an_export_file_that_cannot_be_written_is_refused_before_the_store_changes(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/hub.db"
    one_line(
        hub("seed", "--parties", "3", "--store", store, "--export", str(tmp_path / "no" / "tokens.txt"), cwd=tmp_path),
        EXIT_USAGE,
        "cannot write",
        "tokens.txt",
    )
    one_line(
        hub("invite", "--store", store, "--export", str(tmp_path / "no" / "invitations.txt"), cwd=tmp_path),
        EXIT_USAGE,
        "cannot write",
    )
    listed = hub("partners", "--json", "--store", store, cwd=tmp_path)
    assert listed.returncode == 0 and json.loads(listed.stdout) == []


def test_an_unreachable_mongodb_is_reported_within_seconds(tmp_path: Path) -> None:
    started = time.monotonic()
    result = hub(
        "serve", "--port", str(free_port()), "--store", f"mongodb://127.0.0.1:{free_port()}/ocpi", cwd=tmp_path
    )
    elapsed = time.monotonic() - started
    one_line(result, EXIT_UNAVAILABLE, "did not answer within 5 s", "mongodb://127.0.0.1:")
    assert elapsed < 20


def test_a_busy_port_is_refused_naming_the_hub_that_holds_it(tmp_path: Path) -> None:
    first = HubProcess(tmp_path / "first.db").start()
    try:
        result = hub("serve", "--port", str(first.port), "--store", f"sqlite:///{tmp_path}/second.db", cwd=tmp_path)
        line = one_line(result, EXIT_UNAVAILABLE, f"port {first.port} on 127.0.0.1 is in use by pid ")
        assert first.proc is not None and f"pid {first.proc.pid} " in line, line
        assert "first.db" in line  # its command line, as far as the system tells
        assert not (tmp_path / "second.db").exists()  # the second hub never started
    finally:
        first.stop()


def test_a_busy_port_held_by_another_program_is_refused_too(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        result = hub("serve", "--port", str(port), "--store", f"sqlite:///{tmp_path}/hub.db", cwd=tmp_path)
    one_line(result, EXIT_UNAVAILABLE, f"port {port} on 127.0.0.1 is in use by pid {os.getpid()} ")


def test_a_failed_operation_exits_1_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/hub.db"
    one_line(hub("partners", "remove", "DE-NOPE", "--store", store, cwd=tmp_path), EXIT_FAILED, "no partner 'DE-NOPE'")
    unreachable = f"http://127.0.0.1:{free_port()}/ocpi/versions"
    line = one_line(hub("register", unreachable, "token-a", "--store", store, cwd=tmp_path), EXIT_FAILED)
    assert "OCPI status" in line
    debug = hub("--debug", "partners", "remove", "DE-NOPE", "--store", store, cwd=tmp_path)
    assert debug.returncode == EXIT_FAILED and "Traceback" in debug.stderr
    debug = hub("partners", "remove", "DE-NOPE", "--store", store, "--debug", cwd=tmp_path)
    assert debug.returncode == EXIT_FAILED and "Traceback" in debug.stderr


def test_version_help_and_exit_codes_are_documented(tmp_path: Path) -> None:
    version = hub("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.strip() == f"ocpi-hub {__version__} (OCPI 2.3.0, 2.2.1)"
    text = hub("--help", cwd=tmp_path).stdout
    for code in ("0 ", "1 ", "2 ", "3 ", "130"):
        assert f"\n  {code}" in text
    for command in COMMANDS:
        assert command in text


def test_partners_list_has_headers_and_json(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/hub.db"
    seeded = hub("seed", "--parties", "2", "--store", store, "--export", "tokens.txt", cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    listed = hub("partners", "--store", store, cwd=tmp_path)
    header, *rows = listed.stdout.splitlines()
    assert header.split() == [
        "PARTNER",
        "STATUS",
        "HALF",
        "INITIATED",
        "BY",
        "PARTIES",
        "OCPI",
        "VERSIONS",
        "URL",
        "CREATED",
    ]
    assert [row.split()[0] for row in rows] == ["AA-000", "AA-001"]
    assert listed.stderr.strip() == "2 partner record(s)"
    as_json = json.loads(hub("partners", "list", "--json", "--store", store, cwd=tmp_path).stdout)
    assert [p["partner_id"] for p in as_json] == ["AA-000", "AA-001"]
    assert {p["status"] for p in as_json} == {"ACTIVE"} and "token" not in json.dumps(as_json).lower().replace(
        "raw_token_auth", ""
    )


def test_store_commands_do_not_import_the_outbound_client_library_and_the_served_app_does(tmp_path: Path) -> None:
    """aiohttp took about a quarter of an ``invite``; only a process that calls out needs it. A served worker loads it
    with the app, so that its first outbound call does not import it on the event loop."""
    store = f"sqlite:///{tmp_path}/hub.db"
    for args in (("seed", "--parties", "1", "--export", "t.txt"), ("invite",), ("partners", "list")):
        result = hub(*args, "--store", store, cwd=tmp_path, env={"PYTHONPROFILEIMPORTTIME": "1"})
        assert result.returncode == 0, result.stderr
        imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
        assert "reference_hub.hub.client" in imported, args  # the import log is what it seems to be
        assert not {m for m in imported if m.split(".")[0] == "aiohttp"}, args
    served = subprocess.run(
        [sys.executable, "-c", "import sys, reference_hub.app; print('aiohttp' in sys.modules)"],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )
    assert served.stdout.strip() == "True", served.stderr


def test_token_files_are_created_0600(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/hub.db"
    (tmp_path / "invitations.txt").write_text("old\n")
    (tmp_path / "invitations.txt").chmod(0o644)  # an existing file is tightened, not only a new one
    for args in (
        ("seed", "--parties", "2", "--export", "tokens.txt"),
        ("invite", "--count", "3", "--export", "invitations.txt"),
        ("seed-tokens", "--tokens", "3", "--owner", "AA/000", "--export", "emsp-tokens.csv"),
    ):
        result = hub(*args, "--store", store, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    for name, lines in (("tokens.txt", 2), ("invitations.txt", 3), ("emsp-tokens.csv", 4)):
        path = tmp_path / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        assert len(path.read_text().splitlines()) == lines, name
    # invite without --export still writes only tokens to stdout
    plain = hub("invite", "--count", "2", "--store", store, cwd=tmp_path)
    assert len(plain.stdout.split()) == 2 and "Versions URL" in plain.stderr


def test_seeded_tokens_of_two_emsps_have_their_own_uids(tmp_path: Path) -> None:
    """Two load-test eMSPs' tokens with one uid would be ambiguous at the hub (whose token is it?): --uid-prefix."""
    store = f"sqlite:///{tmp_path}/hub.db"
    assert hub("seed", "--parties", "2", "--store", store, cwd=tmp_path).returncode == 0
    for owner, prefix in (("AA/000", "T"), ("AA/001", "X")):
        args = ("--tokens", "3", "--owner", owner, "--export", f"{prefix}.csv", "--uid-prefix", prefix)
        result = hub("seed-tokens", *args, "--store", store, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "X.csv").read_text().splitlines()[1:] == [f"X000000{n},RFID,ALLOWED" for n in range(3)]
    assert (tmp_path / "T.csv").read_text().splitlines()[1].startswith("T0000000,")
    wrong = hub(
        "seed-tokens", "--tokens", "1", "--owner", "AA/000", "--uid-prefix", "a/b", "--store", store, cwd=tmp_path
    )
    assert wrong.returncode == 2 and len(wrong.stderr.strip().splitlines()) == 1 and "a/b" in wrong.stderr


def test_bash_completion_completes_the_commands(tmp_path: Path) -> None:
    script = hub("completion", "bash", cwd=tmp_path)
    assert script.returncode == 0
    (tmp_path / "ocpi-hub.bash").write_text(script.stdout)
    probe = (
        "source ./ocpi-hub.bash; COMP_WORDS=(ocpi-hub se); COMP_CWORD=1; COMP_LINE='ocpi-hub se'; COMP_POINT=11; "
        '_shtab_ocpi_hub; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    completed = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=30)
    assert sorted(completed.stdout.split()) == ["seed", "seed-locations", "seed-tokens", "serve"], completed.stderr
    zsh = hub("completion", "zsh", cwd=tmp_path)
    assert zsh.returncode == 0 and zsh.stdout.startswith("#compdef ocpi-hub")


def test_operators_are_added_listed_and_removed_with_one_line_refusals(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/hub.db"

    def operators(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reference_hub", "operators", *args, "--store", store],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=clean_env(None),
            input=password,
            timeout=60,
            check=False,
        )

    one_line(operators("add", "alice", "--password-stdin", password="short\n"), EXIT_USAGE, "at least 12 characters")
    added = operators("add", "alice", "--role", "operator", "--password-stdin", password="a-long-enough-password\n")
    assert added.returncode == 0 and added.stdout.strip() == "added alice (operator)", added.stderr
    one_line(operators("add", "alice", "--password-stdin", password="another-long-password\n"), EXIT_USAGE, "already")
    listed = operators("list")
    assert listed.returncode == 0 and "alice" in listed.stdout and "operator" in listed.stdout
    assert "a-long-enough-password" not in listed.stdout and "$argon2id$" not in listed.stdout
    assert operators("remove", "alice").stdout.strip() == "removed alice"
    one_line(operators("remove", "alice"), EXIT_FAILED, "no operator 'alice'")


def test_seeded_parties_can_listen_for_clientinfo_at_one_url(tmp_path: Path) -> None:
    """``seed --clientinfo-url``: every seeded party advertises a hubclientinfo Receiver there (the bench's registration
    run with listening platforms); without it they advertise nothing."""
    import asyncio

    from reference_hub.store import PartnerStatus
    from reference_hub.store.sqlite import SqliteStore

    url = "http://127.0.0.1:9/ocpi/2.3.0/receiver/hubclientinfo"
    seeded = hub("seed", "--parties", "3", "--store", "sqlite:///listening.db", "--clientinfo-url", url, cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    assert hub("seed", "--parties", "2", "--store", "sqlite:///quiet.db", cwd=tmp_path).returncode == 0

    async def endpoints(name: str) -> list[list[tuple[str, str, str]]]:
        store = SqliteStore(str(tmp_path / name))
        await store.open()
        try:
            page = await store.list_partners(statuses=(PartnerStatus.ACTIVE,))
            return [[(e.identifier, e.role.value, e.url) for e in p.endpoints] for p in page.items]
        finally:
            await store.close()

    assert asyncio.run(endpoints("listening.db")) == [[("hubclientinfo", "RECEIVER", url)]] * 3
    assert asyncio.run(endpoints("quiet.db")) == [[], []]
