"""The ``ocpi-hub`` command line: run the hub and administer it."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from reference_hub import OCPI_VERSION, __version__
from reference_hub.settings import FAULTS, Settings, load_settings

DESCRIPTION = f"""\
OCPI {OCPI_VERSION} reference roaming hub (version {__version__}).

Settings come from defaults, then a YAML file (--config or OCPI_HUB_CONFIG), then OCPI_HUB_* environment
variables, then the flags below. The store is chosen by --store or OCPI_HUB_STORE: sqlite:///relative.db,
sqlite:////absolute.db, sqlite://:memory:, postgresql://user:password@host:5432/dbname (several hub instances may
share one database) or mongodb://host:27017/dbname (default sqlite:///data/hub.db). PostgreSQL and MongoDB need
secret_key_file or secret_key (OCPI_HUB_SECRET_KEY, a Fernet key).
"""


GRANIAN_BUFFER = 65536
"""Bytes granian buffers per HTTP/1 connection (its default is 408 KiB). Every header block the hub accepts fits
(``max_header_bytes`` defaults to 16 KiB), and thousands of idle connections cost a quarter of the memory."""
RESPAWN_INTERVAL = 1.0
"""Seconds granian waits before replacing a worker that died."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="YAML settings file (default: $OCPI_HUB_CONFIG)")
    parser.add_argument("--store", metavar="URL", help="store URL (default: $OCPI_HUB_STORE or sqlite:///data/hub.db)")
    parser.add_argument("--public-url", metavar="URL", help="base URL the hub advertises (default http://HOST:PORT)")
    parser.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="TCP port (default 8080)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocpi-hub", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"ocpi-hub {__version__} (OCPI {OCPI_VERSION})")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the hub (granian, production-style)",
        description="Run the hub. With an admin key set (OCPI_HUB_ADMIN_KEY, or admin_key in the YAML file; there is "
        "no flag, so the key stays out of process lists and shell history) the operator dashboard is served at "
        "http://HOST:PORT/admin/: sign in with the key to see parties, invitations, deliveries and traffic.",
    )
    _common(serve)
    serve.add_argument("--workers", type=int, help="server processes (default 1)")
    serve.add_argument(
        "--server",
        choices=("granian", "uvicorn"),
        default="granian",
        help="ASGI server (default granian; uvicorn is the fallback)",
    )
    serve.add_argument(
        "--fault",
        action="append",
        choices=sorted(FAULTS),
        metavar="NAME",
        help="switch on a deliberate protocol fault (testing conformance tools only; repeatable): "
        + ", ".join(sorted(FAULTS)),
    )

    invite = sub.add_parser(
        "invite",
        help="create a registration token A (printed as the last line)",
        description="Create a registration token A for a new party. Give it to the party with "
        "the versions URL; it works once, for versions, version details and credentials only.",
    )
    _common(invite)
    invite.add_argument("--count", type=int, default=1, metavar="N", help="create N tokens, one per line (default 1)")

    register = sub.add_parser(
        "register",
        help="register the hub with a party (hub-initiated handshake)",
        description="Hub-initiated credentials handshake: the hub fetches the party's versions "
        "with TOKEN_A, POSTs its own credentials and stores the party's answer. The hub must be "
        "running (ocpi-hub serve) on the same store and reachable at its public URL, because "
        "the party calls it back.",
    )
    _common(register)
    register.add_argument("versions_url", metavar="VERSIONS_URL", help="the party's versions endpoint")
    register.add_argument("token_a", metavar="TOKEN_A", help="the registration token the party gave us")

    partners = sub.add_parser(
        "partners",
        help="list partner records (half-registered ones marked) or remove one",
        description="List every partner record in the store, whatever its status; HALF marks a hub-initiated "
        "registration that never finished (still PENDING), NO-CALL-YET an active partner that has not yet called the "
        "hub with its token (normal for a party that only receives). 'remove PARTNER_ID' deletes one record: its token "
        "stops working and its party ids are free for a new registration. Works with the hub running.",
    )
    _common(partners)
    partners.add_argument("action", nargs="?", choices=("list", "remove"), default="list", help="default: list")
    partners.add_argument("partner_id", nargs="?", metavar="PARTNER_ID", help="the partner to remove, e.g. DE-ABC")

    seed = sub.add_parser(
        "seed",
        help="create N registered parties directly in the store (load tests)",
        description="Create N registered test parties (role CPO, ids AA/000 onwards) directly in "
        "the store, with last_updated one second apart ending now, and write their tokens to --export. Seed before "
        "starting the hub: a running hub picks up new partners by their recent last_updated, and seeded ones carry "
        "past stamps.",
    )
    _common(seed)
    seed.add_argument("--parties", type=int, required=True, metavar="N", help="how many parties")
    seed.add_argument("--export", metavar="FILE", help="write one credentials token per line to FILE")
    seed.add_argument("--prefix", default="", metavar="CC", help="two-letter country code to use (default: varies)")

    seed_locations = sub.add_parser(
        "seed-locations",
        help="store N Locations of a registered CPO party directly (pagination tests and load tests)",
        description="Write N Locations (ids LOC000000 onwards, each with two EVSEs) owned by the registered party "
        "--owner CC/PID straight into the store in one bulk write, with last_updated one second apart ending now. "
        "This is the bulk path; a running hub serves them at once.",
    )
    _common(seed_locations)
    seed_locations.add_argument("--locations", type=int, required=True, metavar="N", help="how many Locations")
    seed_locations.add_argument("--owner", required=True, metavar="CC/PID", help="the CPO party that owns them")

    seed_tokens = sub.add_parser(
        "seed-tokens",
        help="store N Tokens of a registered eMSP party directly (real-time authorization load tests)",
        description="Write N Tokens (uids T0000000 onwards, type RFID, whitelist NEVER, one in ten not valid) owned "
        "by the registered party --owner CC/PID straight into the store in one bulk write, and with --export a CSV "
        "(uid,type,allowed) of what that eMSP answers for each: the table the load-test eMSP (python -m "
        "loadtests.peer --authorizations FILE) and the authorize scenario both read.",
    )
    _common(seed_tokens)
    seed_tokens.add_argument("--tokens", type=int, required=True, metavar="N", help="how many Tokens")
    seed_tokens.add_argument("--owner", required=True, metavar="CC/PID", help="the eMSP party that owns them")
    seed_tokens.add_argument("--export", metavar="FILE", help="write uid,type,allowed per token to this CSV")

    copy = sub.add_parser(
        "copy-store",
        help="copy everything the hub keeps from one store to another (e.g. SQLite to PostgreSQL)",
        description="Copy every partner (tokens as hashes, sealed outgoing tokens), unused invitation, object (in "
        "its creation order), delivery still owed or failed and pending callback from the store --from names into "
        "the empty store --to names (its schema is created first). Stop the hub on the source first. The tokens the "
        "hub presents to parties stay sealed with the source's key: run the hub on the new store with the same "
        "secret_key or secret_key_file (for a SQLite source without either, its <db>.key file). Nothing is changed "
        "in the source; a target that holds any data is refused.",
    )
    copy.add_argument("--config", metavar="FILE", help="YAML settings file (default: $OCPI_HUB_CONFIG)")
    copy.add_argument(
        "--from", dest="source", required=True, metavar="URL", help="the store to copy, e.g. sqlite:///data/hub.db"
    )
    copy.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="the new store, e.g. postgresql://hub@db/ocpi"
    )

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


def serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _export_env(args, settings)
    from reference_hub.hub.client import redact_url

    store = redact_url(settings.store)  # a database password never reaches the terminal or a log
    print(f"OCPI {OCPI_VERSION} hub on http://{settings.host}:{settings.port} (store {store})", flush=True)
    print(f"versions URL: {settings.versions_url}", flush=True)
    program = sys.argv[0] if Path(sys.argv[0]).name == "ocpi-hub" else "ocpi-hub"
    print(f"registration token for a new party: {program} invite --store {store}  (or: make invite)", flush=True)
    if settings.admin_key:
        print(f"operator dashboard: {settings.base_url}/admin/ (sign in with the admin key)", flush=True)
    if settings.faults:
        print(f"FAULT SWITCHES ON (not a conforming hub): {', '.join(settings.faults)}", flush=True)
    if args.server == "uvicorn":
        import uvicorn

        uvicorn.run(
            "reference_hub.asgi:app_factory",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level,
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
    from reference_hub.app import build_context

    async with build_context(settings) as ctx:
        return [await ctx.registrar.invite() for _ in range(count)]


async def _register(settings: Settings, versions_url: str, token_a: str) -> str:
    from reference_hub.app import build_context

    async with build_context(settings) as ctx:
        partner = await ctx.registrar.register_with(versions_url, token_a)
        return partner.partner_id


async def _partners(settings: Settings, action: str, partner_id: str | None) -> int:
    from reference_hub.app import build_context
    from reference_hub.hub.client import redact_url
    from reference_hub.store import PartnerStatus

    async with build_context(settings) as ctx:
        if action == "remove":
            if not partner_id:
                raise ValueError("name the partner to remove: ocpi-hub partners remove PARTNER_ID")
            if not await ctx.registrar.remove(partner_id):
                raise LookupError(f"no partner {partner_id!r}")
            print(f"removed {partner_id}")
            return 0
        page = await ctx.store.list_partners(statuses=tuple(PartnerStatus))
        for p in page.items:
            roles = ",".join(f"{r.country_code}/{r.party_id}" for r in p.roles) or "-"
            flag = "HALF" if p.half_registered else "NO-CALL-YET" if p.awaiting_first_call else "-"
            print(
                f"{p.partner_id}\t{p.status.value}\t{flag}\t{p.initiated_by}\t{roles}\t"
                f"{redact_url(p.versions_url)}\t{p.created.to_ocpi()}"
            )
        print(f"{page.total} partner record(s)", file=sys.stderr)
        return 0


async def _rotate_key(settings: Settings) -> int:
    """See the ``rotate-key`` help. Every step leaves every stored token readable by the keys then in force."""
    import msgspec

    from reference_hub.app import build_context, key_file
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
    async with build_context(settings) as ctx:
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


async def _seed(settings: Settings, count: int, export: str | None, prefix: str) -> int:
    from reference_hub.app import build_context
    from reference_hub.hub.tokens import hash_token, new_token
    from reference_hub.ocpi.datetime import DateTime, now
    from reference_hub.ocpi.models import BusinessDetails, CredentialsRole, Role
    from reference_hub.store import DuplicateParty, Partner, PartnerStatus

    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    start = now() - timedelta(seconds=count)
    tokens: list[str] = []
    async with build_context(settings) as ctx:
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
            tokens.append(token)
            created += 1
    if export:
        Path(export).write_text("".join(t + "\n" for t in tokens))
        Path(export).chmod(0o600)
    print(f"seeded {created} parties" + (f"; tokens in {export}" if export else ""))
    return created


async def _seed_objects(
    settings: Settings, module: str, count: int, owner: str, make: Callable[[int, str, str, str], dict[str, Any]]
) -> int:
    """Write ``count`` objects of ``module`` owned by the registered party ``owner`` in bulk writes, with
    last_updated one second apart ending now; ``make(n, country_code, party_id, stamp)`` builds object ``n``."""
    from reference_hub.app import build_context
    from reference_hub.hub.directory import party_key
    from reference_hub.hub.objects import KINDS, object_key
    from reference_hub.ocpi.datetime import DateTime, now
    from reference_hub.store.objects import StoredObject

    kind = KINDS[module]
    country_code, _, party_id = owner.upper().partition("/")
    key = party_key(country_code, party_id)
    async with build_context(settings) as ctx:
        partner_id = await ctx.store.party_owner(key)
        if partner_id is None:
            raise ValueError(f"no registered party {key}: register it first")
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


def _token(n: int, country_code: str, party_id: str, stamp: str) -> dict[str, Any]:
    return {
        "country_code": country_code,
        "party_id": party_id,
        "uid": f"T{n:07d}",
        "type": "RFID",
        "contract_id": f"{country_code}-{party_id}-C{n:07d}",
        "issuer": "Seeded eMSP",
        "valid": TOKEN_ALLOWED[n % len(TOKEN_ALLOWED)] == "ALLOWED",
        "whitelist": "NEVER",
        "last_updated": stamp,
    }


async def _seed_tokens(settings: Settings, count: int, owner: str, export: str | None) -> int:
    await _seed_objects(settings, "tokens", count, owner, _token)
    if export:
        with Path(export).open("w", encoding="utf-8") as out:
            out.write("uid,type,allowed\n")
            for n in range(count):
                out.write(f"T{n:07d},RFID,{TOKEN_ALLOWED[n % len(TOKEN_ALLOWED)]}\n")
        print(f"tokens in {export}")
    return count


async def _copy_store(settings: Settings, source_url: str, target_url: str) -> None:
    from reference_hub.app import key_file
    from reference_hub.hub.client import redact_url
    from reference_hub.store import open_store
    from reference_hub.store.copy import copy_store

    source, target = open_store(source_url), open_store(target_url)
    await source.open()
    try:
        await target.open()
        try:
            report = await copy_store(source, target)
        finally:
            await target.close()
    finally:
        await source.close()
    print(f"copied {redact_url(source_url)} to {redact_url(target_url)}")
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args)
        settings = _settings(args)
        if args.command == "invite":
            tokens = asyncio.run(_invite(settings, args.count))
            print(
                f"Registration token A (single use, one per party). Versions URL: {settings.versions_url}",
                file=sys.stderr,
            )
            print("\n".join(tokens))
        elif args.command == "register":
            partner_id = asyncio.run(_register(settings, args.versions_url, args.token_a))
            print(f"registered with {partner_id}")
        elif args.command == "partners":
            return asyncio.run(_partners(settings, args.action, args.partner_id))
        elif args.command == "seed":
            asyncio.run(_seed(settings, args.parties, args.export, args.prefix))
        elif args.command == "seed-locations":
            asyncio.run(_seed_objects(settings, "locations", args.locations, args.owner, _location))
        elif args.command == "seed-tokens":
            asyncio.run(_seed_tokens(settings, args.tokens, args.owner, args.export))
        elif args.command == "copy-store":
            asyncio.run(_copy_store(settings, args.source, args.target))
        elif args.command == "rotate-key":
            return asyncio.run(_rotate_key(settings))
    except Exception as exc:  # a CLI reports, it does not dump a traceback at an operator
        from reference_hub.ocpi.errors import OcpiError

        code = f" (OCPI status {exc.status_code})" if isinstance(exc, OcpiError) else ""
        print(f"ocpi-hub {args.command}: {exc}{code}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
