"""Credentials tokens: creation, hashing, the Authorization header, encryption at rest, and the validation cache.

Tokens are never stored or logged in clear. Incoming tokens are kept as SHA-256 hashes (a token is 256 random bits,
so a fast hash is enough; no salt or key stretching is needed for such inputs) and compared by hash lookup plus
``hmac.compare_digest``. The tokens the hub must *present* to parties are encrypted with Fernet.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def new_token() -> str:
    """A fresh credentials token: 43 characters of URL-safe base64 (printable ASCII, no whitespace), 256 bits.

    Never one that begins with "-": a token A is pasted into command lines (``--token-a "$(make -s invite)"``), where
    argparse and most other option parsers read such a value as an option of its own. One draw in 64 would; drawing
    again costs under 0.03 bits of the 256."""
    while (token := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return token


def hash_token(token: str) -> str:
    """SHA-256 hex digest of the token's UTF-8 bytes."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_hash(a: str, b: str) -> bool:
    """Constant-time comparison of two hashes."""
    return hmac.compare_digest(a.encode(), b.encode())


def secret_matches(given: str, wanted: str) -> bool:
    """Constant-time comparison of a presented secret with the expected one, by their SHA-256 digests, so that
    neither the content nor the length of the expected secret shows in the time taken."""
    left = hashlib.sha256(given.encode("utf-8", "replace")).digest()
    right = hashlib.sha256(wanted.encode("utf-8", "replace")).digest()
    return hmac.compare_digest(left, right)


def authorization_header(token: str) -> str:
    """``Token <base64(UTF-8 token)>`` as OCPI 2.2-d2 and later require."""
    return "Token " + base64.b64encode(token.encode("utf-8")).decode("ascii")


def candidate_tokens(header: str | None) -> list[tuple[str, bool]]:
    """The tokens an Authorization header may carry, most likely first, each with ``was_raw``.

    OCPI wants ``Token <base64>``, but many 2.1.1/2.2 peers send the raw token, so the decoded form is tried first and
    the literal text second. A decoded value counts only if it is printable ASCII without spaces (what a token may
    contain); one trailing newline is forgiven because the spec's own example encodes one.
    """
    if not header:
        return []
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value:
        return []
    out: list[tuple[str, bool]] = []
    try:  # binascii rather than base64.b64decode, whose checks and conversions in Python cost a third of this
        decoded = binascii.a2b_base64(value, strict_mode=True).decode("ascii").removesuffix("\n")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    # ASCII (decoded as such) and printable, without spaces: U+0021 to U+007E.
    if decoded and decoded.isprintable() and " " not in decoded:
        out.append((decoded, False))
    out.append((value, True))
    return out


class TokenVault:
    """Seals the tokens the hub presents to parties (Fernet), under one or more keys: the first seals, every one
    opens, so keys can be rotated without a moment when a stored token cannot be read (:meth:`reseal`).

    A vault read from a key file follows the file: when it changes (``ocpi-hub rotate-key`` on a running hub), the
    next seal uses the new first key, and a token that none of the keys in memory opens is tried again after
    re-reading the file.
    """

    def __init__(self, keys: Sequence[str | bytes], *, path: Path | None = None) -> None:
        if not keys:
            raise ValueError("no token-sealing key")
        self._set(keys)
        self.path = path
        """The key file this vault follows, if any."""
        self._stamp = _stamp(path) if path is not None else None

    def _set(self, keys: Sequence[str | bytes]) -> None:
        fernets = [Fernet(k) for k in keys]
        self._first = fernets[0]
        self._fernet = MultiFernet(fernets)

    @classmethod
    def from_setting(cls, value: str) -> TokenVault:
        """Keys from the ``secret_key`` setting: one Fernet key, or several comma-separated (the first seals)."""
        return cls([k.strip() for k in value.split(",") if k.strip()])

    @classmethod
    def from_key_file(cls, path: Path) -> TokenVault:
        """Read the key file (one key per line, the first seals), creating it (mode 0600, in 0700 directories) with
        a new key when missing."""
        if not path.exists():
            missing = [d for d in (path.parent, *path.parent.parents) if not d.exists()]
            for directory in reversed(missing):
                directory.mkdir(mode=0o700, exist_ok=True)
            try:  # created 0600 from the start: never readable by others, not even for a moment
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                pass  # another worker made it first: use theirs
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(Fernet.generate_key() + b"\n")
        return cls(read_keys(path), path=path)

    @classmethod
    def ephemeral(cls) -> TokenVault:
        """A vault whose key dies with the process (for ``:memory:`` stores)."""
        return cls([Fernet.generate_key()])

    def _follow(self) -> bool:
        """Re-read the key file if it changed since it was read; True when it did."""
        if self.path is None:
            return False
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return False
        self._set(read_keys(self.path))
        self._stamp = stamp
        return True

    def encrypt(self, token: str) -> str:
        self._follow()
        return self._fernet.encrypt(token.encode("utf-8")).decode("ascii")

    def decrypt(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except InvalidToken:
            if not self._follow():
                raise
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")

    def reseal(self, sealed: str) -> str:
        """The same token sealed under the first key (what ``ocpi-hub rotate-key`` does to every stored token); the
        same text when it is sealed under the first key already."""
        self._follow()
        try:
            self._first.decrypt(sealed.encode("ascii"))
        except InvalidToken:
            return self._fernet.rotate(sealed.encode("ascii")).decode("ascii")
        return sealed


def read_keys(path: Path) -> list[bytes]:
    """The keys of a key file, first one first."""
    keys = [line.strip() for line in path.read_bytes().splitlines() if line.strip()]
    if not keys:
        raise ValueError(f"{path} holds no token-sealing key")
    return keys


def write_keys(path: Path, keys: Sequence[bytes]) -> None:
    """Replace a key file atomically (a new file, mode 0600, renamed over the old one): a crash leaves either the old
    file or the new one, never half of one."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(b"".join(k + b"\n" for k in keys))
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


def new_key() -> bytes:
    return Fernet.generate_key()


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_mtime_ns, info.st_ino


__all__ = (
    "TokenVault",
    "authorization_header",
    "candidate_tokens",
    "hash_token",
    "new_key",
    "new_token",
    "read_keys",
    "same_hash",
    "secret_matches",
    "write_keys",
)
