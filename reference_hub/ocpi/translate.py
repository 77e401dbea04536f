"""Stand-in until the translation tables land: every schema passes unchanged."""

from __future__ import annotations

from typing import Any


class Untranslatable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def up(schema: str, doc: Any) -> Any:
    return doc


def down(schema: str, doc: Any) -> Any:
    return doc


def down_items(schema: str, items: list[Any]) -> tuple[list[Any], list[str]]:
    return items, []


TRANSLATED: frozenset[str] = frozenset()
