"""Bounded maps that drop their oldest entries first: the authentication caches and the limiter's strikes.

They are ``OrderedDict``s because dropping the oldest entry of a plain dict (``del d[next(iter(d))]``) walks over
every slot deleted before it until the dict is next resized: with 50,000 entries kept, each insertion past the
bound cost about 30 µs, so a steady flood of made-up tokens made every one of them dearer for the whole process.
``OrderedDict.popitem(last=False)`` drops the oldest in constant time (0.4 µs per insertion past the bound, measured
the same way); a lookup costs about 10 ns more than in a dict.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def put_newest(entries: OrderedDict[K, V], key: K, value: V, limit: int) -> None:
    """Set ``key`` as the newest entry (moved to the end if present) and drop the oldest ones beyond ``limit``."""
    if key in entries:
        entries.move_to_end(key)
    entries[key] = value  # a new key goes last
    while len(entries) > limit:
        entries.popitem(last=False)


__all__ = ("put_newest",)
