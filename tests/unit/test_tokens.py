"""Authorization header parsing, hashing and the token vault (no network; key files in a temporary folder)."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken

from reference_hub.hub.tokens import (
    TokenVault,
    authorization_header,
    candidate_tokens,
    hash_token,
    new_key,
    new_token,
    read_keys,
    write_keys,
)


def test_authorization_header_is_base64_of_the_exact_token_bytes() -> None:
    # The spec's own example encodes a trailing newline (ZXhhbXBsZS10b2tlbgo=); the correct value has none.
    assert authorization_header("example-token") == "Token ZXhhbXBsZS10b2tlbg=="


def test_candidates_prefer_the_decoded_token_and_keep_the_raw_one() -> None:
    assert candidate_tokens("Token ZXhhbXBsZS10b2tlbg==") == [("example-token", False), ("ZXhhbXBsZS10b2tlbg==", True)]
    assert candidate_tokens("Token example-token") == [("example-token", True)]
    # the spec example's trailing newline is forgiven
    assert candidate_tokens("Token ZXhhbXBsZS10b2tlbgo=")[0] == ("example-token", False)
    # base64 that decodes to binary is not a token candidate
    binary = base64.b64encode(b"\x00\xff\x10").decode()
    assert candidate_tokens(f"Token {binary}") == [(binary, True)]


def test_no_candidates_without_the_token_scheme() -> None:
    for header in (None, "", "Token", "Token ", "Bearer abc", "abc"):
        assert candidate_tokens(header) == []


def test_new_tokens_are_printable_unique_and_short_enough() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) <= 64 and all(0x21 <= ord(c) <= 0x7E for c in t) for t in tokens)


def test_no_new_token_begins_with_a_dash() -> None:
    """A token A goes into ``--token-a "$(make -s invite)"``; one beginning with "-" is read as an option there
    (argparse: "expected one argument"). Of 4,000 plain draws about 62 would begin so."""
    assert not [t for t in (new_token() for _ in range(4000)) if t.startswith("-")]


def test_a_dash_first_draw_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit level, with a stand-in for ``secrets.token_urlsafe`` (named so): the dash-first draw is not returned."""
    draws = iter(["-" + "a" * 42, "b" * 43])
    monkeypatch.setattr("reference_hub.hub.tokens.secrets.token_urlsafe", lambda n: next(draws))
    assert new_token() == "b" * 43


def test_hash_is_stable_and_not_the_token() -> None:
    token = new_token()
    assert hash_token(token) == hash_token(token) != token
    assert len(hash_token(token)) == 64


def test_vault_round_trip_and_ciphertext_hides_the_token() -> None:
    vault = TokenVault.ephemeral()
    token = new_token()
    sealed = vault.encrypt(token)
    assert token not in sealed
    assert vault.decrypt(sealed) == token


def test_the_first_key_seals_and_every_key_opens() -> None:
    old, new = new_key(), new_key()
    sealed_old = TokenVault([old]).encrypt("tok")
    both = TokenVault.from_setting(f"{new.decode()}, {old.decode()}")
    assert both.decrypt(sealed_old) == "tok"
    resealed = both.reseal(sealed_old)
    assert TokenVault([new]).decrypt(resealed) == "tok"
    with pytest.raises(InvalidToken):
        TokenVault([old]).decrypt(resealed)


def test_a_vault_follows_its_key_file(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "hub.key"
    vault = TokenVault.from_key_file(path)  # created, 0600, in a 0700 folder
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    [old] = read_keys(path)
    sealed_old = vault.encrypt("tok")
    new = new_key()
    write_keys(path, [new, old])  # what rotate-key does first, while the hub runs
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sealed_new = vault.encrypt("tok2")  # seals with the new first key at once
    assert TokenVault([new]).decrypt(sealed_new) == "tok2"
    write_keys(path, [new])  # the old key dropped: what was sealed under it alone no longer opens
    assert vault.decrypt(sealed_new) == "tok2"
    with pytest.raises(InvalidToken):
        TokenVault.from_key_file(path).decrypt(sealed_old)
