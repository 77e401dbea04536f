"""Choose the adapter from a store URL: ``sqlite:///relative.db``, ``sqlite:////abs/path.db``, ``sqlite://:memory:``,
``postgresql://...`` (or ``postgres://...``), ``mongodb://...`` or ``mongodb+srv://...``."""

from __future__ import annotations

from reference_hub.store.base import Store


def open_store(url: str) -> Store:
    """Build (not yet open) the store the URL names."""
    if url.startswith("sqlite://"):
        from reference_hub.store.sqlite import SqliteStore

        rest = url.removeprefix("sqlite://")
        if rest in (":memory:", "/:memory:"):
            return SqliteStore(":memory:")
        if not rest.startswith("/") or rest == "/":
            raise ValueError(f"bad SQLite store URL {url!r}: use sqlite:///relative/path.db or sqlite:////abs/path.db")
        return SqliteStore(rest[1:])
    if url.startswith(("postgresql://", "postgres://")):
        from reference_hub.store.postgres import PostgresStore

        return PostgresStore(url)
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from reference_hub.store.mongo import MongoStore

        return MongoStore(url)
    # callers that show the message replace the URL with its redacted form (it may hold a password)
    raise ValueError(
        f"unsupported store URL {url!r}: expected sqlite:///PATH, postgresql://HOST/DB or mongodb://HOST/DB"
    )


__all__ = ("open_store",)
