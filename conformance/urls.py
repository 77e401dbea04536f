"""The one way the harness, the fuzzer and the load tests build request URLs from what a target advertises.

A target's URLs are used exactly as published: no trailing slash is removed or added, no scheme, host, case or
port is rewritten. Where OCPI appends a path suffix to an endpoint URL (``{url}/{country_code}/{party_id}``,
``{url}/{token_uid}/authorize``), the suffix is appended as the specification writes it, with exactly one ``/``
between the two: an advertised ``.../tokens/`` plus ``/NL/ABC`` gives ``.../tokens/NL/ABC``, not ``...//NL/ABC``.
That join is the only change ever made, and only where a suffix is appended; an advertised URL requested on its
own goes out byte for byte.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ("endpoint_url", "origin", "path_of")


def endpoint_url(advertised: str, suffix: str = "") -> str:
    """``advertised`` with the spec's path ``suffix`` appended (one ``/`` between them); unchanged when no suffix."""
    if not suffix:
        return advertised
    if advertised.endswith("/") and suffix.startswith("/"):
        return advertised + suffix[1:]
    if not advertised.endswith("/") and not suffix.startswith("/"):
        return f"{advertised}/{suffix}"
    return advertised + suffix


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def path_of(url: str) -> str:
    """The path of a URL exactly as written (``/`` when empty)."""
    return urlsplit(url).path or "/"
