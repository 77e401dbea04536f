"""How the stores that keep moments as text read a claim's rows (``store/outbox.Moments``): each text parsed once, the
moment shared by the rows read together, and a text that is no moment refused as before."""

from __future__ import annotations

import pytest

from reference_hub.ocpi.datetime import DateTime
from reference_hub.store.outbox import Moments


def test_moments_parse_each_text_once_and_share_the_moment() -> None:
    moments = Moments()
    first = moments["2024-03-01T10:00:00.000000"]
    assert first == DateTime.parse("2024-03-01T10:00:00Z")
    assert isinstance(first, DateTime)
    assert moments["2024-03-01T10:00:00.000000"] is first  # the next row of the same push reuses it
    assert moments["2024-03-01T10:00:01.500000"] == DateTime.parse("2024-03-01T10:00:01.5Z")
    assert len(moments) == 2


def test_moments_refuse_what_is_no_moment_and_keep_nothing_of_it() -> None:
    moments = Moments()
    with pytest.raises(ValueError, match="not an OCPI DateTime"):
        moments["yesterday"]
    assert "yesterday" not in moments
