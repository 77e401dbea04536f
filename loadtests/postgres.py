"""A throwaway PostgreSQL cluster on a free loopback port, for the test suite and ``make bench``.

``initdb`` makes a cluster in a temporary directory, the server listens on 127.0.0.1 only (and on a Unix socket in
that directory), and :meth:`Cluster.stop` shuts it down and removes the directory. PostgreSQL refuses to run as
root; as root, every PostgreSQL program runs in a user namespace where root maps to an ordinary user
(``unshare -U --map-user=1000 --map-group=1000``), which needs no such user on the machine, and no ``runuser`` (whose
target user may not be able to write ``/dev/null`` in a container). The data is disposable, so nothing is flushed to
disk (``fsync``, ``full_page_writes`` off): figures measured on it are about the hub's queries, not the disk. Commits
stay synchronous, as in production (an asynchronous commit delays the hint bits that index-only scans rely on).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ("Cluster", "ClusterUnavailable", "find_bindir", "throwaway_cluster")

SUPERUSER = "postgres"


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server programs on this machine (``make postgres`` installs them)."""


def find_bindir() -> Path:
    """The directory holding ``initdb``, ``postgres`` and ``psql``: ``OCPI_PG_BINDIR``, else Debian's newest
    ``/usr/lib/postgresql/N/bin``, else the ``PATH``."""
    configured = os.environ.get("OCPI_PG_BINDIR")
    candidates = [Path(configured)] if configured else []
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = sorted((d for d in debian.iterdir() if d.name.isdigit()), key=lambda d: int(d.name), reverse=True)
        candidates += [d / "bin" for d in versions]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in ("initdb", "postgres", "psql", "pg_isready")):
            return bindir
    raise ClusterUnavailable("PostgreSQL's server programs were not found (install Debian's postgresql: make postgres)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """One PostgreSQL server in a temporary directory; use :func:`throwaway_cluster` or start/stop."""

    def __init__(self, *, max_connections: int = 300, settings: Sequence[str] = ()) -> None:
        self.bindir = find_bindir()
        self.port = _free_port()
        self.max_connections = max_connections
        self.settings = tuple(settings)
        self.root: Path | None = None
        self._server: subprocess.Popen[bytes] | None = None

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            return ["unshare", "-U", "--map-user=1000", "--map-group=1000", *command]
        return command

    @property
    def log(self) -> Path:
        assert self.root is not None
        return self.root / "server.log"

    def start(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ocpi-pg-"))
        data, sockets = self.root / "data", self.root / "sockets"
        sockets.mkdir()
        init = subprocess.run(
            self._command("initdb", "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale"),
            capture_output=True,
            text=True,
            check=False,
        )
        if init.returncode != 0:
            self._remove()
            raise ClusterUnavailable(f"initdb failed ({init.returncode}): {init.stderr.strip()[-2000:]}")
        options = [
            "-c", "listen_addresses=127.0.0.1",
            "-c", f"port={self.port}",
            "-c", f"unix_socket_directories={sockets}",
            "-c", f"max_connections={self.max_connections}",
            "-c", "fsync=off",
            "-c", "full_page_writes=off",
            "-c", "log_min_messages=warning",
        ]  # fmt: skip
        for setting in self.settings:
            options += ["-c", setting]
        with self.log.open("wb") as log:
            # unshare execs the server, so this process is the postmaster and signals reach it directly
            self._server = subprocess.Popen(
                self._command("postgres", "-D", str(data), *options),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._server is not None
            if self._server.poll() is not None:
                output = self.log.read_text(errors="replace")[-2000:]
                self._remove()
                raise ClusterUnavailable(f"the PostgreSQL server exited with {self._server.returncode}: {output}")
            ready = subprocess.run(
                [str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER],
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        self.stop()
        raise ClusterUnavailable(f"the PostgreSQL server did not get ready within {timeout} s")

    def url(self, database: str) -> str:
        """The store URL of ``database`` (``postgresql://`` over loopback TCP)."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, *, database: str = "postgres") -> str:
        """Run one statement with ``psql`` and return its unaligned output."""
        connection = ["-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-d", database]
        done = subprocess.run(
            [str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", *connection, "-c", statement],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """A new empty database (or a copy of ``template``); returns its store URL."""
        clause = f" TEMPLATE {template}" if template else ""
        self.sql(f'CREATE DATABASE "{name}"{clause}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Fast shutdown (SIGINT: open connections are ended), then remove the directory."""
        server, self._server = self._server, None
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if server is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(server.pid, signal.SIGKILL)
        self._remove()

    def _remove(self) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


@contextlib.contextmanager
def throwaway_cluster(**kwargs: object) -> Iterator[Cluster]:
    """A started :class:`Cluster`, stopped and removed on exit."""
    cluster = Cluster(**kwargs)  # type: ignore[arg-type]
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
