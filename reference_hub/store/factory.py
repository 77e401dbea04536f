"""Choose the adapter from a store URL: ``sqlite:///relative.db``, ``sqlite:////abs/path.db``, ``sqlite://:memory:``,
``mongodb://...`` or ``mongodb+srv://...``."""

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
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from reference_hub.store.mongo import MongoStore

        return MongoStore(url)
    raise ValueError(f"unsupported store URL {url!r}: expected sqlite:///PATH or mongodb://HOST/DB")


__all__ = ("open_store",)
