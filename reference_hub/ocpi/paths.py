"""Ids taken from a request's path, and the paths the hub builds from them for another party.

The hub signs every request it forwards with its own token for the receiver, so the path it sends must name exactly
the object the requester named and nothing else. A receiver's web server may resolve dot segments (``..``, also
percent-encoded as ``%2E%2E``) or decode ``%2F`` into a slash before routing; an id that is a dot segment or carries a
slash would then walk out of the module's endpoint, up to the receiver's credentials module, with the hub's token.
So ids are checked once, decoded, against what OCPI allows (CiString: printable ASCII, the description's maximum
length), and a forwarded path is rebuilt from the decoded ids, each percent-encoded, never copied from the request.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from urllib.parse import SplitResult, quote, unquote, urlsplit

from reference_hub.ocpi.errors import InvalidOrMissingParameters
from reference_hub.ocpi.operations import PATH_PARAMS

UNBOUNDED = 255
"""Longest id accepted where the description sets no maximum length (the hub's own URL parts, a CDR's URL id)."""
_DOT_SEGMENTS = frozenset({".", ".."})
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ENCODED_SEPARATOR = re.compile(rb"%(2f|5c)", re.IGNORECASE)
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def _refused(message: str) -> InvalidOrMissingParameters:
    """OCPI 2001 with HTTP 200, as every OCPI-level refusal of a request that reached the OCPI layer (the HTTP errors
    the spec names are for unreadable JSON, authentication, unknown objects and the credentials state rules)."""
    return InvalidOrMissingParameters(message)


def check_id(name: str, value: str) -> str:
    """``value`` when it may stand as the path parameter ``name``; otherwise OCPI 2001 saying why."""
    limit = PATH_PARAMS.get(name) or UNBOUNDED
    if not value:
        raise _refused(f"{name} in the URL is empty")
    if value in _DOT_SEGMENTS:
        raise _refused(f"{name} in the URL may not be {value!r}: a dot segment is not an id")
    if len(value) > limit:
        raise _refused(f"{name} in the URL is longer than {limit} characters")
    if not value.isascii() or not value.isprintable():
        raise _refused(f"{name} in the URL must be printable ASCII (an OCPI CiString)")
    if _walks(value):
        raise _refused(f"{name} in the URL may not contain a slash or a backslash, or decode to a dot segment")
    return value


def _walks(segment: str) -> bool:
    """A path segment that is, or after up to three more rounds of percent-decoding becomes, a dot segment, or holds
    a separator (some servers decode twice)."""
    for _ in range(4):
        if segment in _DOT_SEGMENTS or "/" in segment or "\\" in segment:
            return True
        decoded = unquote(segment)
        if decoded == segment:
            return False
        segment = decoded
    return True


def check_ids(params: Mapping[str, object], raw_path: bytes) -> None:
    """Every path parameter of one request (decoded by the router), and the raw path it came from: an encoded slash
    or backslash would make the router see fewer segments than the receiver might."""
    if _ENCODED_SEPARATOR.search(raw_path):
        raise _refused("the URL may not contain an encoded slash or backslash (%2F, %5C)")
    for name, value in params.items():
        check_id(name, str(value))


def build_suffix(template: str, params: Mapping[str, object]) -> str:
    """The path after an endpoint's URL for ``template`` (an operation's ``suffix``, e.g. ``/{country_code}/
    {party_id}/{location_id}``), each id checked and percent-encoded whole."""

    def segment(match: re.Match[str]) -> str:
        name = match.group(1)
        return quote(check_id(name, str(params[name])), safe="")

    return _PLACEHOLDER.sub(segment, template)


@functools.lru_cache(maxsize=1024)
def _plain_root(base: str) -> str | None:
    """``base`` without trailing slashes when it is a plain endpoint URL (scheme, authority, a path, no query, no
    fragment, no space or control character), else None."""
    parts = urlsplit(base)
    if not parts.scheme or not parts.netloc or parts.query or parts.fragment or "?" in base or "#" in base:
        return None
    return None if _SPACE_OR_CONTROL.search(base) else base.rstrip("/")


def is_under(url: str, base: str) -> bool:
    """``url`` is ``base`` or lies below it (same scheme and authority, the path continues ``base``'s path after a
    slash or ends there), and no segment after ``base`` could be resolved as a dot segment or split by a server.

    A URL the hub built from an endpoint (``base`` + a path + a query, nothing that ``urlsplit`` would strip) is
    checked without parsing it: it begins with ``base`` and continues with a separator, so its scheme, authority and
    the start of its path are ``base``'s, and only its own segments are looked at. Parsing the whole URL on every
    forward was a measurable part of a routed request's CPU; any other URL (a relayed ``Link``, another spelling of
    the host) takes the parsing path below, with the same verdict."""
    root = _plain_root(base)
    if root is not None and url.startswith(root) and not _SPACE_OR_CONTROL.search(url):
        rest = url[len(root) :]
        if not rest or rest[0] in "/?#":
            path = rest.split("?", 1)[0].split("#", 1)[0]
            return not any(_walks(part) for part in path.split("/")[1:])
    target, root_parts = urlsplit(url), urlsplit(base)
    return _under_parsed(target, root_parts)


def _under_parsed(target: SplitResult, root: SplitResult) -> bool:
    if (target.scheme.lower(), target.netloc.lower()) != (root.scheme.lower(), root.netloc.lower()):
        return False
    root_path = root.path.rstrip("/")
    if target.path != root_path and not target.path.startswith(root_path + "/"):
        return False
    return not any(_walks(part) for part in target.path[len(root_path) :].split("/")[1:])


__all__ = ("UNBOUNDED", "build_suffix", "check_id", "check_ids", "is_under")
