"""The envelope around data encoded beforehand is joined by hand (``Codec.envelope``): it must be byte for byte what the
encoder writes for the same envelope, in both timestamp forms."""

from __future__ import annotations

import msgspec
import pytest

from reference_hub.ocpi.codec import Codec, Envelope, Pieces


@pytest.mark.parametrize("offset", [False, True], ids=["Z form", "offset form"])
@pytest.mark.parametrize(
    "data", [b'[{"version":"2.3.0","url":"http://h/ocpi/2.3.0"}]', b'{"a":"\\u00e9","b":[]}', b"[]", b"null"]
)
@pytest.mark.parametrize("status_code", [1000, 2001])
def test_prepared_data_is_enveloped_as_the_encoder_would(offset: bool, data: bytes, status_code: int) -> None:
    codec = Codec(offset_timestamps=offset)
    for _ in range(3):  # again if the clock's second changed in between
        before = codec.timestamp()
        joined = codec.envelope(status_code, msgspec.Raw(data))
        encoded = codec.encoder.encode(Envelope(data=msgspec.Raw(data), status_code=status_code, timestamp=before))
        if codec.timestamp() == before:
            break
    assert joined == encoded
    parsed = msgspec.json.decode(joined)
    assert parsed["data"] == msgspec.json.decode(data)
    assert parsed["status_code"] == status_code
    assert parsed["timestamp"] == before


def test_a_message_or_a_dropped_timestamp_takes_the_encoder() -> None:
    codec = Codec()
    with_message = msgspec.json.decode(codec.envelope(2001, msgspec.Raw(b"[]"), "why"))
    assert with_message["status_message"] == "why"
    assert "timestamp" not in msgspec.json.decode(codec.envelope(1000, msgspec.Raw(b"[]"), drop_timestamp=True))


@pytest.mark.parametrize("message", [None, "why"])
@pytest.mark.parametrize("drop", [False, True], ids=["timestamp", "no timestamp"])
def test_data_in_pieces_is_enveloped_as_the_same_data_joined(message: str | None, drop: bool) -> None:
    """``Pieces`` (bytes and memoryviews, as a GET credentials answer) make the same envelope as their join in one
    ``msgspec.Raw``, on the joined path and on the encoder's (a message, the dropped timestamp)."""
    codec = Codec()
    text = b'{"token":"t","roles":[{"a":1},{"b":2},{"c":3}]}'
    pieces = Pieces((memoryview(text)[:22], b"", text[22:37], memoryview(text)[37:]))
    assert b"".join(pieces) == text
    for _ in range(3):
        before = codec.timestamp()
        from_pieces = codec.envelope(1000, pieces, message, drop_timestamp=drop)
        from_raw = codec.envelope(1000, msgspec.Raw(text), message, drop_timestamp=drop)
        if codec.timestamp() == before:
            break
    assert from_pieces == from_raw
    assert msgspec.json.decode(from_pieces)["data"] == msgspec.json.decode(text)
