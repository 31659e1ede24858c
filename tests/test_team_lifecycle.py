"""Installing the bot in a team, members coming and going, and the bot being removed."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Membership, OutboxMessage, Team, TeamAdmin, User
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser

ANA = TeamsUser("ana", "Ana Lee")
BEN = TeamsUser("ben", "Ben Okafor")
CHLOE = TeamsUser("chloe", "Chloe Martin")
DATA = TeamsTeam("data", "Data Guild")


def roster(count: int) -> list[TeamsUser]:
    return [ANA, *(TeamsUser(f"member{i}", f"Member {i}") for i in range(count - 1))]


async def install(bot, team=DATA, installer=ANA, members=None) -> list[str]:
    people = members if members is not None else [ANA, BEN]
    bot.connector.set_roster(team.id, [p.member() for p in people], team.name)
    return await bot.send(teams.bot_installed_in_team(bot.service_url, installer, team))


async def test_install_registers_team_reads_all_roster_pages_and_welcomes(bot):
    people = roster(1203)  # three pages of 500
    texts = await install(bot, members=people)

    assert len(texts) == 1 and "Data Guild" in texts[0]
    assert "will tell the admins" in texts[0]
    assert bot.connector.texts(DATA.id) == texts  # the welcome, in the channel
    # Read in the background (more than one page): the installer hears when all are in.
    await bot.settle()
    assert bot.connector.texts("a:1on1-29:ana") == [
        "All 1203 members of Data Guild are in: I can pair them for coffee, run icebreakers "
        "and programs there now. Say `/help` to see what you can steer, and `/team welcome` "
        "to greet every member 1:1 (members who joined before me got only the channel post)."
    ]
    pages = [c for c in bot.connector.calls if c.path.endswith("/pagedmembers")]
    assert len(pages) == 3
    assert {c.query.get("pageSize") for c in pages} == {"500"}
    async with bot.db.unit() as repos:
        team = await repos.teams.by_team_id(DATA.id)
        assert team is not None and team.active and team.name == "Data Guild"
        assert team.tenant_id == teams.TENANT and team.service_url == bot.service_url
        assert DATA.id in team.general_ref
        installer = await repos.users.get(team.installer_id)
        assert installer.teams_id == ANA.id and installer.email == "ana@contoso.com"
        counts = await repos.members.team_counts(team.id)
        assert counts["active"] == 1203
        admins = await repos.session.scalar(select(func.count()).select_from(TeamAdmin))
        assert admins == 1


async def test_members_added_later_are_stored_and_greeted_once_1on1(bot):
    await install(bot)
    bot.connector.set_roster(DATA.id, [p.member() for p in (ANA, BEN, CHLOE)], DATA.name)
    await bot.send(teams.members_added(bot.service_url, DATA, CHLOE, by=ANA))
    await bot.settle()
    # Teams may deliver the same event twice: still one greeting.
    await bot.send(teams.members_added(bot.service_url, DATA, CHLOE, by=ANA))
    await bot.settle()

    created = bot.connector.created_conversations()
    assert len(created) == 1
    assert [m["id"] for m in created[0].body["members"]] == [CHLOE.id]
    assert created[0].body["channelData"]["tenant"]["id"] == teams.TENANT
    assert created[0].body["tenantId"] == teams.TENANT
    greeting = bot.connector.messages(f"a:1on1-{CHLOE.id}")
    assert len(greeting) == 1 and "Chloe" in greeting[0].text and "Data Guild" in greeting[0].text
    async with bot.db.unit() as repos:
        chloe = await repos.users.by_teams_id(CHLOE.id)
        assert chloe.name == "Chloe Martin" and chloe.email == "chloe@contoso.com"
        assert chloe.personal_ref and f"a:1on1-{CHLOE.id}" in chloe.personal_ref
        row = (await repos.outbox.all())[0]
        assert row.status == "sent" and row.activity_id


async def test_a_member_who_chatted_before_is_greeted_in_that_chat(bot):
    await bot.send(teams.personal_message(bot.service_url, CHLOE, "hi"))
    await install(bot)
    await bot.send(teams.members_added(bot.service_url, DATA, CHLOE, by=ANA))
    await bot.settle()
    assert bot.connector.created_conversations() == []
    greeting = bot.connector.messages(CHLOE.personal_conversation)[-1]
    assert "welcome to Data Guild" in greeting.text
    assert greeting.body["recipient"]["id"] == CHLOE.id


async def test_member_removed_is_inactive_and_history_stays(bot):
    await install(bot)
    await bot.send(teams.members_removed(bot.service_url, DATA, BEN))
    async with bot.db.unit() as repos:
        ben = await repos.users.by_teams_id(BEN.id)
        assert ben is not None
        membership = await repos.members.get((await repos.teams.by_team_id(DATA.id)).id, ben.id)
        assert membership.active is False and membership.left_at is not None


async def test_bot_removed_marks_team_inactive_and_deletes_nothing(bot):
    await install(bot)
    await bot.send(teams.bot_removed_from_team(bot.service_url, ANA, DATA))
    async with bot.db.unit() as repos:
        team = await repos.session.scalar(select(Team))
        assert team.active is False and team.removed_at is not None
        assert await repos.session.scalar(select(func.count()).select_from(User)) == 2
        assert await repos.session.scalar(select(func.count()).select_from(Membership)) == 2
    # Reinstalled later: the same team row comes back to life.
    await install(bot, installer=BEN)
    async with bot.db.unit() as repos:
        rows = list(await repos.session.scalars(select(Team)))
        assert len(rows) == 1 and rows[0].active and rows[0].removed_at is None


async def test_greeting_survives_a_failing_connector_and_is_sent_once(bot):
    await install(bot)
    bot.connector.fail(r"^/v3/conversations$", 503, times=2, method="POST")
    await bot.send(teams.members_added(bot.service_url, DATA, CHLOE, by=ANA))
    await bot.settle()
    assert len(bot.connector.messages(f"a:1on1-{CHLOE.id}")) == 1
    async with bot.db.unit() as repos:
        row = (await repos.session.scalars(select(OutboxMessage))).one()
        assert row.status == "sent" and row.attempts == 3


async def test_personal_install_starts_onboarding_with_the_form(bot):
    await bot.send(teams.personal_install(bot.service_url, BEN))
    message = bot.connector.messages(BEN.personal_conversation)
    cards = [card for call in message for card in call.cards]
    assert len(cards) == 1 and cards[0]["version"] == "1.5"
    timezone = _input(cards[0], "timezone")
    assert timezone["value"] == "America/New_York"


def _input(card, input_id):
    stack = [card]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("id") == input_id:
                return node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise AssertionError(f"no input {input_id}")
