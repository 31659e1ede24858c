"""Coffee pairing through the app: admin commands, intro and follow-up cards, members'
choices, privacy, and bad input that must change nothing."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

from sqlalchemy import select

from storage.models import DontPair, PairPool, PairRound, PairSeat, Schedule
from tests.fakes import teams
from tests.fakes.connector import Member
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import count, keyed, my_data

ANA = TeamsUser("ana", "Ana Lee")  # installs: an admin
BEN = TeamsUser("ben", "Ben Okafor")
CHLOE = TeamsUser("chloe", "Chloe Martin")
DAN = TeamsUser("dan", "Dan Wu")
TEAM = TeamsTeam("guild", "Data Guild")
PROFILE = {
    "action": "profile_save",
    "role": "coffee",
    "skills_offer": "SQL, Python",
    "skills_want": "public speaking",
    "goals": "Lead a team next year",
    "interests": "climbing, jazz",
    "department": "Data",
    "location": "Berlin",
    "timezone": "Europe/Berlin",
    "languages": "English",
    "meeting_format": "video",
    "meetings_per_month": "2",
}


async def install(bot, members=(ANA, BEN, CHLOE, DAN)):
    roster = [
        Member(m.id, m.name, m.aad, m.email, upn=f"{m.key}@contoso.onmicrosoft.com")
        for m in members
    ]
    bot.connector.set_roster(TEAM.id, roster, TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, TEAM))


async def channel(bot, user, text, mentions=()):
    activity = teams.channel_message(bot.service_url, user, TEAM, text, mentions)
    return (await bot.send(activity))[0]


async def direct(bot, user, text):
    return (await bot.send(teams.personal_message(bot.service_url, user, text)))[0]


async def submit(bot, user, value):
    return await bot.send(teams.card_submit(bot.service_url, user, value))


async def seats(bot) -> list[PairSeat]:
    async with bot.db.unit() as repos:
        return list(await repos.session.scalars(select(PairSeat).order_by(PairSeat.id)))


# --- /pair settings ------------------------------------------------------------------------
async def test_settings_show_defaults_then_change_and_schedule(bot):
    await install(bot)
    text = await channel(bot, ANA, "/pair settings")
    assert "Coffee pairing in Data Guild: off" in text
    assert "Group size: 2" in text and "last 12 rounds" in text and "5 days" in text
    text = await channel(
        bot,
        ANA,
        "/pair settings pairing=on cadence=biweekly day=wed time=9:30 "
        "timezone=America/New_York size=3 history=6 cross_department=on mode=opt-in followup=3",
    )
    assert "Saved" in text and ": on" in text
    assert "every 2 weeks on Wednesday at 09:30 (America/New_York)" in text
    async with bot.db.unit() as repos:
        pool = await repos.session.get(PairPool, 1)
        schedule = await repos.session.scalar(select(Schedule))
    assert (pool.group_size, pool.history_rounds, pool.followup_days) == (3, 6, 3)
    assert pool.cross_department and pool.opt_in
    assert (schedule.job, schedule.cadence, schedule.weekday, schedule.local_time) == (
        "pairing",
        "biweekly",
        2,
        "09:30",
    )
    assert schedule.enabled and schedule.timezone == "America/New_York"


async def test_bad_settings_are_all_reported_and_nothing_changes(bot):
    await install(bot)
    await channel(bot, ANA, "/pair settings pairing=on size=2")
    text = await channel(
        bot, ANA, "/pair settings size=5 time=25:00 timezone=Mars/Base day=funday followup=0"
    )
    assert "Nothing changed" in text
    for named in ("group size", "24-hour time", "IANA time zone", "weekday", "follow-up delay"):
        assert named in text
    text = await channel(bot, ANA, "/pair settings colour=blue")
    assert "doesn't know `colour=`" in text and "Nothing changed" in text
    async with bot.db.unit() as repos:
        pool = await repos.session.get(PairPool, 1)
        schedule = await repos.session.scalar(select(Schedule))
    assert pool.group_size == 2 and pool.followup_days == 5
    assert schedule.local_time == "09:00" and schedule.weekday == 0


async def test_members_cannot_steer_pairing(bot):
    await install(bot)
    for command in ("/pair settings size=3", "/pair now", "/pair preview", "/lottery host=@ana"):
        text = await channel(bot, BEN, command)
        assert "for admins of Data Guild" in text and "Nothing changed" in text
    assert await count(bot, PairRound) == 0
    assert await count(bot, PairPool) == 0


# --- rounds ----------------------------------------------------------------------------------
async def test_preview_sends_nothing_and_now_introduces_everyone(bot):
    await install(bot)
    before = len(bot.connector.messages())
    text = await channel(bot, ANA, "/pair preview")
    assert "Preview for Data Guild (nothing was sent)" in text and "4 people in 2 groups" in text
    await bot.settle()
    assert len(bot.connector.messages()) == before + 1  # only the reply in the channel
    assert await count(bot, PairRound) == 0

    text = await channel(bot, ANA, "/pair now")
    assert "New round in Data Guild" in text
    await bot.settle()
    for user in (ANA, BEN, CHLOE, DAN):
        assert len(keyed(bot, user, "pairintro:")) == 1
    assert "A round ran in Data Guild less than an hour ago" in await channel(bot, ANA, "/pair now")
    assert await count(bot, PairRound) == 1
    assert "New round" in await channel(bot, ANA, "/pair now again")
    assert await count(bot, PairRound) == 2


async def test_intro_card_shows_only_shared_fields_and_links_everyone(bot):
    await install(bot, members=(ANA, BEN))
    await submit(bot, ANA, PROFILE | {"skills_want": "Python", "shared_fields": "interests"})
    await submit(bot, BEN, PROFILE | {"interests": "jazz, chess", "skills_want": "SQL"})
    await channel(bot, ANA, "/pair now")
    await bot.settle()
    (to_ben,) = keyed(bot, BEN, "pairintro:")
    card = to_ben.cards[0]
    text = json.dumps(card)
    assert "Ana Lee" in text and "climbing, jazz" in text  # Ana shares interests
    assert "Lead a team" not in text and "Berlin" not in text  # ...and nothing else
    assert "Can help with" not in text  # skills not shared by Ana
    assert "you both like jazz" in text
    assert "Icebreaker:" in text
    chat, meeting = card["actions"]
    assert chat["title"] == "Chat" and meeting["title"] == "Schedule"
    assert parse_qs(urlparse(chat["url"]).query)["users"] == ["ana@contoso.onmicrosoft.com"]
    assert urlparse(meeting["url"]).path == "/l/meeting/new"
    assert parse_qs(urlparse(meeting["url"]).query)["attendees"] == ["ana@contoso.onmicrosoft.com"]
    (to_ana,) = keyed(bot, ANA, "pairintro:")
    text = json.dumps(to_ana.cards[0])  # Ben shares the defaults: interests, skills, dept
    assert "Can help with" in text and "Data" in text and "Lead a team" not in text
    assert "Ben can help with SQL" not in text  # Ana wants Python; Ben offers SQL, Python
    assert "Ben can help with Python, which you want to grow" in text


async def test_someone_everyone_excludes_is_told_why(bot):
    await install(bot, members=(ANA, BEN, CHLOE))
    await direct(bot, BEN, "don't pair me with Ana")
    await direct(bot, CHLOE, "don't pair me with @ana")  # text, not a mention: matched by name
    await channel(bot, ANA, "/pair now")
    await bot.settle()
    assert not keyed(bot, ANA, "pairintro:")
    (told,) = keyed(bot, ANA, "pairunplaced:")
    assert "No coffee partner for you in Data Guild this round" in told.text
    assert "don't-pair preferences, yours or theirs" in told.text
    assert "Ben" not in told.text and "Chloe" not in told.text  # whose list stays private
    assert len(keyed(bot, BEN, "pairintro:")) == 1


async def test_opt_in_mode_pairs_only_those_who_joined(bot):
    await install(bot)
    await channel(bot, ANA, "/pair settings mode=opt-in")
    assert "You're in for coffee chats in Data Guild" in await direct(bot, BEN, "join coffee")
    await direct(bot, CHLOE, "join coffee")
    text = await channel(bot, ANA, "/pair now")
    assert "2 people in 1 group;" in text and "2 not joined (opt-in mode)" in text
    await bot.settle()
    assert not keyed(bot, ANA, "pairintro:") and not keyed(bot, DAN, "pairintro:")
    assert "leave coffee" not in await direct(bot, BEN, "leave coffee team=Nope")
    status = await direct(bot, BEN, "coffee")
    assert "Data Guild: coffee chats are not running there" in status  # no schedule yet


# --- follow-ups ---------------------------------------------------------------------------------
async def test_followup_answers_are_validated_and_private_to_their_seat(bot):
    from dialogs.coffee import rounds as pairing
    from scheduler import JobContext

    await install(bot, members=(ANA, BEN, CHLOE, DAN))
    await channel(bot, ANA, "/pair now")
    await bot.settle()
    bot.clock.advance(days=5)
    async with bot.db.unit() as repos:
        await pairing.send_followups(JobContext(repos, None, "p", bot.now(), bot.now()))
    bot.delivery.wake()
    await bot.settle()
    (ask,) = keyed(bot, BEN, "pairfollow:")
    group = ask.cards[0]["actions"][0]["data"]["group"]
    ben_seat = next(s for s in await seats(bot) if s.group_id == group and s.user_id == 2)
    other_group = next(s.group_id for s in await seats(bot) if s.group_id != group)

    bad = [
        ({"group": other_group, "met": "yes"}, "can't find that coffee chat"),  # not Ben's
        ({"group": "x", "met": "yes"}, "can't find that coffee chat"),
        ({"group": True, "met": "yes"}, "can't find that coffee chat"),
        ({"group": group, "met": "maybe"}, "please choose whether you met"),
        ({"group": group, "met": "yes", "rating": "9"}, "from 1 to 5"),
        ({"group": group, "met": "yes", "rating": "2.5"}, "from 1 to 5"),
        ({"group": group, "met": "yes", "comment": "x" * 501}, "at most 500"),
        ({"group": group, "met": "yes", "comment": {"x": 1}}, "must be text"),
    ]
    for value, message in bad:
        (reply,) = await submit(bot, BEN, {"action": "pair_followup", **value})
        assert message in reply and "Nothing was saved" in reply, value
    assert all(s.answered_at is None for s in await seats(bot))

    value = {"action": "pair_followup", "group": group, "met": "yes", "rating": "5"}
    (reply,) = await submit(bot, BEN, value | {"comment": "Great chat"})
    assert "Glad you met" in reply
    (reply,) = await submit(bot, BEN, value | {"met": "no"})
    assert reply.startswith("Updated.")
    saved = next(s for s in await seats(bot) if s.id == ben_seat.id)
    assert (saved.met, saved.rating, saved.comment) == ("no", None, None)
    text = await channel(bot, ANA, "/pair history")
    assert "met: 0 yes, 0 not yet, 1 no" in text and "Great chat" not in text


# --- members' own data -----------------------------------------------------------------------
async def test_dont_pair_list_is_private_listed_in_my_data_and_erased(bot):
    await install(bot)
    text = await direct(bot, BEN, "don't pair me with user=chloe@contoso.com")
    assert "never put you in a coffee group with Chloe Martin" in text
    assert "Already noted" in await direct(bot, BEN, "don't pair me with Chloe")
    assert "that's you" in await direct(bot, BEN, "don't pair me with Ben")
    assert "matches several" in await direct(bot, BEN, "don't pair me with contoso")
    assert "can't find 'Zed'" in await direct(bot, BEN, "don't pair me with Zed")
    assert await count(bot, DontPair) == 1
    await bot.settle()
    card, export = await my_data(bot, BEN)
    assert "dont_pair_with" in json.dumps(export) and "Chloe Martin" in json.dumps(export)
    assert "Dont pair with" in json.dumps(card)
    card, export = await my_data(bot, CHLOE)
    assert "Ben" not in json.dumps([card, export])
    assert "can be your coffee partner again" in await direct(bot, BEN, "pair me again with Chloe")
    assert "wasn't on your don't-pair list" in await direct(bot, BEN, "pair me again with Chloe")
    await direct(bot, BEN, "don't pair me with Chloe")
    await submit(bot, BEN, {"action": "delete_data_confirm"})
    assert await count(bot, DontPair) == 0


async def test_lottery_settings_are_checked(bot):
    await install(bot)
    assert "No coffee lottery" in await channel(bot, ANA, "/lottery")
    text = await channel(bot, ANA, "/lottery host=@ben winners=5", mentions=(BEN,))
    assert "winners must be a whole number from 1 to 3" in text and "Nothing changed" in text
    assert "No member of Data Guild matches 'zed'" in await channel(bot, ANA, "/lottery host=zed")
    text = await channel(bot, ANA, "/lottery host=@ben winners=2", mentions=(BEN,))
    assert "2 members are drawn to meet Ben Okafor" in text
    text = await channel(bot, ANA, "/pair now")
    assert "Lottery: Ben Okafor meets" in text
    await bot.settle()
    assert "2 members have had a turn so far" in await channel(bot, ANA, "/lottery")
    assert "is off" in await channel(bot, ANA, "/lottery off")


async def test_the_profile_says_what_partners_may_see(bot):
    (reply,) = await submit(bot, ANA, PROFILE | {"shared_fields": "interests,salary"})
    assert "Coffee partners see" in reply and "'salary'" in reply and "Nothing was saved" in reply
    await submit(bot, ANA, PROFILE | {"shared_fields": ""})
    await direct(bot, ANA, "profile")
    shown = json.dumps(bot.connector.messages(ANA.personal_conversation)[-1].cards[0])
    assert "only my name" in shown


async def test_followups_skip_people_who_opted_out(bot):
    from dialogs.coffee import rounds as pairing
    from scheduler import JobContext

    await install(bot, members=(ANA, BEN))
    await channel(bot, ANA, "/pair now")
    await direct(bot, BEN, "opt out")
    bot.clock.advance(days=5, minutes=1)
    async with bot.db.unit() as repos:
        await pairing.send_followups(JobContext(repos, None, "p", bot.now(), bot.now()))
    bot.delivery.wake()
    await bot.settle()
    assert len(keyed(bot, ANA, "pairfollow:")) == 1
    assert not keyed(bot, BEN, "pairfollow:")
    bot.clock.advance(days=1)
    async with bot.db.unit() as repos:  # a second run sends nothing more
        await pairing.send_followups(JobContext(repos, None, "q", bot.now(), bot.now()))
    await bot.settle()
    assert len(keyed(bot, ANA, "pairfollow:")) == 1


async def test_a_chosen_channel_gets_a_short_notice_each_round(bot):
    await install(bot)
    lounge = teams.channel_of(TEAM, "lounge")
    activity = teams.channel_message(
        bot.service_url, ANA, TEAM, "/pair settings channel=here mode=opt-in", channel=lounge
    )
    (text,) = await bot.send(activity)
    assert "Round notices: posted in Lounge" in text
    await direct(bot, BEN, "join coffee")
    await direct(bot, CHLOE, "join coffee")
    await channel(bot, ANA, "/pair now")
    await bot.settle()
    (notice,) = [m for m in bot.connector.messages(lounge) if "coffee round" in (m.text or "")]
    assert "2 people in 1 group. " in notice.text and "join coffee" in notice.text
    assert "Ben" not in notice.text  # who met whom is not posted
    assert not [m for m in bot.connector.messages(TEAM.id) if "coffee round" in (m.text or "")]
    text = await channel(bot, ANA, "/pair settings channel=none")
    assert "Round notices: none" in text
    text = await direct(bot, ANA, "/pair settings channel=here")
    assert "only works in a team channel" in text and "Nothing changed" in text
