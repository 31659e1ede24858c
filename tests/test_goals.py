"""Goals end to end through the app and the fake connector, on both databases: adding by
form and by command, listing, editing, done with a shout-out, dropping, sharing with a
mentor or a coffee partner, privacy against other members and forged card values, and
bad input that must change nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storage.models import Goal, GoalShare
from tests.fakes.teams import TeamsUser
from tests.goalkit import (
    MENTEE,
    MENTOR,
    OTHER,
    PARTNER,
    TEAM,
    coffee_group,
    inputs,
    install,
    last_card,
    mentorship,
    met,
    say,
    submit,
)
from tests.inbox import count, inbox, keyed, my_data, submits

TOM, MIA, EVE, CAL = MENTEE, MENTOR, OTHER, PARTNER


def form(**values):
    return {
        "action": "goal_save",
        "goal": 0,
        "title": "Lead a design review",
        "why": "I want to grow as a reviewer",
        "measure": "Two reviews led by March",
        "target": "2027-03-31",
    } | values


async def goals_of(bot, person: TeamsUser) -> list[Goal]:
    async with bot.db.unit() as repos:
        user = await repos.users.by_teams_id(person.id)
        return await repos.goals.goals_of(user.id)


async def snapshot(bot) -> list[tuple]:
    """Every goal and share, as plain values (to prove that nothing changed)."""
    async with bot.db.unit() as repos:
        goals = (await repos.session.scalars(select(Goal).order_by(Goal.id))).all()
        shares = (await repos.session.scalars(select(GoalShare).order_by(GoalShare.id))).all()
        return [
            (g.id, g.user_id, g.number, g.title, g.why, g.target_on, g.progress, g.status)
            for g in goals
        ] + [(s.goal_id, s.user_id) for s in shares]


async def test_add_list_edit_done_with_a_shout_out_and_drop(bot):
    await install(bot, TOM, MIA)
    reply = await say(bot, TOM, "goal add")
    (saved,) = submits(last_card(bot, TOM), "goal_save")
    assert saved == {"action": "goal_save", "goal": 0}
    reply = await submit(bot, TOM, form())
    assert "Added goal #1: **Lead a design review** (target 2027-03-31)" in reply
    assert "It's private" in reply
    # The first goal turns check-ins on, at the defaults, in the member's zone.
    assert "every Monday at 09:00 (Europe/Berlin, from Teams)" in reply
    reply = await say(
        bot, TOM, 'goal add Speak at the all-hands target=2026-12-04 why="confidence, finally"'
    )
    assert "Added goal #2: **Speak at the all-hands** (target 2026-12-04)" in reply
    assert "check in" not in reply  # told once, with the first goal

    listing = await say(bot, TOM, "goals")
    assert (
        "**#1 Lead a design review**: 0%, on track, 130 days to go (target 2027-03-31), "
        "last update 21 Nov 2026; private" in listing
    )
    assert "**#2 Speak at the all-hands**: 0%, on track, 13 days to go" in listing
    detail = await say(bot, TOM, "goal 2")
    assert "Why it matters: confidence, finally" in detail

    # A title alone opens the form with the title filled in.
    await say(bot, TOM, "goal add Learn to juggle")
    assert inputs(last_card(bot, TOM))["title"] == "Learn to juggle"
    assert len(await goals_of(bot, TOM)) == 2

    await say(bot, TOM, "goal edit 1")
    card = last_card(bot, TOM)
    assert inputs(card)["title"] == "Lead a design review"
    assert inputs(card)["target"] == "2027-03-31"
    (data,) = submits(card, "goal_save")
    reply = await submit(bot, TOM, form(goal=data["goal"], title="Lead two design reviews"))
    assert "Saved goal #1: **Lead two design reviews**" in reply

    bot.clock.advance(days=2)
    reply = await say(bot, TOM, "goal done 2")
    done = last_card(bot, TOM)
    assert "You did it: Speak at the all-hands" in json.dumps(done.cards)
    (shout,) = submits(done, "goal_shoutout")
    team_choice = inputs(done)["team"]
    before = len(bot.connector.messages(TEAM.id))
    reply = await submit(bot, TOM, shout | {"team": team_choice})
    assert "Posted in Growth Guild" in reply
    posted = bot.connector.messages(TEAM.id)[before:]
    assert [m.text for m in posted] == [
        "🎉 Shout-out: Tom Mentee reached a goal: **Speak at the all-hands**. Congratulations!"
    ]
    assert "confidence" not in json.dumps([m.body for m in posted])
    assert "seen this one already" in await submit(bot, TOM, shout | {"team": team_choice})
    assert len(bot.connector.messages(TEAM.id)) == before + 1

    reply = await say(bot, TOM, "goal drop 1")
    assert "Dropped goal #1" in reply
    listing = await say(bot, TOM, "goals")
    assert "no open goals" in listing
    assert "#1 Lead two design reviews (dropped), #2 Speak at the all-hands (done ✅)" in listing
    assert "is dropped already" in await say(bot, TOM, "goal done 1")
    statuses = [(g.number, g.status, g.progress) for g in await goals_of(bot, TOM)]
    assert statuses == [(1, "dropped", 0), (2, "done", 100)]


BAD_FORMS = [
    ({"target": "2026-11-20"}, "is in the past (today is 2026-11-21)"),
    ({"title": "   "}, "Please give your goal a title"),
    ({"title": None}, "Please give your goal a title"),
    ({"title": "x" * 121}, "The title is 121 characters; at most 120 fit"),
    ({"target": "next spring"}, "must be a date like 2027-03-31 (you entered 'next spring')"),
    ({"target": ""}, "must be a date like 2027-03-31."),
    ({"why": ["a", "list"]}, "Why it matters must be text"),
    ({"measure": "m" * 501}, "How success is measured is 501 characters"),
]


@pytest.mark.parametrize(("change", "message"), BAD_FORMS)
async def test_bad_goal_forms_get_a_clear_message_and_change_nothing(bot, change, message):
    await say(bot, TOM, "hello")
    await submit(bot, TOM, form(title="Existing goal"))
    before = await snapshot(bot)
    reply = await submit(bot, TOM, form(**change))
    assert message in reply and "Nothing was saved" in reply, reply
    (goal,) = await goals_of(bot, TOM)
    reply = await submit(bot, TOM, form(goal=goal.id, **change))  # editing: the same rules
    assert message in reply and "Nothing was saved" in reply, reply
    assert await snapshot(bot) == before


async def test_bad_commands_and_forged_goal_ids_change_nothing(bot):
    await install(bot, TOM, EVE)
    await submit(bot, TOM, form(title="Tom's own goal"))
    await submit(bot, EVE, form(title="Eve's goal"))
    (toms,) = await goals_of(bot, TOM)
    before, posts = await snapshot(bot), len(bot.connector.messages(TEAM.id))
    cases = [
        (TOM, "goal add Run a marathon target=2026-01-01", "is in the past"),
        (TOM, "goal done 7", "You have no goal #7 to mark done"),
        (TOM, "goal edit", "You have no goal to edit"),
        (TOM, "goal drop two", "You have no goal #two to drop"),
        (TOM, "goal share 1", "you don't have one right now"),
        (TOM, "goal unshare 1", "isn't shared with anyone"),
        (EVE, "goal done 2", "You have no goal #2"),  # Tom's goal has his number 1 only
    ]
    for person, text, message in cases:
        reply = await say(bot, person, text)
        assert message in reply and "Nothing" in reply, (text, reply)
    forged = [
        {"action": "goal_save", "goal": toms.id, "title": "Hijacked", "target": "2027-01-01"},
        {"action": "goal_save", "goal": "abc", "title": "Hijacked", "target": "2027-01-01"},
        {"action": "goal_save", "goal": [toms.id], "title": "Hijacked", "target": "2027-01-01"},
        {"action": "goal_save", "goal": 99999, "title": "Hijacked", "target": "2027-01-01"},
        {"action": "goal_save", "goal": 10**20, "title": "Hijacked", "target": "2027-01-01"},
        {"action": "goal_save", "goal": -1, "title": "Hijacked", "target": "2027-01-01"},
        {"action": "goal_shoutout", "goal": toms.id, "team": "1"},
    ]
    for value in forged:
        reply = await submit(bot, EVE, value)
        assert "can't find that goal of yours" in reply and "Nothing" in reply, (value, reply)
    assert "didn't understand that card" in await submit(bot, EVE, "goal_save")
    assert "didn't understand that card" in await submit(bot, EVE, {"goal": toms.id})
    assert await snapshot(bot) == before
    # The shout-out only ever goes to one of the owner's own teams, for a goal that is done.
    assert "isn't done yet" in await submit(bot, TOM, {"action": "goal_shoutout", "goal": toms.id})
    await say(bot, TOM, "goal done 1")
    reply = await submit(bot, TOM, {"action": "goal_shoutout", "goal": toms.id, "team": "999"})
    assert "pick one of your teams" in reply and "Nothing was posted" in reply
    assert len(bot.connector.messages(TEAM.id)) == posts


async def test_quick_add_takes_the_title_as_typed_or_as_an_option(bot):
    reply = await say(bot, TOM, "goal add Don't panic: ship v2 target=2027-01-04")
    assert "Added goal #1: **Don't panic: ship v2**" in reply
    typed = 'goal add title="Mentor\'s pick" target=2027-01-04 measure="3 talks"'
    reply = await say(bot, TOM, typed)
    assert "Added goal #2: **Mentor's pick**" in reply
    assert "How I'll know: 3 talks" in await say(bot, TOM, "goal 2")


async def test_ten_open_goals_at_most(bot):
    await say(bot, TOM, "hello")
    for n in range(10):
        assert "Added goal" in await submit(bot, TOM, form(title=f"Goal {n}"))
    reply = await submit(bot, TOM, form(title="One too many"))
    assert "You have 10 open goals already" in reply
    assert "You have 10 open goals already" in await say(bot, TOM, "goal add")
    await say(bot, TOM, "goal done 3")
    assert "Added goal #11" in await submit(bot, TOM, form(title="Now it fits"))


async def test_only_shared_goals_reach_the_mentor_and_nobody_else_sees_any(bot):
    await install(bot, TOM, MIA, EVE)
    await say(bot, MIA, "hello")
    await mentorship(bot)
    await submit(bot, TOM, form(title="Shared: public speaking"))
    await submit(bot, TOM, form(title="Private: change teams", why="secret reasons"))
    reply = await say(bot, TOM, "goal share 1")
    assert "Shared goal #1 with Mia Mentor (your mentor)" in reply
    assert "shared with Mia Mentor already" in await say(bot, TOM, "goal share 1 Mia")
    (note,) = keyed(bot, MIA, "goalshared:")
    assert "Tom Mentee shared a goal with you: **Shared: public speaking**" in note.text

    mias = await say(bot, MIA, "goals")
    assert "**Shared with you**" in mias
    assert "Tom Mentee (your mentee): **Shared: public speaking**: 0%, on track" in mias
    assert "change teams" not in mias and "secret" not in mias
    # Every way Mia or Eve could look: only their own (empty) goals.
    for person in (MIA, EVE):
        seen = "".join(
            [
                await say(bot, person, "goal 1"),
                await say(bot, person, "goal 2"),
                await say(bot, person, "checkins"),
                await say(bot, person, "checkins 2"),
                await say(bot, person, "goal edit 2"),
                json.dumps(await my_data(bot, person)),
            ]
        )
        seen += json.dumps([m.cards for m in inbox(bot, person)])
        assert "change teams" not in seen and "secret reasons" not in seen, person
    assert "Shared with you" not in await say(bot, EVE, "goals")
    assert "public speaking" not in await say(bot, EVE, "goals")

    listing = await say(bot, TOM, "goals")
    assert "**#1 Shared: public speaking**" in listing and "; shared with Mia Mentor" in listing
    assert "**#2 Private: change teams**" in listing and "; private" in listing
    assert "no longer shared with Mia Mentor" in await say(bot, TOM, "goal unshare 1")
    assert "Shared with you" not in await say(bot, MIA, "goals")

    # A shared goal stays visible only while the two are still paired.
    await say(bot, TOM, "goal share 1")
    assert "Shared with you" in await say(bot, MIA, "goals")
    await say(bot, TOM, "end mentoring Mia")
    after = await say(bot, MIA, "goals")
    assert "You have no open goals" in after and "Shared with you" not in after


async def test_coffee_partners_share_once_both_said_they_met(bot):
    await install(bot, TOM, CAL, EVE)
    await submit(bot, TOM, form(title="Run a 10k"))
    group = await coffee_group(bot, TOM, CAL)
    assert "Glad you met" in await met(bot, TOM, group)
    assert "you don't have one right now" in await say(bot, TOM, "goal share 1")
    await met(bot, CAL, group, "no")
    assert "you don't have one right now" in await say(bot, TOM, "goal share 1")
    await met(bot, CAL, group, "yes")
    reply = await say(bot, TOM, "goal share 1")
    assert "Shared goal #1 with Cal Coffee (your coffee partner)" in reply
    assert "Tom Mentee (your coffee partner): **Run a 10k**" in await say(bot, CAL, "goals")
    assert await count(bot, GoalShare) == 1
    # With two partners, the name decides.
    eve_group = await coffee_group(bot, TOM, EVE)
    await met(bot, TOM, eve_group)
    await met(bot, EVE, eve_group)
    await submit(bot, TOM, form(title="Read more"))
    assert "With whom?" in await say(bot, TOM, "goal share 2")
    assert "Shared goal #2 with Eve Elsewhere" in await say(bot, TOM, "goal share 2 eve")
    assert "Read more" not in await say(bot, CAL, "goals")
