"""The outbox's first walk of a bounded claim (``store/outbox.within_room``, ``ClaimWalk``), on plain rows: what it
takes within each receiver's room, when it counts as blocked, and the claims it rests afterwards."""

from __future__ import annotations

from collections.abc import Iterator

from reference_hub.store.outbox import CLAIM_WALK_REST, ClaimWalk, within_room


def _rows(*receivers: str) -> list[tuple[int, str]]:
    return list(enumerate(receivers))


def _receiver(row: tuple[int, str]) -> str:
    return row[1]


def test_the_walk_takes_the_oldest_rows_each_receiver_within_its_room() -> None:
    rows = _rows("A", "A", "A", "B", "C", "B")
    taken, blocked = within_room(rows, _receiver, 4, {"A": 2}, 1)
    assert [n for n, _ in taken] == [0, 1, 3, 4] and not blocked
    taken, blocked = within_room(rows, _receiver, 10, {}, None)  # nobody bounded: the oldest, up to the limit
    assert len(taken) == 6 and not blocked


def test_a_walk_that_passes_over_as_many_rows_as_it_wants_is_blocked_and_reads_no_further() -> None:
    read: list[int] = []

    def walk() -> Iterator[tuple[int, str]]:
        for n, receiver in _rows("BACK", "BACK", "BACK", "X", "Y"):
            read.append(n)
            yield n, receiver

    taken, blocked = within_room(walk(), _receiver, 2, {"BACK": 0}, 4, patience=2)
    assert blocked and taken == [] and read == [0, 1]
    taken, blocked = within_room(_rows("BACK", "BACK", "X"), _receiver, 2, {"BACK": 0}, 4)  # no patience: on
    assert [n for n, _ in taken] == [2] and not blocked


def test_after_a_blocked_walk_the_next_claims_ask_receiver_by_receiver_then_walk_again() -> None:
    walk = ClaimWalk()
    assert walk.worth_trying()
    assert walk.take(_rows("A", "B"), _receiver, 2, {}, 1) == [(0, "A"), (1, "B")]
    assert walk.worth_trying()
    assert walk.take(_rows("A", "A", "A"), _receiver, 2, {"A": 0}, 1) is None  # blocked
    assert [walk.worth_trying() for _ in range(CLAIM_WALK_REST)] == [False] * CLAIM_WALK_REST
    assert walk.worth_trying()
