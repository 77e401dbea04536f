"""``Page[T]``: what every paginated store read returns."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

T = TypeVar("T")


class Page(msgspec.Struct, Generic[T], frozen=True):
    """One page of a filtered list plus the total count of the filtered list."""

    total: int
    items: list[T]


__all__ = ("Page",)
