"""Admin commands: who is an admin, /admin add|remove|list, /team, refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from settings import Settings
from storage.models import TeamAdmin
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser

ANA = TeamsUser("ana", "Ana Lee")  # installs the bot: an admin
BEN = TeamsUser("ben", "Ben Okafor")  # a member
CHLOE = TeamsUser("chloe", "Chloe Martin")
DATA = TeamsTeam("data", "Data Guild")
OPS = TeamsTeam("ops", "Ops Crew")


async def install(bot, team=DATA, installer=ANA, members=(ANA, BEN, CHLOE)):
    bot.connector.set_roster(team.id, [m.member() for m in members], team.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, installer, team))


async def channel(bot, user, text, team=DATA, mentions=()):
    return (await bot.send(teams.channel_message(bot.service_url, user, team, text, mentions)))[0]


async def direct(bot, user, text):
    return (await bot.send(teams.personal_message(bot.service_url, user, text)))[0]


async def admin_rows(bot) -> int:
    async with bot.db.unit() as repos:
        return await repos.session.scalar(select(func.count()).select_from(TeamAdmin))


async def test_installer_adds_and_removes_an_admin_by_mention_in_the_channel(bot):
    await install(bot)
    text = await channel(bot, ANA, "/admin add @ben", mentions=(BEN,))
    assert "Ben Okafor is now an admin of Data Guild" in text
    assert "already an admin" in await channel(bot, ANA, "/admin add @ben", mentions=(BEN,))
    listing = await channel(bot, BEN, "/admin list")
    assert "Ana Lee (installed the app)" in listing and "Ben Okafor" in listing
    # The new admin can use admin commands now, and remove themselves.
    assert "no longer an admin" in await channel(bot, BEN, "/admin remove @ben", mentions=(BEN,))
    assert await admin_rows(bot) == 1


async def test_non_admin_is_refused_and_nothing_changes(bot):
    await install(bot)
    before = await admin_rows(bot)
    text = await channel(bot, BEN, "/admin add @chloe", mentions=(CHLOE,))
    assert "for admins of Data Guild" in text and "Nothing changed" in text
    assert "for admins" in await channel(bot, BEN, "/team")
    assert "for team admins" in await direct(bot, BEN, "/admin list")
    assert await admin_rows(bot) == before


async def test_installer_cannot_be_removed(bot):
    await install(bot)
    await channel(bot, ANA, "/admin add @ben", mentions=(BEN,))
    text = await channel(bot, BEN, "/admin remove @ana", mentions=(ANA,))
    assert "installed me" in text
    assert await admin_rows(bot) == 2


async def test_admin_commands_1on1_pick_the_team_by_name_when_needed(bot):
    await install(bot)
    await install(bot, team=OPS, installer=ANA, members=(ANA, BEN))
    text = await direct(bot, ANA, "/team")
    assert "Which team?" in text and "'Data Guild'" in text and "'Ops Crew'" in text
    text = await direct(bot, ANA, '/admin add user=chloe@contoso.com team="data guild"')
    assert "Chloe Martin is now an admin of Data Guild" in text
    text = await direct(bot, ANA, '/admin add user=nobody team="Ops Crew"')
    assert "No member of Ops Crew matches 'nobody'" in text
    assert "don't admin a team called 'Nope'" in await direct(bot, ANA, "/team team=Nope")


async def test_team_shows_settings_and_counts_without_personal_content(bot):
    await install(bot)
    await bot.send(
        teams.card_submit(
            bot.service_url,
            BEN,
            {
                "action": "profile_save",
                "role": "mentee",
                "timezone": "UTC",
                "meeting_format": "any",
                "meetings_per_month": 1,
                "goals": "a private goal",
            },
        )
    )
    await direct(bot, CHLOE, "pause")
    text = await channel(bot, ANA, "/team")
    assert "**Data Guild**" in text
    assert "Members: 3 active, 0 left" in text
    assert "Profiles set up: 1" in text and "(paused themselves): 1" in text and "Admins: 1" in text
    assert "private goal" not in text


async def test_global_admins_from_settings(settings, connector, clock):
    global_settings = Settings(**{**settings.__dict__, "admins": frozenset({CHLOE.aad})})
    async with start_bot(global_settings, connector, clock) as bot:
        await install(bot)
        text = await channel(bot, CHLOE, "/admin add @ben", mentions=(BEN,))
        assert "Ben Okafor is now an admin" in text
        assert "global admin" in await channel(bot, ANA, "/admin remove @chloe", mentions=(CHLOE,))


@pytest.mark.parametrize("text", ["/admin add", "/admin add @ben @chloe"])
async def test_admin_add_needs_exactly_one_person(bot, text):
    await install(bot)
    mentions = (BEN, CHLOE) if "@" in text else ()
    reply = await channel(bot, ANA, text, mentions=mentions)
    assert "Who?" in reply or "one person at a time" in reply
    assert await admin_rows(bot) == 1


async def test_admin_command_in_an_unregistered_team(bot):
    text = await channel(bot, ANA, "/team", team=TeamsTeam("ghost", "Ghost"))
    assert "don't have this team registered" in text


async def test_unknown_options_are_refused_and_listed(bot):
    await install(bot)
    text = await channel(bot, ANA, "/admin list colour=blue")
    assert "doesn't know `colour=`" in text and "`team=`" in text and "Nothing changed" in text
    text = await channel(bot, ANA, "/admin add @ben role=boss", mentions=(BEN,))
    assert "doesn't know `role=`" in text
    assert await admin_rows(bot) == 1
    # The options are in `/help <area>`; /help in a channel is answered 1:1 (issue 11).
    assert "(options: `pairing=`" in await direct(bot, ANA, "/help pair")
    assert "1:1 chat" in await channel(bot, ANA, "/help")
