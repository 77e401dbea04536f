"""The ``ocpi-hub`` command line: run the hub and administer it."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import IO, Any

from reference_hub import OCPI_VERSION, __version__
from reference_hub.cli import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_UNAVAILABLE,
    CliError,
    OneLineParser,
    check_port,
    check_store,
    hub_context,
    private_output,
    quoted,
    redact,
    run_command,
    tcp_port,
    whole_number,
)
from reference_hub.ocpi.versions import SERVED
from reference_hub.settings import FAULTS, Settings, load_settings

DESCRIPTION = f"""\
OCPI {" and ".join(SERVED)} reference roaming hub (version {__version__}).

Settings come from defaults, then a YAML file (--config or OCPI_HUB_CONFIG), then OCPI_HUB_* environment
variables, then the flags below. The store is chosen by --store or OCPI_HUB_STORE: sqlite:///relative.db,
sqlite:////absolute.db, sqlite://:memory:, postgresql://user:password@host:5432/dbname (several hub instances may
share one database) or mongodb://host:27017/dbname (default sqlite:///data/hub.db). PostgreSQL and MongoDB need
secret_key_file or secret_key (OCPI_HUB_SECRET_KEY, a Fernet key).
"""

EPILOG = (
    "exit codes:\n"
    + "\n".join(
        textwrap.fill(meaning, 100, initial_indent=f"  {code:<4} ", subsequent_indent=" " * 7)
        for code, meaning in EXIT_CODES.items()
    )
    + """

Every mistake is told in one line on standard error; --debug adds the traceback.
Shell completion: ocpi-hub completion bash|zsh|tcsh (see ocpi-hub completion --help)."""
)

log = logging.getLogger("reference_hub")


GRANIAN_BUFFER = 65536
"""Bytes granian buffers per HTTP/1 connection (its default is 408 KiB). Every header block the hub accepts fits
(``max_header_bytes`` defaults to 16 KiB), and thousands of idle connections cost a quarter of the memory."""
RESPAWN_INTERVAL = 1.0
"""Seconds granian waits before replacing a worker that died."""


def _debug_flag(parser: argparse.ArgumentParser, default: Any = argparse.SUPPRESS) -> None:
    parser.add_argument("--debug", action="store_true", default=default, help="show the traceback of a failure")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="YAML settings file (default: $OCPI_HUB_CONFIG)")
    parser.add_argument("--store", metavar="URL", help="store URL (default: $OCPI_HUB_STORE or sqlite:///data/hub.db)")
    parser.add_argument("--public-url", metavar="URL", help="base URL the hub advertises (default http://HOST:PORT)")
    parser.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=tcp_port, help="TCP port, 1-65535 (default 8080)")
    _debug_flag(parser)


Subparsers = Any
"""argparse's private ``_SubParsersAction``."""


def _serve_parser(sub: Subparsers) -> None:
    serve = sub.add_parser(
        "serve",
        help="run the hub (granian, production-style)",
        description="Run the hub. With an admin key set (OCPI_HUB_ADMIN_KEY, or admin_key in the YAML file; there is "
        "no flag, so the key stays out of process lists and shell history) the operator dashboard is served at "
        "http://HOST:PORT/admin/: sign in with the key to see parties, invitations, deliveries and traffic. "
        "Before starting, the store is opened once (a store that does not answer within 5 s is reported) and the "
        "port is checked: a port another process listens on is refused, naming that process where the system "
        "tells. Logs go to standard output, plain or JSON (log_format).",
    )
    _common(serve)
    serve.add_argument("--workers", type=whole_number(1), help="server processes (default 1)")
    serve.add_argument(
        "--server",
        choices=("granian", "uvicorn"),
        default="granian",
        help="ASGI server (default granian; uvicorn is the fallback and needs the uvicorn package)",
    )
    serve.add_argument(
        "--fault",
        action="append",
        choices=sorted(FAULTS),
        metavar="NAME",
        help="switch on a deliberate protocol fault (testing conformance tools only; repeatable): "
        + ", ".join(sorted(FAULTS)),
    )
    serve.add_argument(
        "--share-port",
        action="store_true",
        help="listen on a port another instance of this hub already listens on (same store; the kernel spreads "
        "connections over the instances, as a load balancer would over hosts) instead of refusing it",
    )


def _invite_parser(sub: Subparsers) -> None:
    invite = sub.add_parser(
        "invite",
        help="create registration tokens A (printed one per line, or written to --export)",
        description="Create a registration token A for a new party. Give it to the party with "
        "the versions URL; it works once, for versions, version details and credentials only. The tokens go to "
        "standard output, one per line (a note with the versions URL goes to standard error), or with --export "
        "to a file created with mode 0600.",
    )
    _common(invite)
    invite.add_argument("--count", type=whole_number(1), default=1, metavar="N", help="create N tokens (default 1)")
    invite.add_argument("--export", metavar="FILE", help="write the tokens to FILE (mode 0600) instead of stdout")


def _register_parser(sub: Subparsers) -> None:
    register = sub.add_parser(
        "register",
        help="register the hub with a party (hub-initiated handshake)",
        description="Hub-initiated credentials handshake: the hub fetches the party's versions "
        "with TOKEN_A, POSTs its own credentials and stores the party's answer. The hub must be "
        "running (ocpi-hub serve) on the same store and reachable at its public URL, because "
        "the party calls it back. A token that starts with '-' goes after '--': "
        "ocpi-hub register [options] URL -- -TOKEN.",
    )
    _common(register)
    register.add_argument("versions_url", metavar="VERSIONS_URL", help="the party's versions endpoint")
    register.add_argument("token_a", metavar="TOKEN_A", help="the registration token the party gave us")


def _partners_parser(sub: Subparsers) -> None:
    partners = sub.add_parser(
        "partners",
        help="list partner records (half-registered ones marked) or remove one",
        description="List every partner record in the store, whatever its status, as a table (or JSON with --json); "
        "HALF marks a hub-initiated registration that never finished (still PENDING), NO-CALL-YET an active partner "
        "that has not yet called the hub with its token (normal for a party that only receives). 'remove PARTNER_ID' "
        "deletes one record: its token stops working and its party ids are free for a new registration. Works with "
        "the hub running.",
    )
    _common(partners)
    partners.add_argument("action", nargs="?", choices=("list", "remove"), default="list", help="default: list")
    partners.add_argument("partner_id", nargs="?", metavar="PARTNER_ID", help="the partner to remove, e.g. DE-ABC")
    partners.add_argument("--json", action="store_true", help="list as a JSON array (the admin API's fields)")


def _operators_parser(sub: Subparsers) -> None:
    operators = sub.add_parser(
        "operators",
        help="named dashboard accounts: add NAME --role viewer|operator, list, remove NAME",
        description="Named accounts for the operator dashboard, each with its own password (kept as an Argon2id "
        "hash) and a role: a viewer reads every page and changes nothing; an operator also acts (invitations, "
        "suspensions, retries, drops). Every action is in the dashboard's audit log under the operator's name. 'add' "
        "asks for the password twice on a terminal, or reads one line from standard input (--password-stdin). The "
        "admin key stays valid as the way in for the first account. Works with the hub running.",
    )
    _common(operators)
    operators.add_argument("action", choices=("add", "list", "remove"), help="what to do")
    operators.add_argument("name", nargs="?", metavar="NAME", help="the operator's name (letters, digits, - and _)")
    operators.add_argument("--role", choices=("viewer", "operator"), default="viewer", help="default: viewer")
    operators.add_argument("--password-stdin", action="store_true", help="read the password from standard input")


def _seed_parser(sub: Subparsers) -> None:
    seed = sub.add_parser(
        "seed",
        help="create N registered parties directly in the store (load tests)",
        description="Create N registered test parties (role CPO, ids AA/000 onwards) directly in "
        "the store, with last_updated one second apart ending now, and write their tokens to --export (mode 0600). "
        "Seed before starting the hub: a running hub picks up new partners by their recent last_updated, and "
        "seeded ones carry past stamps.",
    )
    _common(seed)
    seed.add_argument("--parties", type=whole_number(1), required=True, metavar="N", help="how many parties")
    seed.add_argument("--export", metavar="FILE", help="write one credentials token per line to FILE (mode 0600)")
    seed.add_argument("--prefix", default="", metavar="CC", help="two-letter country code to use (default: varies)")
    seed.add_argument(
        "--clientinfo-url",
        metavar="URL",
        help="each seeded party also advertises a hubclientinfo Receiver at this http(s) URL, so the hub announces "
        "every registration to each of them (load tests); default: the seeded parties advertise no endpoints",
    )


def _seed_locations_parser(sub: Subparsers) -> None:
    seed_locations = sub.add_parser(
        "seed-locations",
        help="store N Locations of a registered CPO party directly (pagination tests and load tests)",
        description="Write N Locations (ids LOC000000 onwards, each with two EVSEs) owned by the registered party "
        "--owner CC/PID straight into the store in one bulk write, with last_updated one second apart ending now. "
        "This is the bulk path; a running hub serves them at once.",
    )
    _common(seed_locations)
    seed_locations.add_argument(
        "--locations", type=whole_number(1), required=True, metavar="N", help="how many Locations"
    )
    seed_locations.add_argument("--owner", required=True, metavar="CC/PID", help="the CPO party that owns them")


def _seed_tokens_parser(sub: Subparsers) -> None:
    seed_tokens = sub.add_parser(
        "seed-tokens",
        help="store N Tokens of a registered eMSP party directly (real-time authorization load tests)",
        description="Write N Tokens (uids T0000000 onwards, or PREFIX0000000 with --uid-prefix; type RFID, "
        "whitelist NEVER, one in ten not valid) owned by the registered party --owner CC/PID straight into the store "
        "in one bulk write, and with --export a CSV (uid,type,allowed; mode 0600) of what that eMSP answers for each: "
        "the table the load-test eMSP (python -m loadtests.peer --authorizations FILE) and the authorize scenario "
        "both read.",
    )
    _common(seed_tokens)
    seed_tokens.add_argument("--tokens", type=whole_number(1), required=True, metavar="N", help="how many Tokens")
    seed_tokens.add_argument("--owner", required=True, metavar="CC/PID", help="the eMSP party that owns them")
    seed_tokens.add_argument("--export", metavar="FILE", help="write uid,type,allowed per token to this CSV")
    seed_tokens.add_argument(
        "--uid-prefix",
        type=uid_prefix,
        default="T",
        metavar="PREFIX",
        help="letters and digits before each uid's 7-digit number (default T); a second eMSP's tokens need their own",
    )


def _rotate_key_parser(sub: Subparsers) -> None:
    rotate_key = sub.add_parser(
        "rotate-key",
        help="seal every stored party token under a new key (works with the hub running)",
        description="Rotate the key that seals the tokens the hub presents to parties. With a key file "
        "(secret_key_file, or the default <db>.key beside a SQLite database): a new key is put in front of the file, "
        "every stored token is sealed again under it, then the old key is dropped from the file; running hub "
        "processes follow the file. With the secret_key setting (OCPI_HUB_SECRET_KEY): put the new key first "
        "(NEW,OLD), restart the hub, run this to seal every token under NEW, then remove OLD and restart again.",
    )
    _common(rotate_key)


def _copy_store_parser(sub: Subparsers) -> None:
    copy = sub.add_parser(
        "copy-store",
        help="copy everything the hub keeps from one store to another (e.g. SQLite to PostgreSQL)",
        description="Copy every partner (tokens as hashes, sealed outgoing tokens), unused invitation, object (in "
        "its creation order), delivery still owed or failed and pending callback from the store --from names into "
        "the empty store --to names (its schema is created first), and print how many of each. Stop the hub on the "
        "source first. The tokens the hub presents to parties stay sealed with the source's key: run the hub on the "
        "new store with the same secret_key or secret_key_file (for a SQLite source without either, its <db>.key "
        "file). Nothing is changed in the source; a target that holds any data is refused.",
    )
    copy.add_argument("--config", metavar="FILE", help="YAML settings file (default: $OCPI_HUB_CONFIG)")
    copy.add_argument(
        "--from", dest="source", required=True, metavar="URL", help="the store to copy, e.g. sqlite:///data/hub.db"
    )
    copy.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="the new store, e.g. postgresql://hub@db/ocpi"
    )
    _debug_flag(copy)


def _completion_parser(sub: Subparsers) -> None:
    completion = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or tcsh)",
        description="Print the completion script for ocpi-hub's commands and options. Install it once, e.g. "
        "bash: ocpi-hub completion bash > ~/.local/share/bash-completion/completions/ocpi-hub; "
        'zsh: ocpi-hub completion zsh > "${fpath[1]}/_ocpi-hub" (then start a new shell).',
    )
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh"), help="the shell")
    _debug_flag(completion)


PARSERS = (
    _serve_parser,
    _invite_parser,
    _register_parser,
    _partners_parser,
    _operators_parser,
    _seed_parser,
    _seed_locations_parser,
    _seed_tokens_parser,
    _rotate_key_parser,
    _copy_store_parser,
    _completion_parser,
)
"""One function per subcommand; the order is the order ``--help`` lists them."""


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="ocpi-hub",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ocpi-hub {__version__} (OCPI {', '.join(SERVED)})")
    _debug_flag(parser, default=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=OneLineParser)
    for add in PARSERS:
        add(sub)
    parser.commands = tuple(sub.choices)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        args.config,
        store=getattr(args, "store", None),
        public_url=getattr(args, "public_url", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        workers=getattr(args, "workers", None),
        faults=tuple(args.fault) if getattr(args, "fault", None) else None,
    )


def _export_env(args: argparse.Namespace, settings: Settings) -> None:
    """Pass the effective settings to server worker processes through the environment."""
    if args.config:
        os.environ["OCPI_HUB_CONFIG"] = str(Path(args.config).resolve())
    os.environ["OCPI_HUB_STORE"] = settings.store
    os.environ["OCPI_HUB_HOST"] = settings.host
    os.environ["OCPI_HUB_PORT"] = str(settings.port)
    if settings.public_url:
        os.environ["OCPI_HUB_PUBLIC_URL"] = settings.public_url
    os.environ["OCPI_HUB_FAULTS"] = ",".join(settings.faults)
    # Workers are started by the server; each is told how many there are (the dashboard says its figures are per
    # process when there are several).
    os.environ["OCPI_HUB_WORKERS"] = str(settings.workers)


def _invite_hint(args: argparse.Namespace, settings: Settings) -> str:
    """The command that creates a token A in *this* hub's store, with the values this hub runs with."""
    program = sys.argv[0] if Path(sys.argv[0]).name == "ocpi-hub" else "ocpi-hub"
    words: list[str] = [program, "invite", "--store", redact(settings.store)]
    defaults = Settings()
    if args.config:
        words += ["--config", args.config]
    if settings.host != defaults.host:
        words += ["--host", settings.host]
    words += ["--port", str(settings.port)]
    if settings.public_url:
        words += ["--public-url", settings.public_url]
    hint = quoted(*words)
    if os.environ.get("MAKELEVEL"):  # started by `make run`: the make form, with the same variables
        made = ["make", "invite"]
        if settings.host != defaults.host:
            made.append(f"HOST={settings.host}")
        if settings.port != defaults.port:
            made.append(f"PORT={settings.port}")
        if settings.store != defaults.store:
            made.append(f"STORE={redact(settings.store)}")
        hint += f"  (or: {quoted(*made)})"
    return hint


def serve(args: argparse.Namespace) -> int:
    from reference_hub.logs import configure, log_config

    settings = _settings(args)
    configure(settings.log_format, settings.log_level)
    if args.server == "uvicorn" and find_spec("uvicorn") is None:
        raise CliError("--server uvicorn needs the uvicorn package: pip install uvicorn (or the [dev] extra)")
    if not args.share_port:
        check_port(settings.host, settings.port)
    asyncio.run(check_store(settings))
    _export_env(args, settings)
    log.info(
        "OCPI %s hub on http://%s:%s (store %s)",
        " and ".join(SERVED),
        settings.host,
        settings.port,
        redact(settings.store),
    )
    log.info("versions URL: %s", settings.versions_url)
    log.info("registration token for a new party: %s", _invite_hint(args, settings))
    if settings.admin_key:
        log.info("operator dashboard: %s/admin/ (sign in with the admin key)", settings.base_url)
    if settings.faults:
        log.warning("FAULT SWITCHES ON (not a conforming hub): %s", ", ".join(settings.faults))
    logging_setup = log_config(settings.log_format, settings.log_level)
    if args.server == "uvicorn":
        import uvicorn

        uvicorn.run(
            "reference_hub.asgi:app_factory",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level,
            log_config=logging_setup,
        )
        return 0
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.http import HTTP1Settings

    Granian(
        "reference_hub.asgi:app_factory",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        loop=Loops.uvloop,
        log_level=settings.log_level,  # type: ignore[arg-type]
        log_dictconfig=logging_setup,
        # HTTP/1.1 only: OCPI peers speak it, and it keeps one set of limits to reason about.
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(
            header_read_timeout=settings.header_timeout * 1000,
            max_buffer_size=GRANIAN_BUFFER,
        ),
        backlog=max(2048, settings.max_concurrent_requests // 2),
        backpressure=settings.max_concurrent_requests,
        websockets=False,
        respawn_failed_workers=True,
        respawn_interval=RESPAWN_INTERVAL,
    ).serve()
    return 0


async def _invite(settings: Settings, count: int) -> list[str]:
    async with hub_context(settings) as ctx:
        return [await ctx.operators.invite(by="cli") for _ in range(count)]


def invite(args: argparse.Namespace) -> int:
    settings = _settings(args)
    out = private_output(args.export) if args.export else None  # refused before any token is created
    tokens = asyncio.run(_invite(settings, args.count))
    if out is not None:
        with out:
            out.write("".join(t + "\n" for t in tokens))
        print(
            f"{len(tokens)} registration token(s) A in {args.export}. Versions URL: {settings.versions_url}",
            file=sys.stderr,
        )
        return 0
    print(f"Registration token A (single use, one per party). Versions URL: {settings.versions_url}", file=sys.stderr)
    print("\n".join(tokens))
    return 0


async def _register(settings: Settings, versions_url: str, token_a: str) -> str:
    async with hub_context(settings) as ctx:
        partner = await ctx.registrar.register_with(versions_url, token_a)
        return partner.partner_id


def register(args: argparse.Namespace) -> int:
    partner_id = asyncio.run(_register(_settings(args), args.versions_url, args.token_a))
    print(f"registered with {partner_id}")
    return 0


PARTNER_COLUMNS = ("PARTNER", "STATUS", "HALF", "INITIATED BY", "PARTIES", "OCPI", "VERSIONS URL", "CREATED")


def table(header: Sequence[str], rows: Sequence[Sequence[str]], out: IO[str]) -> None:
    """Columns padded to their widest cell, under a header line."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        out.write("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")


async def _partners(settings: Settings, action: str, partner_id: str | None, as_json: bool) -> int:
    from reference_hub.api.system import partner_view
    from reference_hub.store import PartnerStatus

    async with hub_context(settings) as ctx:
        if action == "remove":
            if not partner_id:
                raise CliError("name the partner to remove: ocpi-hub partners remove PARTNER_ID")
            if not await ctx.operators.remove(partner_id, by="cli"):
                raise LookupError(f"no partner {partner_id!r} (ocpi-hub partners list shows them)")
            print(f"removed {partner_id}")
            return 0
        page = await ctx.store.list_partners(statuses=tuple(PartnerStatus))
    if as_json:
        print(json.dumps([partner_view(p) for p in page.items], indent=2))
        return 0
    rows = [
        (
            p.partner_id,
            p.status.value,
            "HALF" if p.half_registered else "NO-CALL-YET" if p.awaiting_first_call else "-",
            p.initiated_by,
            ",".join(f"{r.country_code}/{r.party_id}" for r in p.roles) or "-",
            p.version or "-",
            redact(p.versions_url),
            p.created.to_ocpi(),
        )
        for p in page.items
    ]
    table(PARTNER_COLUMNS, rows, sys.stdout)
    print(f"{page.total} partner record(s)", file=sys.stderr)
    return 0


def partners(args: argparse.Namespace) -> int:
    if args.action == "list" and args.partner_id:
        raise CliError(
            f"'partners list' takes no PARTNER_ID (did you mean: ocpi-hub partners remove {args.partner_id})"
        )
    return asyncio.run(_partners(_settings(args), args.action, args.partner_id, args.json))


MIN_PASSWORD = 12
"""Shortest operator password accepted."""


def _password(from_stdin: bool) -> str:
    import getpass

    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise CliError("the two passwords differ")
    if len(password) < MIN_PASSWORD:
        raise CliError(f"a password needs at least {MIN_PASSWORD} characters")
    return password


async def _operators(settings: Settings, args: argparse.Namespace) -> int:
    from reference_hub.hub.operators import OPERATOR_NAME, hash_password
    from reference_hub.ocpi.datetime import now
    from reference_hub.store import Conflict
    from reference_hub.store.desk import Operator, OperatorRole

    name = args.name or ""
    if args.action != "list" and not OPERATOR_NAME.match(name):
        raise CliError(
            f"give the operator's NAME: 1 to 32 letters, digits, - or _ (ocpi-hub operators {args.action} NAME)"
        )
    password = _password(args.password_stdin) if args.action == "add" else ""
    async with hub_context(settings) as ctx:
        if args.action == "add":
            account = Operator(
                name=name, role=OperatorRole(args.role), password_hash=hash_password(password), created=now()
            )
            try:
                await ctx.store.add_operator(account)
            except Conflict as exc:
                raise CliError(f"there is an operator {name!r} already (remove it first)") from exc
            await ctx.operators.audit("cli", "add operator", name, args.role)
            print(f"added {name} ({args.role})")
        elif args.action == "remove":
            if not await ctx.store.remove_operator(name):
                raise LookupError(f"no operator {name!r} (ocpi-hub operators list shows them)")
            await ctx.operators.audit("cli", "remove operator", name)
            print(f"removed {name}")
        else:
            found = await ctx.store.list_operators()
            table(("NAME", "ROLE", "CREATED"), [(o.name, o.role.value, o.created.to_ocpi()) for o in found], sys.stdout)
            print(f"{len(found)} operator(s)", file=sys.stderr)
    return 0


def operators(args: argparse.Namespace) -> int:
    if args.action == "list" and args.name:
        raise CliError("'operators list' takes no NAME")
    return asyncio.run(_operators(_settings(args), args))


async def _rotate_key(settings: Settings) -> int:
    """See the ``rotate-key`` help. Every step leaves every stored token readable by the keys then in force."""
    import msgspec

    from reference_hub.hub.services import key_file
    from reference_hub.hub.tokens import new_key, read_keys, write_keys
    from reference_hub.store import Conflict, PartnerStatus, open_store

    probe = open_store(settings.store)
    path = key_file(settings, probe)
    old_keys: list[bytes] = []
    if path is not None:
        if not path.exists():
            raise FileNotFoundError(f"no key file at {path}: nothing is sealed yet, so there is nothing to rotate")
        old_keys = read_keys(path)
        write_keys(path, [new_key(), *old_keys])
    elif settings.secret_key and len([k for k in settings.secret_key.split(",") if k.strip()]) < 2:
        raise ValueError(
            "secret_key holds one key: put a new one in front (OCPI_HUB_SECRET_KEY=NEW,OLD; a new key: "
            f"{new_key().decode()}), restart the hub, then run rotate-key again"
        )
    resealed = 0
    async with hub_context(settings) as ctx:
        vault = ctx.registrar.vault
        for _ in range(5):  # until a pass finds nothing left under an old key (a partner changing meanwhile)
            conflicts = changed = 0
            page = await ctx.store.list_partners(statuses=tuple(PartnerStatus))
            for partner in page.items:
                if partner.outgoing_token is None:
                    continue
                sealed = vault.reseal(partner.outgoing_token)
                if sealed == partner.outgoing_token:
                    continue
                try:
                    await ctx.store.replace_partner(
                        msgspec.structs.replace(partner, outgoing_token=sealed), expected_token_hash=partner.token_hash
                    )
                    resealed += 1
                    changed += 1
                except Conflict:
                    conflicts += 1
            if not conflicts and not changed:
                break
        else:
            raise RuntimeError("partners kept changing during the rotation; run rotate-key again")
    if path is not None:
        current = read_keys(path)
        write_keys(path, current[:1])
        print(f"sealed {resealed} party token(s) under a new key; {path} now holds only the new key")
    else:
        print(f"sealed {resealed} party token(s) under the first key of secret_key; remove the others and restart")
    return 0


def rotate_key(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_rotate_key(_settings(args)))
    except FileNotFoundError as exc:  # no key file: nothing was ever sealed
        raise CliError(str(exc), EXIT_FAILED) from exc
    except RuntimeError as exc:
        raise CliError(str(exc), EXIT_FAILED) from exc
    except ValueError as exc:  # one key in secret_key, or a key file without one: configuration
        raise CliError(str(exc)) from exc


async def _seed(
    settings: Settings, count: int, out: IO[str] | None, prefix: str, clientinfo_url: str | None = None
) -> int:
    from reference_hub.hub.tokens import hash_token, new_token
    from reference_hub.ocpi.datetime import DateTime, now
    from reference_hub.ocpi.models import BusinessDetails, CredentialsRole, Endpoint, InterfaceRole, Role
    from reference_hub.store import DuplicateParty, Partner, PartnerStatus

    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    start = now() - timedelta(seconds=count)
    endpoints = (
        [Endpoint(identifier="hubclientinfo", role=InterfaceRole.RECEIVER, url=clientinfo_url)]
        if clientinfo_url
        else []
    )
    async with hub_context(settings) as ctx:
        created = 0
        index = 0
        while created < count:
            n = index
            index += 1
            pid = "".join(alphabet[(n // 36**k) % 36] for k in (2, 1, 0))
            block = n // 36**3
            cc = prefix.upper() or (letters[(block // 26) % 26] + letters[block % 26])
            token = new_token()
            stamp = DateTime.from_datetime(start + timedelta(seconds=created))
            partner = Partner(
                partner_id=f"{cc}-{pid}",
                status=PartnerStatus.ACTIVE,
                token_hash=hash_token(token),
                outgoing_token=ctx.registrar.vault.encrypt(new_token()),
                versions_url="http://127.0.0.1:9/seeded/versions",
                version=OCPI_VERSION,
                endpoints=endpoints,
                roles=[
                    CredentialsRole(
                        role=Role.CPO,
                        business_details=BusinessDetails(name=f"Seeded {cc}-{pid}"),
                        party_id=pid,
                        country_code=cc,
                    )
                ],
                created=stamp,
                updated=stamp,
            )
            try:
                await ctx.store.insert_partner(partner, consume_invitation=None)
            except DuplicateParty:
                continue
            if out is not None:  # written as it goes: a seed interrupted half way still leaves its tokens
                out.write(token + "\n")
            created += 1
    return created


def seed(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.prefix and not (len(args.prefix) == 2 and args.prefix.isalpha()):
        raise CliError(f"--prefix {args.prefix!r} is not a two-letter country code")
    if args.clientinfo_url is not None and not args.clientinfo_url.startswith(("http://", "https://")):
        raise CliError(f"--clientinfo-url {args.clientinfo_url!r} is not an http:// or https:// URL")
    out = private_output(args.export) if args.export else None
    try:
        created = asyncio.run(_seed(settings, args.parties, out, args.prefix, args.clientinfo_url))
    finally:
        if out is not None:
            out.close()
    print(f"seeded {created} parties" + (f"; tokens in {args.export}" if args.export else ""))
    return 0


def _party(owner: str) -> tuple[str, str]:
    country_code, slash, party_id = owner.upper().partition("/")
    if not slash or len(country_code) != 2 or not 0 < len(party_id) <= 3:
        raise CliError(f"--owner {owner!r} is not CC/PID (a country code and a party id, e.g. NL/CPO)")
    return country_code, party_id


async def _seed_objects(
    settings: Settings, module: str, count: int, owner: str, make: Callable[[int, str, str, str], dict[str, Any]]
) -> int:
    """Write ``count`` objects of ``module`` owned by the registered party ``owner`` in bulk writes, with
    last_updated one second apart ending now; ``make(n, country_code, party_id, stamp)`` builds object ``n``."""
    from reference_hub.hub.catalogue import SPECS
    from reference_hub.hub.directory import party_key
    from reference_hub.hub.objects import object_key
    from reference_hub.ocpi.datetime import DateTime, now
    from reference_hub.store.objects import StoredObject

    kind = SPECS[module]
    country_code, party_id = _party(owner)
    key = party_key(country_code, party_id)
    async with hub_context(settings) as ctx:
        partner_id = await ctx.store.party_owner(key)
        if partner_id is None:
            raise LookupError(f"no registered party {key}: register it first (ocpi-hub partners list shows them)")
        start = now() - timedelta(seconds=count)
        objects: list[StoredObject] = []
        for n in range(count):
            if len(objects) == _SEED_BATCH:  # bounded memory: a million objects are written 20,000 at a time
                await ctx.store.insert_objects(objects)
                objects = []
            stamp = DateTime.from_datetime(start + timedelta(seconds=n))
            body = make(n, country_code, party_id, stamp.to_ocpi())
            model = ctx.codec.decode(ctx.codec.encode(body), kind.model)
            object_id = str(body[kind.id_field])
            objects.append(
                StoredObject(
                    module=module,
                    owner=key,
                    object_id=object_key(kind, object_id, body.get("type")),
                    partner_id=partner_id,
                    last_updated=stamp,
                    created=stamp,
                    body=ctx.codec.encode(model),
                )
            )
        await ctx.store.insert_objects(objects)
    print(f"seeded {count} {module} of {key}")
    return count


def seed_locations(args: argparse.Namespace) -> int:
    asyncio.run(_seed_objects(_settings(args), "locations", args.locations, args.owner, _location))
    return 0


_SEED_BATCH = 20_000


def _location(n: int, country_code: str, party_id: str, stamp: str) -> dict[str, Any]:
    location_id = f"LOC{n:06d}"
    connector = {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 400,
        "max_amperage": 32,
        "last_updated": stamp,
    }
    evses = [
        {"uid": f"{location_id}-{e}", "status": "AVAILABLE", "connectors": [connector], "last_updated": stamp}
        for e in (1, 2)
    ]
    return {
        "country_code": country_code,
        "party_id": party_id,
        "id": location_id,
        "publish": True,
        "address": f"Seeded street {n}",
        "city": "Utrecht",
        "country": "NLD",
        "coordinates": {"latitude": "52.090000", "longitude": "5.120000"},
        "evses": evses,
        "time_zone": "Europe/Amsterdam",
        "last_updated": stamp,
    }


TOKEN_ALLOWED = ("ALLOWED",) * 9 + ("BLOCKED",)
"""What the seeded eMSP says for token ``n``: ``TOKEN_ALLOWED[n % 10]`` (one in ten blocked)."""


def uid_prefix(value: str) -> str:
    """A seeded token's uid prefix: letters and digits, short enough that the uid stays within CiString(36)."""
    if not (value.isascii() and value.isalnum() and len(value) <= 29):
        raise argparse.ArgumentTypeError(f"{value!r} is not 1-29 letters and digits")
    return value


def _token(n: int, country_code: str, party_id: str, stamp: str, prefix: str = "T") -> dict[str, Any]:
    return {
        "country_code": country_code,
        "party_id": party_id,
        "uid": f"{prefix}{n:07d}",
        "type": "RFID",
        "contract_id": f"{country_code}-{party_id}-C{n:07d}",
        "issuer": "Seeded eMSP",
        "valid": TOKEN_ALLOWED[n % len(TOKEN_ALLOWED)] == "ALLOWED",
        "whitelist": "NEVER",
        "last_updated": stamp,
    }


def seed_tokens(args: argparse.Namespace) -> int:
    out = private_output(args.export) if args.export else None
    try:
        token = functools.partial(_token, prefix=args.uid_prefix)
        asyncio.run(_seed_objects(_settings(args), "tokens", args.tokens, args.owner, token))
        if out is not None:
            out.write("uid,type,allowed\n")
            for n in range(args.tokens):
                out.write(f"{args.uid_prefix}{n:07d},RFID,{TOKEN_ALLOWED[n % len(TOKEN_ALLOWED)]}\n")
            print(f"tokens in {args.export}")
    finally:
        if out is not None:
            out.close()
    return 0


async def _copy_store(settings: Settings, source_url: str, target_url: str) -> None:
    from reference_hub.hub.services import key_file
    from reference_hub.store import open_store
    from reference_hub.store.copy import TargetNotEmpty, copy_store

    try:
        source, target = open_store(source_url), open_store(target_url)
    except ValueError as exc:  # a URL may hold a password
        raise CliError(
            str(exc).replace(source_url, redact(source_url)).replace(target_url, redact(target_url))
        ) from exc
    for store, url in ((source, source_url), (target, target_url)):
        try:
            await store.open()
        except Exception as exc:
            if store is target:
                await source.close()
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise CliError(f"cannot open the store {redact(url)}: {reason}", EXIT_UNAVAILABLE) from exc
    try:
        report = await copy_store(source, target)
    except TargetNotEmpty as exc:
        raise CliError(str(exc), EXIT_FAILED) from exc
    finally:
        await target.close()
        await source.close()
    print(f"copied {redact(source_url)} to {redact(target_url)}")
    for line in report.lines():
        print(f"  {line}")
    keys = key_file(settings, source)
    if settings.secret_key:
        print("run the hub on the new store with the same secret_key", file=sys.stderr)
    elif keys is not None:
        print(
            f"the tokens the hub presents to parties are sealed with the key in {keys}: run the hub on the new store"
            " with secret_key_file pointing at that file (OCPI_HUB_SECRET_KEY_FILE)",
            file=sys.stderr,
        )


def copy_store(args: argparse.Namespace) -> int:
    asyncio.run(_copy_store(_settings(args), args.source, args.target))
    return 0


def completion(args: argparse.Namespace) -> int:
    import shtab

    print(shtab.complete(build_parser(), shell=args.shell))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "serve": serve,
    "invite": invite,
    "register": register,
    "partners": partners,
    "operators": operators,
    "seed": seed,
    "seed-locations": seed_locations,
    "seed-tokens": seed_tokens,
    "rotate-key": rotate_key,
    "copy-store": copy_store,
    "completion": completion,
}


def _stray_option(argv: Sequence[str]) -> str | None:
    """An option given before any command that ``ocpi-hub`` itself does not know (argparse would only say that a
    command is missing)."""
    for word in argv:
        if not word.startswith("-"):
            return None
        if word not in ("-h", "--help", "--version", "--debug"):
            return word
    return None


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    stray = _stray_option(words)
    if stray:
        parser.error(f"unknown option {stray}")
    args = parser.parse_args(words)
    if args.command != "serve":  # the server configures its own logging from its settings
        from reference_hub.logs import configure

        configure("plain", "warning", stream="stderr")
    return run_command(f"ocpi-hub {args.command}", lambda: COMMANDS[args.command](args), debug=args.debug)


if __name__ == "__main__":
    raise SystemExit(main())
