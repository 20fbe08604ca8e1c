"""Row 7 of issue 10 (reactions and mentions from a friend or a throwaway) and other social farms.

Observed on main: a friend (or a throwaway account you invited) reacting 50 times with `:a1:`,
`:a2:`, ... unlocks the "reactions received" achievements; counters never decay; editing a comment
re-sends its mentions.

Ceilings (plan, "once per thing"): a reaction earns XP, given and received, only for the first reaction
of that person on that task or comment (any emoji; removing and re-adding earns nothing); a mention only
once per (comment, mentioned person), edits never re-award it; the reactions/mentions achievement metrics
count distinct (person, thing) pairs, each other person at most DISTINCT_PER_PERSON; the social families
are capped per day like the rest (DAILY_CAPS); reacting to or mentioning yourself earns nothing.
"""

from __future__ import annotations

from tests.fairplay.ceilings import (
    DAILY_CAPS,
    DISTINCT_PER_PERSON,
    MENTION_GIVEN,
    MENTION_RECEIVED,
    REACTION_GIVEN,
    REACTION_RECEIVED,
    family_daily_ceiling,
)
from tests.fairplay.farms import MentionMagnet, ReactionMagnet, play_days, play_hour
from tests.fairplay.play import (
    EMOJI,
    SHORTCODES,
    World,
    at,
    awards,
    comment,
    counters,
    crew,
    edit_comment,
    new_task,
    positive,
    react,
    unlocked,
    unreact,
    xp,
)


async def test_reactions_count_distinct_people_and_things(world: World) -> None:
    farm = ReactionMagnet(reactions=50)
    await farm.setup(world)
    alice, bob, tom = farm.farmer, farm.friend, farm.throwaway
    await world.clock.settle(0, 8)
    await play_hour(world, [farm], 0, 9)  # Alice comments
    await play_hour(world, [farm], 0, 11)  # Bob and Tom: 50 different emoji each on that one comment
    problems: list[str] = []

    received = positive(await awards(world.engine, alice, "reaction.added"))
    given = {p.name: sum(positive(await awards(world.engine, p, "reaction.added"))) for p in (bob, tom)}
    metric = (await counters(world.engine, alice)).get("reactions_received", 0)
    pairs = 2  # (Bob, the comment) and (Tom, the comment)
    if not (
        len(received) <= pairs
        and sum(received) <= pairs * REACTION_RECEIVED
        and metric <= pairs
        and all(g <= REACTION_GIVEN for g in given.values())
    ):
        problems.append(
            f"100 reactions by 2 people on 1 comment: Alice received {sum(received)} XP in {len(received)} "
            f"awards (at most {pairs} x {REACTION_RECEIVED}), reactions_received metric {metric} (at most "
            f"{pairs}); given {given} (at most {REACTION_GIVEN} each)"
        )

    # Across comments: 12 more of Alice's comments, each reacted to once by Bob and once by Tom.
    more = [await comment(world.client, alice, farm.task["id"], f"Part {i}") for i in range(12)]
    for i, c in enumerate(more):
        await react(world.client, bob, "comments", c["id"], SHORTCODES[i])
        await react(world.client, tom, "comments", c["id"], EMOJI[i])
    await world.clock.settle(0, 14)
    metric = (await counters(world.engine, alice)).get("reactions_received", 0)
    received_xp = await xp(world.engine, alice, "reaction.added")
    bob_xp = await xp(world.engine, bob, "reaction.added")
    crowd_favourite = "reactions_received_50" in await unlocked(world.engine, alice)
    if (
        metric > 2 * DISTINCT_PER_PERSON
        or crowd_favourite
        or received_xp > family_daily_ceiling("reactions_received")
        or bob_xp > family_daily_ceiling("reactions_given")
    ):
        problems.append(
            f"then 24 more on 12 comments: metric {metric} (at most {2 * DISTINCT_PER_PERSON}), Crowd Favourite "
            f"{'unlocked' if crowd_favourite else 'locked'}, Alice's reaction XP {received_xp} (ceiling "
            f"{family_daily_ceiling('reactions_received')}), Bob's {bob_xp} (ceiling "
            f"{family_daily_ceiling('reactions_given')})"
        )

    # Removing and re-adding: nothing, for anyone.
    for _ in range(3):
        await unreact(world.client, bob, "comments", more[0]["id"], SHORTCODES[0])
        await react(world.client, bob, "comments", more[0]["id"], SHORTCODES[0])
        await unreact(world.client, tom, "comments", more[1]["id"], EMOJI[1])
        await react(world.client, tom, "comments", more[1]["id"], EMOJI[1])
    await world.clock.settle(0, 16)
    late = world.clock.at(0, 16)
    readded = {
        p.name: sum(
            int(r["delta"])
            for r in await awards(world.engine, p, "reaction.added")
            if r["occurred_at"] >= late
        )
        for p in (alice, bob, tom)
    }
    if any(readded.values()):
        problems.append(f"3 x remove and re-add by each: {readded} XP")
    assert not problems, "; ".join(problems)


async def test_editing_a_comment_never_re_awards_its_mentions(world: World) -> None:
    team = await crew(world.client, "Alice Author", "Bob Mentioned")
    alice, bob = team.people
    task = await new_task(world.client, team.project_id, alice, "Review me")
    note = await comment(world.client, alice, task["id"], f"Can you check this, {at(bob)}?")
    for _ in range(5):  # take the mention out and put it back, five times
        await edit_comment(world.client, alice, note["id"], "Can you check this?")
        await edit_comment(world.client, alice, note["id"], f"Can you check this, {at(bob)}?")
    await world.clock.settle(0, 9)

    got = (
        await xp(world.engine, bob, "mention.created"),
        await xp(world.engine, alice, "mention.created"),
        (await counters(world.engine, bob)).get("mentions_received", 0),
    )
    assert got == (MENTION_RECEIVED, MENTION_GIVEN, 1), (
        f"one mention, edited in and out 5 times: Bob received {got[0]} XP (metric {got[2]}), Alice gave {got[1]}"
    )


async def test_reacting_to_and_mentioning_yourself_earns_nothing(world: World) -> None:
    team = await crew(world.client, "Selma Self")
    me = team.owner
    task = await new_task(world.client, team.project_id, me, "Mine")
    note = await comment(world.client, me, task["id"], f"Note to self, {at(me)}")
    for i in range(20):
        await react(world.client, me, "comments", note["id"], SHORTCODES[i])
        await react(world.client, me, "tasks", task["id"], EMOJI[i])
    await world.clock.settle(0, 9)
    social = await xp(world.engine, me, "reaction.added", "mention.created")
    metrics = await counters(world.engine, me)
    assert social == 0
    assert not {"reactions_received", "reactions_given", "mentions_received", "mentions_given"} & {
        k for k, v in metrics.items() if v
    }


async def test_a_ring_of_throwaways_mentioning_you_is_capped(world: World) -> None:
    farm = MentionMagnet(throwaways=5, each=3)  # 15 mentions of Mia in 15 comments by 5 invited accounts
    await play_days(world, [farm])
    received = positive(await awards(world.engine, farm.farmer, "mention.created"))
    ceiling = family_daily_ceiling("mentions_received")
    assert sum(received) <= ceiling and len(received) <= DAILY_CAPS["mentions_received"], (
        f"Mia received {sum(received)} XP in {len(received)} mention awards (ceiling {ceiling})"
    )
