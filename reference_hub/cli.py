"""What every ``ocpi-hub`` command shares: exit codes, one-line errors, and the checks made before anything starts.

An operator who mistypes a flag, points at a store that is not there or starts a second hub on a busy port should
read one line saying what is wrong and what to do, and get an exit code a script can act on; the traceback is for
``--debug``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import os
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from reference_hub.settings import Settings, SettingsError

if TYPE_CHECKING:
    from reference_hub.api.context import HubContext

EXIT_OK = 0
"""The command did what it was asked."""
EXIT_FAILED = 1
"""The command ran but its operation failed (a party refused a registration, no such partner, ...)."""
EXIT_USAGE = 2
"""A usage or configuration mistake: unknown command or option, a bad number, a missing or unreadable file, a YAML
error, an invalid setting, an unsupported store URL, a store directory that does not exist, a tool not installed."""
EXIT_UNAVAILABLE = 3
"""Something the command needs is not available: the store cannot be reached or opened, the port is in use."""
EXIT_INTERRUPTED = 130
"""Stopped with Ctrl-C."""

EXIT_CODES = {
    EXIT_OK: "done",
    EXIT_FAILED: "the operation failed (e.g. a party refused the registration, no such partner)",
    EXIT_USAGE: "usage or configuration mistake (unknown command or option, bad number, missing or unreadable file, "
    "YAML error, invalid setting, unsupported store URL, missing store directory, missing package)",
    EXIT_UNAVAILABLE: "the store cannot be reached or opened, or the port is in use",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}

STORE_TIMEOUT = 5.0
"""Seconds a command waits for the store to open before saying it cannot be reached (MongoDB's own default is 30)."""

DEFAULT_STORE = Settings().store


class CliError(Exception):
    """A mistake or an unavailable resource, told to the operator in one line with its exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (argparse prints the whole usage first) and names the valid commands."""

    commands: tuple[str, ...] = ()
    """Set on the top-level parser: named in every error that happens before a command was recognised."""

    def error(self, message: str) -> NoReturn:
        if self.commands:
            if "required: COMMAND" in message:
                message = "name a command"
            elif "invalid choice" in message:
                given = message.split("invalid choice: ", 1)[1].split(" (choose", 1)[0]
                message = f"unknown command {given}"
            message += f"; commands: {', '.join(self.commands)}"
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog.split()[0]} --help)\n")


def whole_number(minimum: int = 1) -> Callable[[str], int]:
    """An argparse type for counts: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is too small (at least {minimum})")
        return value

    parse.__name__ = "number"
    return parse


def tcp_port(text: str) -> int:
    """An argparse type for a TCP port: 1 to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (1-65535)")
    return value


def redact(url: str) -> str:
    """A store or party URL as it may be shown: without a password."""
    from reference_hub.hub.client import redact_url

    return redact_url(url)


# --- files ----------------------------------------------------------------------------------------------------------


def private_output(path: str | os.PathLike[str]) -> IO[str]:
    """Open ``path`` for writing, mode 0600 from the moment it exists: token files are credentials.

    Opened before the work that fills it, so that a path that cannot be written is refused before anything is
    created in the store (tokens nobody can read again would be lost)."""
    target = Path(path)
    if not target.parent.is_dir():
        raise CliError(f"cannot write {target}: the directory {target.parent} does not exist")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror}") from None
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode otherwise
    return os.fdopen(fd, "w", encoding="utf-8")


def sqlite_file(url: str) -> Path | None:
    """The database file a ``sqlite://`` URL names (None for other stores and ``:memory:``)."""
    if not url.startswith("sqlite://"):
        return None
    rest = url.removeprefix("sqlite://")
    if rest in (":memory:", "/:memory:") or not rest.startswith("/") or rest == "/":
        return None
    return Path(rest[1:])


DEFAULT_DIRECTORY = sqlite_file(DEFAULT_STORE).parent  # type: ignore[union-attr]
"""``data``: the default store's folder, relative to where the hub runs."""


def check_store_directory(settings: Settings) -> None:
    """Refuse a SQLite file in a directory that does not exist: a command writes only what it was asked to write.

    The default store's folder is the exception (``data/`` beside where the hub runs is created for any store in
    it), so ``make run``, ``make run STORE=sqlite:///data/other.db`` and ``ocpi-hub serve`` need no set-up."""
    path = sqlite_file(settings.store)
    if path is None or path.parent == DEFAULT_DIRECTORY or path.parent.is_dir():
        return
    raise CliError(
        f"the store's directory {path.parent} does not exist; create it first or choose another --store "
        f"(given: {settings.store})"
    )


# --- the store ------------------------------------------------------------------------------------------------------


@asynccontextmanager
async def hub_context(settings: Settings, timeout: float = STORE_TIMEOUT) -> AsyncIterator[HubContext]:
    """The hub's services on an open store, or a CliError in one line when the store cannot be had."""
    from reference_hub.app import build_context

    check_store_directory(settings)
    context = build_context(settings)
    shown = redact(settings.store)
    try:
        ctx = await asyncio.wait_for(context.__aenter__(), timeout)
    except ValueError as exc:  # unsupported URL, missing secret_key: configuration
        raise CliError(str(exc).replace(settings.store, shown)) from exc  # a URL may hold a password
    except TimeoutError:
        raise CliError(
            f"the store {shown} did not answer within {timeout:.0f} s; is its server running and the URL right?",
            EXIT_UNAVAILABLE,
        ) from None
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CliError(f"cannot open the store {shown}: {reason}", EXIT_UNAVAILABLE) from exc
    try:
        yield ctx
    except BaseException:
        if not await context.__aexit__(*sys.exc_info()):
            raise
    else:
        await context.__aexit__(None, None, None)


async def check_store(settings: Settings) -> None:
    """Open and close the store once, so that ``serve`` says what is wrong before its workers try."""
    async with hub_context(settings):
        pass


# --- the port -------------------------------------------------------------------------------------------------------


def check_port(host: str, port: int) -> None:
    """Refuse a port another process listens on.

    granian binds with SO_REUSEPORT, so a second hub on a busy port would share it and answer half the requests from
    another store; a socket bound without that option fails on any listener."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CliError(f"cannot listen on {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # connections in TIME_WAIT do not count
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CliError(
                    f"port {port} on {host} is in use by {port_holder(port)}; stop it or choose another port "
                    f"(--port, or make run PORT=...)",
                    EXIT_UNAVAILABLE,
                ) from None
            if exc.errno == errno.EACCES:
                raise CliError(
                    f"no permission to listen on port {port}; use a port above 1023", EXIT_UNAVAILABLE
                ) from None
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}", EXIT_UNAVAILABLE) from None


def port_holder(port: int) -> str:
    """Who listens on ``port``, as far as the system tells: pid and command line, or a plain admission."""
    found = _proc_listeners(port) or _lsof_listeners(port)
    if not found:
        return "another program (the system does not say which to this user)"
    return "; ".join(f"pid {pid} ({command})" for pid, command in found[:3])


def _proc_listeners(port: int) -> list[tuple[int, str]]:
    """Linux: the listening sockets in /proc/net/tcp{,6}, then the processes holding them."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return []
    holders: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not any(str(fd.readlink()) in inodes for fd in (entry / "fd").iterdir()):
                continue
        except OSError:
            continue
        pid = int(entry.name)
        command = _command_line(pid)
        # A server's worker (a fork with the same command line, or a multiprocessing child): name the server that
        # started it, the process to stop.
        with contextlib.suppress(OSError, IndexError, ValueError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent > 1 and (_command_line(parent) == command or "multiprocessing" in command):
                pid, command = parent, _command_line(parent)
        holders.setdefault(pid, command)
    return sorted(holders.items())


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    words = [w.decode(errors="replace") for w in raw.split(b"\0") if w]
    text = shlex.join(words) or "?"
    return text if len(text) <= 400 else text[:397] + "..."


def _lsof_listeners(port: int) -> list[tuple[int, str]]:
    """macOS and Linux without /proc: ``lsof`` when it is installed."""
    lsof = shutil.which("lsof")
    if not lsof:
        return []
    try:
        out = subprocess.run(
            [lsof, "-nP", f"-iTCP:{port}", "-sTCP:LISTEN", "-Fpc"], capture_output=True, text=True, timeout=5
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found: list[tuple[int, str]] = []
    pid = 0
    for line in out.splitlines():
        if line.startswith("p") and line[1:].isdigit():
            pid = int(line[1:])
        elif line.startswith("c") and pid:
            found.append((pid, line[1:]))
    return found


# --- running a command ----------------------------------------------------------------------------------------------


def run_command(prog: str, command: Callable[[], int], *, debug: bool) -> int:
    """Run one command; any failure becomes one line on stderr and an exit code (a traceback only with --debug)."""
    try:
        return command()
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if debug:
            import traceback

            traceback.print_exc()
        code, message = describe(exc)
        hint = "" if debug or code != EXIT_FAILED or _expected(exc) else " (--debug shows the traceback)"
        print(f"{prog}: {message}{hint}", file=sys.stderr)
        return code


def _expected(exc: BaseException) -> bool:
    from reference_hub.ocpi.errors import OcpiError

    return isinstance(exc, OcpiError | LookupError)


def describe(exc: BaseException) -> tuple[int, str]:
    """Exit code and one-line message for an exception."""
    from reference_hub.ocpi.errors import OcpiError

    if isinstance(exc, CliError):
        return exc.code, str(exc)
    if isinstance(exc, SettingsError):
        return EXIT_USAGE, str(exc)
    if isinstance(exc, OcpiError):
        return EXIT_FAILED, f"{exc} (OCPI status {exc.status_code})"
    if isinstance(exc, LookupError):
        return EXIT_FAILED, str(exc).strip("'\"")
    text = str(exc).splitlines()[0] if str(exc) else ""
    return EXIT_FAILED, f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def quoted(*words: Any) -> str:
    """A command line a user can paste."""
    return shlex.join(str(w) for w in words)


__all__ = (
    "EXIT_CODES",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "CliError",
    "OneLineParser",
    "check_port",
    "check_store",
    "hub_context",
    "private_output",
    "run_command",
    "tcp_port",
    "whole_number",
)
