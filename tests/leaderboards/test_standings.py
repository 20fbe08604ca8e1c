"""The in-memory ranking's slices (pure): what each viewer and team sees of one cached list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from magictask.leaderboards.standings import Ranked, Ranking, Standing, rank_key

JOINED = datetime(2026, 1, 1, tzinfo=UTC)


def member(n: int, xp: int, *, opted_out: bool = False) -> Standing:
    return Standing(n, f"m{n}", JOINED, opted_out, xp, JOINED if xp else None)


# In rank order, as the query returns them: m1 and m3 opted out.
MEMBERS = [
    member(1, 90, opted_out=True),
    member(2, 80),
    member(3, 70, opted_out=True),
    member(4, 60),
    member(5, 0),
]
RANKING = Ranking(MEMBERS, None)


def names(rows: list[Ranked]) -> list[tuple[int, str]]:
    return [(r.rank, r.standing.name) for r in rows]


def test_others_never_see_the_opted_out_and_ranks_close_up() -> None:
    view = RANKING.view(uuid.UUID(int=4), team=None, offset=0, limit=10, around=1)
    assert names(view.page) == [(1, "m2"), (2, "m4"), (3, "m5")]
    assert view.total == 3 and view.me is not None and view.me.rank == 2
    assert names(view.around_me) == [(1, "m2"), (2, "m4"), (3, "m5")]


def test_an_opted_out_viewer_sees_themselves_at_their_place() -> None:
    view = RANKING.view(uuid.UUID(int=3), team=None, offset=0, limit=10, around=1)
    assert names(view.page) == [(1, "m2"), (2, "m3"), (3, "m4"), (4, "m5")]
    assert view.total == 4 and view.me is not None and view.me.rank == 2
    top = RANKING.view(uuid.UUID(int=1), team=None, offset=0, limit=2, around=0)
    assert names(top.page) == [(1, "m1"), (2, "m2")] and top.total == 4


def test_pages_and_the_neighbourhood_at_the_edges() -> None:
    view = RANKING.view(uuid.UUID(int=5), team=None, offset=1, limit=1, around=2)
    assert names(view.page) == [(2, "m4")]
    assert names(view.around_me) == [(1, "m2"), (2, "m4"), (3, "m5")]
    beyond = RANKING.view(uuid.UUID(int=2), team=None, offset=50, limit=10, around=1)
    assert beyond.page == [] and beyond.me is not None and beyond.me.rank == 1


def test_a_team_board_is_its_members_in_the_workspace_order() -> None:
    team = {uuid.UUID(int=n) for n in (5, 3, 2, 99)}  # 99: not (or no longer) a member of the workspace
    theirs = RANKING.view(uuid.UUID(int=4), team=team, offset=0, limit=10, around=1)
    assert names(theirs.page) == [(1, "m2"), (2, "m5")] and theirs.me is None and theirs.around_me == []
    own = RANKING.view(uuid.UUID(int=3), team=team, offset=0, limit=10, around=1)
    assert names(own.page) == [(1, "m2"), (2, "m3"), (3, "m5")] and own.me is not None and own.me.rank == 2


def test_a_viewer_not_on_the_board() -> None:
    view = RANKING.view(uuid.UUID(int=42), team=None, offset=0, limit=2, around=1)
    assert view.me is None and view.around_me == [] and view.total == 3


def test_cached_members_are_invisible_to_the_garbage_collector() -> None:
    import gc

    ranking = Ranking([member(n, 100 - n) for n in range(1, 200)], JOINED)
    gc.collect()
    assert not any(gc.is_tracked(r) for r in ranking.rows)
    assert not gc.is_tracked(ranking.row_of)
    assert ranking.members[0].user_id == uuid.UUID(int=1)


# ---- XP earned after the fill: members move to the place a new fill would give them ----------------------

_members = st.lists(st.tuples(st.integers(0, 30), st.booleans(), st.integers(0, 5)), min_size=1, max_size=25)
_credits = st.lists(
    st.tuples(st.integers(0, 30), st.integers(-20, 20), st.integers(0, 8)), min_size=0, max_size=40
)


def _at(minutes: int) -> datetime:
    return JOINED + timedelta(minutes=minutes)


def _filled(members: list[Standing]) -> Ranking:
    """What a fill returns: the members in the SQL order (reversed here: the ranking sorts them itself)."""
    return Ranking(sorted(members, key=lambda m: rank_key(tuple(m)), reverse=True), JOINED)


@settings(max_examples=300, deadline=None)
@given(_members, _credits)
def test_credited_xp_ranks_as_a_new_fill_would(
    members: list[tuple[int, bool, int]], credits: list[tuple[int, int, int]]
) -> None:
    by_key = {}
    for n, (xp, opted_out, minute) in enumerate(members, start=1):
        by_key[n] = Standing(n, f"m{n}", JOINED, opted_out, xp, _at(minute) if xp else None)
    ranking = _filled(list(by_key.values()))
    # Credits arrive in batches (one per changed ledger head); some are for people who aren't members.
    for start in range(0, len(credits), 7):
        batch: dict[int, tuple[int, datetime]] = {}
        for who, xp, minute in credits[start : start + 7]:
            got = batch.get(who)
            at = _at(minute) if got is None else max(got[1], _at(minute))
            batch[who] = ((got[0] if got else 0) + xp, at)
            if who in by_key:
                m = by_key[who]
                reached = at if m.reached_at is None or at > m.reached_at else m.reached_at
                by_key[who] = m._replace(xp=m.xp + xp, reached_at=reached)
        ranking.credit(batch)
    expected = _filled(list(by_key.values()))
    assert ranking.rows == expected.rows
    assert ranking.visible == expected.visible
    assert ranking.row_of == expected.row_of
    team = [uuid.UUID(int=n) for n in list(by_key)[::2]]
    for viewer in [uuid.UUID(int=n) for n in by_key] + [uuid.UUID(int=99)]:
        for of_team in (None, team):
            assert ranking.board_for(viewer, of_team) == expected.board_for(viewer, of_team)


def test_a_credit_moves_one_member_and_leaves_the_others_in_order() -> None:
    ranking = Ranking(MEMBERS, None)
    assert ranking.credit({5: (85, _at(3)), 42: (1000, _at(1))}) == 1  # 42 is not a member
    view = ranking.view(uuid.UUID(int=5), team=None, offset=0, limit=10, around=0)
    assert names(view.page) == [(1, "m5"), (2, "m2"), (3, "m4")]
    assert view.me is not None and view.me.standing.xp == 85 and view.me.standing.reached_at == _at(3)
    # The opted-out m3 (70) now has two visible members above them.
    assert names(ranking.view(uuid.UUID(int=3), team=None, offset=0, limit=10, around=0).page)[2] == (3, "m3")
