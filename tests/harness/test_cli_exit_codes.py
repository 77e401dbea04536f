"""``ocpi-conformance`` as a new user meets it: every mistake answered in one line with the documented exit code.

The exit-code table (``conformance.__main__.EXIT_CODES``) is the same for run, plan, fuzz and list; each code is
produced here for real: usage mistakes in process (nothing is sent), the network cases against loopback ports where
nothing listens, a name that cannot resolve (``.invalid`` is reserved for that) and a real hub that refuses a spent
token. run and fuzz are started as a user starts them, in their own process.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.__main__ import EXIT_CODES, main
from tests.harness.hubrun import PYTHON, _env, write_target
from tests.support.processes import free_port

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "conformance", *args],
        env=_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _target(tmp_path: Path, versions_url: str, name: str = "target.toml") -> Path:
    path = tmp_path / name
    path.write_text(
        f'versions_url = "{versions_url}"\ntoken_a = "a-token-nobody-issued"\ntimeout = 3\n[report]\ndir = "report"\n'
    )
    return path


def test_the_exit_code_table_is_in_help_and_readme(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for command in ((), ("run",), ("plan",), ("fuzz",), ("list",)):
        with pytest.raises(SystemExit) as done:
            main([*command, "--help"])
        assert done.value.code == 0
        out = capsys.readouterr().out
        for code, text in EXIT_CODES:
            assert f"{code:>3}  {text}" in out, (command, code)
    for code, _ in EXIT_CODES:
        assert f"| {code} |" in readme, code
    assert [c for c, _ in EXIT_CODES] == [0, 1, 2, 3, 4, 130]


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        ([], "give a command: init, plan, run, fuzz, list, completion"),
        (["bogus"], "unknown command 'bogus'; the commands are: init, plan, run, fuzz, list, completion"),
        (["rnu"], "did you mean run?"),
        # no argument: it names what is missing (the target file), never a required ID
        (["run"], "run needs a target file: ocpi-conformance run target.toml"),
        (["plan"], "plan needs a target file"),
        (["fuzz"], "fuzz needs a target file"),
        (["list", "--jsn"], "list has no argument '--jsn'; did you mean --json?"),
        (["run", "t.toml", "--stirct"], "run has no argument '--stirct'; did you mean --strict?"),
        (["list", "--tags", "shal"], "no scenario carries the tag 'shal'; did you mean shall?"),
        (["plan", "t.toml", "--offline", "locations.recever-put-get"], "did you mean locations.receiver-put-get?"),
        (["fuzz", "t.toml", "--max-examples", "x"], "--max-examples: invalid int value: 'x'"),
        (["completion", "fish"], "invalid choice: 'fish'"),
        (["fuzz", "t.toml", "--max-examples", "0"], "--max-examples must be at least 1, got 0"),
        (["run", "bad.toml"], "bad.toml: not valid TOML: "),
        (["plan", "adir"], "adir: is a directory, not a target file"),
        (["run", "t.toml", "--tags", "role.hub,shal"], "did you mean shall?"),
    ],
)
def test_usage_mistakes_are_one_line_and_exit_2(
    argv: list[str], line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _target(tmp_path, "http://127.0.0.1:9/ocpi/versions", "t.toml")
    (tmp_path / "bad.toml").write_text('versions_url = "http://127.0.0.1:9/v"\ntoken_a = \n')
    (tmp_path / "adir").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("ocpi-conformance: ") and captured.err.count("\n") == 1, captured.err
    assert line in captured.err, captured.err
    assert "Traceback" not in captured.err and "required: target, ID" not in captured.err


def test_an_internal_error_is_one_line_and_exit_4_its_traceback_only_with_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A defect of the harness itself (here: the catalogue cannot be read) is not a verdict on anything."""
    import conformance.catalog

    def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("features folder unreadable")

    monkeypatch.setattr(conformance.catalog, "read_catalog", broken)
    assert main(["list"]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: features folder unreadable" in err
    assert "--debug" in err and "Traceback" not in err
    assert main(["list", "--debug"]) == 4
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_an_interrupt_is_exit_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import conformance.catalog

    def interrupted(*args: object, **kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(conformance.catalog, "read_catalog", interrupted)
    assert main(["list"]) == 130
    assert capsys.readouterr().err == "ocpi-conformance: interrupted\n"


def test_list_and_plan_speak_json_and_tables_have_headers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--json", "--tags", "role.hub"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {"id", "title", "level", "roles", "area", "spec", "feature_file", "line"} <= set(listed[0])
    assert "routing.broadcast-delivered" in {e["id"] for e in listed}
    assert main(["list"]) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == ["SCENARIO", "LEVEL", "ROLES", "TITLE"]
    target = _target(tmp_path, "http://127.0.0.1:9/ocpi/versions")
    assert main(["plan", str(target), "--offline", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["contacted"] is False and plan["exit_code"] == 0 and plan["would_run"] > 0
    assert {"id", "level", "runs", "why"} == set(plan["scenarios"][0])
    assert main(["plan", str(target), "--offline"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^PLAN\s+SCENARIO\s+LEVEL\s+WHY$", out, re.M), out


def test_shell_completion_lists_every_command_and_option(capsys: pytest.CaptureFixture[str]) -> None:
    for shell in ("bash", "zsh", "tcsh"):
        assert main(["completion", shell]) == 0
        script = capsys.readouterr().out
        assert "ocpi-conformance" in script
        words = ["init", "plan", "run", "fuzz", "list", "completion"]
        words += ["--read-only", "--allow-writes", "--json"] if shell != "tcsh" else []  # shtab's tcsh: commands only
        for word in words:
            assert word in script, (shell, word)
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    checked = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True, check=False)
    assert checked.returncode == 0, checked.stderr


@pytest.fixture
def plain_http_port() -> Iterator[int]:
    """A loopback HTTP server that speaks no TLS: an https:// URL to it fails in the TLS handshake."""
    import http.server
    import threading

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:{port}/ocpi/versions", "connection refused"),
        ("http://no-such-host.invalid/ocpi/versions", "does not resolve (DNS)"),
        ("https://127.0.0.1:{tls}/ocpi/versions", "the TLS handshake with 127.0.0.1"),
    ],
    ids=["unreachable", "unresolvable", "tls-failure"],
)
def test_an_unreachable_target_judges_nothing_exit_3(
    tmp_path: Path, url: str, words: str, plain_http_port: int
) -> None:
    """A network failure is never a finding: run, plan and fuzz exit 3 and say why in one line."""
    target = _target(tmp_path, url.format(port=free_port(), tls=plain_http_port))
    plan = _cli("plan", str(target), cwd=tmp_path)
    assert plan.returncode == 3, plan.stdout + plan.stderr
    assert words in plan.stdout and "a run would judge nothing (exit code 3)" in plan.stdout
    run = _cli("run", str(target), cwd=tmp_path)
    assert run.returncode == 3, run.stdout[-2000:]
    assert run.stdout == "" and run.stderr.count("\n") == 1, run.stdout + run.stderr
    assert run.stderr.startswith("ocpi-conformance: nothing judged (exit code 3): ") and words in run.stderr
    fuzz = _cli("fuzz", str(target), cwd=tmp_path)
    assert fuzz.returncode == 3 and words in fuzz.stdout, fuzz.stdout


def test_a_spent_token_a_judges_nothing_exit_3(hub_factory, tmp_path: Path) -> None:
    """Token A already used by a registration: the hub refuses it, and that is the user's to fix, not a finding."""
    hub = hub_factory((), name="spent")
    token_a = hub.invite()
    first = write_target(tmp_path / "spent" / "first.toml", hub, token_a=token_a)
    assert _cli("run", str(first), "credentials.registration", cwd=tmp_path).returncode == 0
    plan = _cli("plan", str(first), cwd=tmp_path)
    assert plan.returncode == 3, plan.stdout
    assert "refused the token A target.toml gives (HTTP 401" in plan.stdout
    run = _cli("run", str(first), cwd=tmp_path)
    assert run.returncode == 3, run.stdout[-3000:]
    assert run.stderr.count("\n") == 1 and "ask the target's operator for a new one" in run.stderr, run.stderr
    # a wrong token C likewise
    wrong_c = write_target(tmp_path / "spent" / "wrong-c.toml", hub, token="not-a-token-the-hub-issued")
    run = _cli("run", str(wrong_c), cwd=tmp_path)
    assert run.returncode == 3 and "refused the token C" in run.stderr, run.stderr


def test_plan_says_the_token_is_accepted_and_run_output_has_no_colour_codes(hub_factory, tmp_path: Path) -> None:
    hub = hub_factory((), name="colour")
    target = write_target(tmp_path / "colour" / "target.toml", hub, token_a=hub.invite())
    plan = _cli("plan", str(target), cwd=tmp_path)
    assert plan.returncode == 0, plan.stdout
    assert "target: answers, token A accepted, offers 2.3.0" in plan.stdout
    run = _cli("run", str(target), "versions.", cwd=tmp_path)
    assert run.returncode == 0, run.stdout
    for out in (plan.stdout, run.stdout, run.stderr):
        assert not ANSI.search(out), "colour codes written into a pipe"


def test_version_is_shown(capsys: pytest.CaptureFixture[str]) -> None:
    from conformance import __version__

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"ocpi-conformance {__version__} (OCPI 2.3.0, 2.2.1)\n"


def test_what_the_harness_writes_is_ignored_by_git() -> None:
    """Reports, the HAR file of every fuzz exchange and the run journal (it holds live tokens) never get committed."""
    import shutil

    repo = Path(__file__).resolve().parents[2]
    if shutil.which("git") is None or not (repo / ".git").exists():
        pytest.skip("git or the repository's .git is not available here, so .gitignore cannot be asked")
    written = [
        "ocpi-conformance-report/report.html",
        "ocpi-conformance-report/results.json",
        "somewhere/fuzz-exchanges.har",
        ".target.toml.ocpi-state.json",
        "certify/.acme.toml.ocpi-state.json",
    ]
    checked = subprocess.run(["git", "check-ignore", "--no-index", *written], cwd=repo, capture_output=True, text=True)
    assert sorted(checked.stdout.split()) == sorted(written), checked.stdout + checked.stderr


@pytest.mark.parametrize(("missing", "argv"), [("pytest", ["run"]), ("jsonschema", ["plan", "--offline"])])
def test_without_the_harness_extra_the_command_says_what_to_install(
    tmp_path: Path, missing: str, argv: list[str]
) -> None:
    """A hub-only install (`pip install .`) has the ocpi-conformance script but not its test tools: one line, exit 2."""
    target = _target(tmp_path, "http://127.0.0.1:9/ocpi/versions")
    code = (
        f"import sys; sys.modules[{missing!r}] = None\n"
        "from conformance.__main__ import main\n"
        f"sys.exit(main([{argv[0]!r}, {str(target)!r}, *{argv[1:]!r}]))\n"
    )
    proc = subprocess.run([PYTHON, "-c", code], env=_env(), capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (
        f"ocpi-conformance: {missing} is not installed: the harness needs its extra "
        "(pip install 'ocpi-hub[harness]', or make install for everything)\n"
    )
