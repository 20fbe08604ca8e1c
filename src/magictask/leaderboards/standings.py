"""One board's ranking in memory, and the slices a read returns. Pure: no I/O.

A `Ranking` holds every current member of a workspace for one window, in rank order (XP descending, then
whoever reached their XP first, then user id), the opted-out included. What a viewer sees is derived
from it at read time, so one cached list answers every viewer and every team of the workspace:

- the opted-out are left out of everyone's board but their own (ranks close up; an opted-out viewer is
  put back at their place, and the members below them move down one);
- a team board is the team's current members, in the workspace's order, ranked 1..n.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Standing:
    user_id: uuid.UUID
    name: str
    joined_at: datetime
    opted_out: bool
    xp: int
    reached_at: datetime | None


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


class Ranking:
    def __init__(self, members: Sequence[Standing], computed_at: datetime | None) -> None:
        self.computed_at = computed_at
        self.members = list(members)
        self.position = {m.user_id: i for i, m in enumerate(self.members)}
        self.visible = [m for m in self.members if not m.opted_out]
        self.visible_position = {m.user_id: i for i, m in enumerate(self.visible)}
        # An opted-out member's place among the visible: how many of them rank above.
        self.hidden_place: dict[uuid.UUID, int] = {}
        shown = 0
        for m in self.members:
            if m.opted_out:
                self.hidden_place[m.user_id] = shown
            else:
                shown += 1

    def __len__(self) -> int:
        return len(self.members)

    def board_for(
        self, viewer_id: uuid.UUID, team: Collection[uuid.UUID] | None = None
    ) -> tuple[Sequence[Standing], int | None]:
        """The board `viewer_id` sees and the viewer's index in it (None when not on it)."""
        if team is None:
            place = self.hidden_place.get(viewer_id)
            if place is None:
                return self.visible, self.visible_position.get(viewer_id)
            me = self.members[self.position[viewer_id]]
            return [*self.visible[:place], me, *self.visible[place:]], place
        picks = sorted(
            self.position[u]
            for u in team
            if u in self.position and (u == viewer_id or not self.members[self.position[u]].opted_out)
        )
        rows = [self.members[p] for p in picks]
        mine = next((i for i, r in enumerate(rows) if r.user_id == viewer_id), None)
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
            return [Ranked(i + 1, rows[i]) for i in range(max(0, start), min(len(rows), stop))]

        page = ranked(offset, offset + limit)
        if mine is None:
            return BoardView(len(rows), page, None, [])
        return BoardView(
            len(rows), page, Ranked(mine + 1, rows[mine]), ranked(mine - around, mine + around + 1)
        )
