"""Coffee and team, as admins use them (issue 17): `/pair preview` shows the groups
`/pair now` then makes, `/team` tells self-paused from ghost-paused members, and
`/team welcome` greets every member 1:1 once, through the outbox. On both databases."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import PairChoice, PairRound
from tests.fakes import teams
from tests.fakes.connector import Member
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import count, inbox, keyed

ANA = TeamsUser("ana", "Ana Lee")  # installs: an admin
PEOPLE = [ANA] + [TeamsUser(f"p{n}", f"Person{n} Example") for n in range(1, 10)]
TEAM = TeamsTeam("guild", "Data Guild")


async def install(bot, members=PEOPLE):
    roster = [Member(m.id, m.name, m.aad, m.email) for m in members]
    bot.connector.set_roster(TEAM.id, roster, TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, TEAM))


async def channel(bot, user, text):
    await bot.settle()
    return (await bot.send(teams.channel_message(bot.service_url, user, TEAM, text)))[0]


def groups(text: str) -> list[str]:
    return sorted(line for line in text.splitlines() if line.startswith("- "))


async def test_preview_shows_exactly_the_groups_pair_now_makes(bot):
    await install(bot)
    preview = await channel(bot, ANA, "/pair preview")
    assert "Preview for Data Guild (nothing was sent)" in preview
    assert "`/pair now` makes exactly these groups" in preview
    assert await count(bot, PairRound) == 0
    made = await channel(bot, ANA, "/pair now")
    assert "New round in Data Guild" in made
    assert len(groups(preview)) == 5 and groups(preview) == groups(made), (preview, made)
    # And again after that round: the next preview is the next `/pair now again`.
    await bot.settle()
    preview = await channel(bot, ANA, "/pair preview")
    made = await channel(bot, ANA, "/pair now again")
    assert groups(preview) == groups(made), (preview, made)


async def test_team_counts_self_paused_and_ghost_paused_apart(bot, clock):
    await install(bot)
    await bot.send(teams.personal_message(bot.service_url, PEOPLE[1], "pause"))
    await bot.send(teams.personal_message(bot.service_url, PEOPLE[2], "pause"))
    await channel(bot, ANA, "/pair now")
    async with bot.db.unit() as repos:  # three unanswered follow-ups, as the job records
        for person in PEOPLE[3:4]:
            user = await repos.users.by_teams_id(person.id)
            choice = await repos.session.scalar(
                select(PairChoice).where(PairChoice.user_id == user.id)
            )
            if choice is None:
                team = await repos.teams.by_team_id(TEAM.id)
                choice = PairChoice(team_id=team.id, user_id=user.id, joined=True)
                repos.session.add(choice)
            choice.ghost_paused_at, choice.updated_at = clock.now, clock.now
    text = await channel(bot, ANA, "/team")
    assert "- Taking a break (paused themselves): 2" in text, text
    assert "- Paused from coffee chats after 3 unanswered follow-ups: 1" in text, text
    assert "Paused: " not in text


async def test_team_welcome_greets_each_member_once_and_skips_who_talks_to_me(bot):
    await install(bot)
    await bot.settle()
    talker = PEOPLE[1]
    await bot.send(teams.personal_message(bot.service_url, talker, "hi"))
    await bot.send(teams.personal_message(bot.service_url, PEOPLE[2], "opt out"))
    reply = await channel(bot, ANA, "/team welcome")
    assert reply == (
        "I'm greeting 7 members of Data Guild 1:1, in a moment. Skipped: 3 members already "
        "talk to me."
    ), reply
    await bot.settle(timeout=15)
    for person in PEOPLE[3:]:
        (hello,) = keyed(bot, person, "teamwelcome:")
        assert hello.text.startswith(f"Hi {person.name.split()[0]}! Ana Lee asked me to say")
    for person in (ANA, talker, PEOPLE[2]):
        assert keyed(bot, person, "teamwelcome:") == []
    # Again: nobody twice.
    again = await channel(bot, ANA, "/team welcome")
    assert again.startswith("Nobody in Data Guild is left to greet."), again
    assert "7 members had a hello before" in again
    await bot.settle()
    assert all(len(keyed(bot, p, "teamwelcome:")) == 1 for p in PEOPLE[3:])
    # Spaced out through the outbox, not sent at once.
    sent = sorted(keyed(bot, p, "teamwelcome:")[0].at for p in PEOPLE[3:])
    assert sent[-1] - sent[0] >= 0.2 * (len(sent) - 1)
    # A member can't.
    refused = await channel(bot, PEOPLE[4], "/team welcome")
    assert "for admins" in refused or "admin" in refused, refused
    assert len(inbox(bot, PEOPLE[4])) == 1
