"""One board's ranking in memory, and the slices a read returns. Pure: no I/O.

A `Ranking` holds every current member of a workspace for one window, in rank order (XP descending, then
whoever reached their XP first, then user id), the opted-out included. What a viewer sees is derived
from it at read time, so one cached list answers every viewer and every team of the workspace:

- the opted-out are left out of everyone's board but their own (ranks close up; an opted-out viewer is
  put back at their place, and the members below them move down one);
- a team board is the team's current members, in the workspace's order, ranked 1..n.

XP awarded after the list was filled is added in place (`Ranking.credit`): each member whose XP or time
moved is taken out and put back at its new place, so the list stays in the order a new fill would give.
Nothing keeps positions: a member's place is found by bisecting on their rank key, so a move costs two
bisections whatever the list's size.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left, insort
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, NamedTuple


class Standing(NamedTuple):
    """One member's standing. A `Ranking` keeps these as plain tuples of atomic values (the user id as an
    integer): the garbage collector stops tracking such tuples (not tuple subclasses), so hundreds of
    thousands of cached members add little to its full passes (measured with 300,000 cached members:
    ~160 ms per full pass as objects, ~30 ms as plain tuples)."""

    user_key: int  # uuid.UUID(...).int
    name: str
    joined_at: datetime
    opted_out: bool
    xp: int
    reached_at: datetime | None

    @property
    def user_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.user_key)


@dataclass(frozen=True, slots=True)
class Ranked:
    rank: int
    standing: Standing


@dataclass(frozen=True)
class BoardView:
    total: int
    page: list[Ranked]
    me: Ranked | None
    around_me: list[Ranked]


# How a `Ranking` keeps a Standing: the same fields in a plain tuple (see `Standing`).
Row = tuple[int, str, datetime, bool, int, datetime | None]
_KEY: Final = 0
_OPTED_OUT: Final = 3
_XP: Final = 4
_REACHED: Final = 5
_NEVER: Final = datetime.min.replace(tzinfo=UTC)  # stands in for "no XP yet" (sorted last by the flag)

# What a member earned since the list was filled: (XP to add, when the latest of it was earned).
Credit = tuple[int, datetime]


def rank_key(row: Row) -> tuple[int, bool, datetime, int]:
    """The fill's order (`repository._RANKING`): XP descending, then whoever reached it first (members
    without a time last), then the user id (PostgreSQL compares uuids bytewise, as their integers order)."""
    reached = row[_REACHED]
    return (-row[_XP], reached is None, reached or _NEVER, row[_KEY])


def _move(rows: list[Row], old: Row, new: Row) -> None:
    """Replace `old` by `new` in the sorted `rows`, at the place `new`'s rank key gives (two bisections and
    two memory moves: no other row is touched)."""
    del rows[bisect_left(rows, rank_key(old), key=rank_key)]
    insort(rows, new, key=rank_key)


class Ranking:
    """Every member in rank order (`rows`), the visible ones (not opted out) in the same order, and each
    member's row by user id. A member's place is found by bisecting on their rank key, so moving one member
    (`credit`) touches nothing but that member."""

    def __init__(self, members: Sequence[Standing], computed_at: datetime | None) -> None:
        self.computed_at = computed_at
        # Sorted here too: the fill returns this order, and the bisections below rely on it exactly.
        self.rows: list[Row] = sorted((tuple.__new__(tuple, m) for m in members), key=rank_key)
        # Keyed by the integer user id: dictionaries of atomic values aren't tracked either.
        self.row_of: dict[int, Row] = {r[_KEY]: r for r in self.rows}
        self.visible = [r for r in self.rows if not r[_OPTED_OUT]]

    def __len__(self) -> int:
        return len(self.rows)

    def credit(self, credits: Mapping[int, Credit]) -> int:
        """Add XP earned since the fill: per member (by `user_key`) the XP to add and when the latest of it
        was earned (their `reached_at` becomes the later of the two, as the views' max would). Members not
        on the list (no longer, or not yet, members) are ignored. Returns how many members it touched."""
        touched = 0
        for key, (xp, at) in credits.items():
            row = self.row_of.get(key)
            if row is None:
                continue
            reached = row[_REACHED]
            new = (*row[:_XP], row[_XP] + xp, at if reached is None or at > reached else reached)
            _move(self.rows, row, new)
            if not row[_OPTED_OUT]:
                _move(self.visible, row, new)
            self.row_of[key] = new
            touched += 1
        return touched

    @property
    def members(self) -> list[Standing]:
        """Every member in rank order, the opted-out included."""
        return [Standing._make(r) for r in self.rows]

    def board_for(
        self, viewer_id: uuid.UUID, team: Collection[uuid.UUID] | None = None
    ) -> tuple[list[Row], int | None]:
        """The board `viewer_id` sees and the viewer's index in it (None when not on it)."""
        viewer = viewer_id.int
        me = self.row_of.get(viewer)
        if team is None:
            if me is None:
                return self.visible, None
            place = bisect_left(self.visible, rank_key(me), key=rank_key)  # where they are, or would be
            if me[_OPTED_OUT]:
                return [*self.visible[:place], me, *self.visible[place:]], place
            return self.visible, place
        rows = sorted(
            (r for u in team if (r := self.row_of.get(u.int)) is not None and (r is me or not r[_OPTED_OUT])),
            key=rank_key,
        )
        mine = next((i for i, r in enumerate(rows) if r is me), None)
        return rows, mine

    def view(
        self,
        viewer_id: uuid.UUID,
        *,
        team: Collection[uuid.UUID] | None,
        offset: int,
        limit: int,
        around: int,
    ) -> BoardView:
        """Page `offset`..`offset + limit` and the viewer's neighbourhood (`around` above and below)."""
        rows, mine = self.board_for(viewer_id, team)

        def ranked(start: int, stop: int) -> list[Ranked]:
            return [
                Ranked(i + 1, Standing._make(rows[i])) for i in range(max(0, start), min(len(rows), stop))
            ]

        page = ranked(offset, offset + limit)
        if mine is None:
            return BoardView(len(rows), page, None, [])
        return BoardView(
            len(rows),
            page,
            Ranked(mine + 1, Standing._make(rows[mine])),
            ranked(mine - around, mine + around + 1),
        )
