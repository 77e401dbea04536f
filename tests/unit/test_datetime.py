"""OCPI DateTime: accepted input forms, rejected forms, and the output form."""

from __future__ import annotations

import msgspec
import pytest

from reference_hub.ocpi.datetime import DateTime, dec_hook, enc_hook, sortable
from reference_hub.ocpi.models import ClientInfo


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-06-29T20:39:09Z", "2015-06-29T20:39:09Z"),
        ("2015-06-29T20:39:09", "2015-06-29T20:39:09Z"),
        ("2016-12-29T17:45:09.2Z", "2016-12-29T17:45:09.200Z"),
        ("2016-12-29T17:45:09.2", "2016-12-29T17:45:09.200Z"),
        ("2018-01-01T01:08:01.123Z", "2018-01-01T01:08:01.123Z"),
        ("2018-01-01T01:08:01.123456789", "2018-01-01T01:08:01.123Z"),
    ],
)
def test_accepts_every_ocpi_form_and_prints_utc_with_z(text: str, expected: str) -> None:
    value = DateTime.parse(text)
    assert value.to_ocpi() == expected
    assert len(value.to_ocpi()) <= 25


@pytest.mark.parametrize(
    "text", ["2015-06-29T20:39:09+00:00", "2015-06-29T22:39:09+02:00", "2015-06-29 20:39:09", "2015-06-29", "0", ""]
)
def test_rejects_offsets_and_other_shapes(text: str) -> None:
    with pytest.raises(ValueError, match="not an OCPI DateTime"):
        DateTime.parse(text)


def test_wire_models_decode_strictly_and_encode_in_ocpi_form() -> None:
    decoder = msgspec.json.Decoder(ClientInfo, dec_hook=dec_hook)
    good = (
        b'{"party_id":"ABC","country_code":"NL","role":"CPO","status":"CONNECTED","last_updated":"2020-01-01T00:00:00"}'
    )
    info = decoder.decode(good)
    assert msgspec.json.encode(info, enc_hook=enc_hook).endswith(b'"last_updated":"2020-01-01T00:00:00Z"}')
    for bad in (b"0", b'"2020-01-01T00:00:00+00:00"'):
        with pytest.raises(msgspec.ValidationError, match=r"last_updated"):
            decoder.decode(good.replace(b'"2020-01-01T00:00:00"', bad))


def test_unknown_fields_are_tolerated() -> None:
    decoder = msgspec.json.Decoder(ClientInfo, dec_hook=dec_hook)
    body = (
        b'{"party_id":"ABC","country_code":"NL","role":"CPO","status":"CONNECTED",'
        b'"last_updated":"2020-01-01T00:00:00Z","brand_new_field":{"x":[1]}}'
    )
    assert decoder.decode(body).party_id == "ABC"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0999-12-31T00:00:00Z", "0999-12-31T00:00:00Z"), ("0001-01-01T00:00:00", "0001-01-01T00:00:00Z")],
)
def test_years_before_1000_keep_four_digits(text: str, expected: str) -> None:
    assert DateTime.parse(text).to_ocpi() == expected


def test_sortable_text_orders_like_time_across_the_year_1000() -> None:
    early, late = DateTime.parse("0999-12-31T23:59:59Z"), DateTime.parse("1000-01-01T00:00:00Z")
    assert sortable(early) == "0999-12-31T23:59:59.000000"
    assert sortable(late, zulu=True) == "1000-01-01T00:00:00.000000Z"
    assert sortable(early) < sortable(late)
