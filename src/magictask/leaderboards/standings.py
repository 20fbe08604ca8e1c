"""One board's ranking in memory, and the slices a read returns. Pure: no I/O.

A `Ranking` holds every current member of a workspace for one window, in rank order (XP descending, then
whoever reached their XP first, then user id), the opted-out included. What a viewer sees is derived
from it at read time, so one cached list answers every viewer and every team of the workspace:

- the opted-out are left out of everyone's board but their own (ranks close up; an opted-out viewer is
  put back at their place, and the members below them move down one);
- a team board is the team's current members, in the workspace's order, ranked 1..n.

XP awarded after the list was filled is added in place (`Ranking.credit`): each member whose XP or time
moved is taken out and put back at its new place, so the list stays in the order a new fill would give.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left
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


class Ranking:
    def __init__(self, members: Sequence[Standing], computed_at: datetime | None) -> None:
        self.computed_at = computed_at
        self.rows: list[Row] = [tuple.__new__(tuple, m) for m in members]
        # Keyed by the integer user id: dictionaries of atomic values aren't tracked either.
        self.position = {r[_KEY]: i for i, r in enumerate(self.rows)}
        self.visible = [r for r in self.rows if not r[_OPTED_OUT]]
        self.visible_position = {r[_KEY]: i for i, r in enumerate(self.visible)}
        # An opted-out member's place among the visible: how many of them rank above.
        self.hidden_place: dict[int, int] = {}
        shown = 0
        for r in self.rows:
            if r[_OPTED_OUT]:
                self.hidden_place[r[_KEY]] = shown
            else:
                shown += 1

    def __len__(self) -> int:
        return len(self.rows)

    def credit(self, credits: Mapping[int, Credit]) -> int:
        """Add XP earned since the fill: per member (by `user_key`) the XP to add and when the latest of it
        was earned (their `reached_at` becomes the later of the two, as the views' max would). Members not
        on the list (no longer, or not yet, members) are ignored. Returns how many members it touched."""
        touched = 0
        for key, (xp, at) in credits.items():
            index = self.position.get(key)
            if index is None:
                continue
            row = self.rows[index]
            reached = row[_REACHED]
            new = (*row[:_XP], row[_XP] + xp, at if reached is None or at > reached else reached)
            self._move(self.rows, self.position, index, new)
            if not new[_OPTED_OUT]:
                self._move(self.visible, self.visible_position, self.visible_position[key], new)
            touched += 1
        if touched and self.hidden_place:
            # Few opt out: place each again among the visible (a moved member may have passed them).
            for key in self.hidden_place:
                self.hidden_place[key] = bisect_left(
                    self.visible, rank_key(self.rows[self.position[key]]), key=rank_key
                )
        return touched

    @staticmethod
    def _move(rows: list[Row], position: dict[int, int], index: int, new: Row) -> None:
        """Replace rows[index] by `new` at the place its rank key gives; renumber only the rows between."""
        del rows[index]
        target = bisect_left(rows, rank_key(new), key=rank_key)
        rows.insert(target, new)
        for i in range(min(index, target), max(index, target) + 1):
            position[rows[i][_KEY]] = i

    @property
    def members(self) -> list[Standing]:
        """Every member in rank order, the opted-out included."""
        return [Standing._make(r) for r in self.rows]

    def board_for(
        self, viewer_id: uuid.UUID, team: Collection[uuid.UUID] | None = None
    ) -> tuple[list[Row], int | None]:
        """The board `viewer_id` sees and the viewer's index in it (None when not on it)."""
        viewer = viewer_id.int
        if team is None:
            place = self.hidden_place.get(viewer)
            if place is None:
                return self.visible, self.visible_position.get(viewer)
            me = self.rows[self.position[viewer]]
            return [*self.visible[:place], me, *self.visible[place:]], place
        positions = (self.position.get(u.int) for u in team)
        picks = sorted(
            p
            for p in positions
            if p is not None and (p == self.position.get(viewer) or not self.rows[p][_OPTED_OUT])
        )
        rows = [self.rows[p] for p in picks]
        mine = next((i for i, r in enumerate(rows) if r[_KEY] == viewer), None)
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
