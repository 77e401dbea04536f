"""JSON encoding and strict decoding of OCPI bodies, built once per process.

Litestar's own body parsing is lenient (it would turn ``"last_updated": 0`` into 1970), so OCPI bodies are read as
bytes and decoded here with typed msgspec decoders. Unknown fields are skipped (2.3.0 forbids rejecting them).
"""

from __future__ import annotations

import time
from typing import Any, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from reference_hub.ocpi.datetime import dec_hook, enc_hook, now, offset_enc_hook
from reference_hub.ocpi.errors import InvalidOrMissingParameters, MalformedJson

T = TypeVar("T")


class Envelope(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The OCPI response envelope around every response body."""

    data: Any = UNSET
    """The payload; absent when the module defines none (e.g. credentials DELETE) and on most errors."""
    status_code: int
    """Four-digit OCPI status code."""
    status_message: str | None = None
    """Human-readable detail."""
    timestamp: str
    """When the response was generated, already in OCPI form (see :meth:`Codec.timestamp`)."""


class Pieces(tuple[bytes | memoryview, ...]):
    """One JSON value encoded beforehand in pieces (bytes or memoryviews) that joined make it, as data for an envelope.

    The envelope joins them into its own bytes in one go. A GET credentials answer of 100,000 parties is about
    10 MB in about 200 pieces; joined into a ``msgspec.Raw`` first, it was copied once more on its way into the
    envelope (3.5 to 3.8 ms of the hub's own CPU per answer before, 3.4 after, the kernel's sending aside)."""

    __slots__ = ()


class Codec:
    """Encoder plus a cache of strict decoders, one per target type."""

    def __init__(self, *, offset_timestamps: bool = False) -> None:
        self.encoder = msgspec.json.Encoder(enc_hook=offset_enc_hook if offset_timestamps else enc_hook)
        self._decoders: dict[Any, msgspec.json.Decoder[Any]] = {}
        self._offset_form = offset_timestamps
        self._stamp: tuple[int, str, bytes] = (0, "", b"")

    def timestamp(self) -> str:
        """The current second in OCPI form, formatted once per second (every response carries one)."""
        return self._now()[1]

    def _now(self) -> tuple[int, str, bytes]:
        second = int(time.time())
        if self._stamp[0] != second:
            stamp = now().to_ocpi(offset_form=self._offset_form)
            self._stamp = (second, stamp, f',"timestamp":"{stamp}"}}'.encode())
        return self._stamp

    def encode(self, value: Any) -> bytes:
        return self.encoder.encode(value)

    def envelope(
        self,
        status_code: int,
        data: Any | UnsetType = UNSET,
        message: str | None = None,
        *,
        drop_timestamp: bool = False,
    ) -> bytes:
        """Encode one envelope. ``drop_timestamp`` only serves the ``missing_timestamp`` fault switch."""
        if type(data) is Pieces:
            if message is None and not drop_timestamp:
                return b"".join((b'{"data":', *data, b',"status_code":%d' % status_code, self._now()[2]))
            data = msgspec.Raw(b"".join(data))
        if type(data) is msgspec.Raw and message is None and not drop_timestamp:
            # Data encoded beforehand (the versions answers): joined as the encoder would write it, without building
            # and walking an Envelope (the field order is the struct's: data, status_code, timestamp).
            return b"".join((b'{"data":', data, b',"status_code":%d' % status_code, self._now()[2]))
        body = self.encoder.encode(
            Envelope(data=data, status_code=status_code, status_message=message, timestamp=self.timestamp())
        )
        if drop_timestamp:
            parsed = msgspec.json.decode(body)
            parsed.pop("timestamp", None)
            body = msgspec.json.encode(parsed)
        return body

    def decode(self, raw: bytes, type_: type[T]) -> T:
        """Decode ``raw`` as ``type_``: HTTP 400 when it is not JSON, status 2001 when it is JSON of the wrong shape."""
        decoder = self._decoders.get(type_)
        if decoder is None:
            decoder = self._decoders[type_] = msgspec.json.Decoder(type_, dec_hook=dec_hook)
        try:
            return decoder.decode(raw)
        except msgspec.ValidationError as exc:
            raise InvalidOrMissingParameters(f"Invalid {getattr(type_, '__name__', 'body')}: {exc}") from exc
        except msgspec.DecodeError as exc:
            raise MalformedJson(f"The request body is not valid JSON: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise MalformedJson(f"The request body is not valid UTF-8 JSON: {exc.reason} at byte {exc.start}") from exc
        except RecursionError as exc:
            raise MalformedJson("The request body is nested too deeply") from exc


__all__ = ("Codec", "Envelope")
