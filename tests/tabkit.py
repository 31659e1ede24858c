"""Helpers for the tab's tests: a seeded team with a program, sign-in through the chat's
one-time link, pages fetched with the session cookie, and what a page says."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from bot.tab.routes import COOKIE
from storage.models import Goal, SessionNotes
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.goalkit import ADMIN, MENTEE, MENTOR, OTHER, TEAM, install, mentorship, say, user_id

ELSEWHERE = TeamsTeam("else", "Elsewhere Inc")
OLGA = TeamsUser("olga", "Olga Other")  # installs the other team: its only admin
ELSE_MENTOR, ELSE_MENTEE = TeamsUser("xm", "Xena Mentor"), TeamsUser("xe", "Xavi Mentee")
LINK = re.compile(r"(/tab/start/[A-Za-z0-9_-]{43})")


async def seed(bot: Any) -> dict[str, int]:
    """Growth Guild (Ada installed it): Mia mentors Tom in "Spring mentoring", started
    40 days ago, with two sessions and two goals of Tom's. Elsewhere Inc (Olga): its own
    program and pair, which Ada must never see."""
    await install(bot, MENTOR, MENTEE, OTHER)
    started = bot.now() - timedelta(days=40)
    ship = await mentorship(bot, started=started)
    tom, mia = await user_id(bot, MENTEE), await user_id(bot, MENTOR)
    async with bot.db.unit() as repos:
        for n, (title, progress, status) in enumerate(
            (("Public speaking", 60, "on_track"), ("Learn SQL", 20, "blocked")), 1
        ):
            await repos.goals.add_goal(
                Goal(
                    user_id=tom,
                    number=n,
                    title=title,
                    target_on=(bot.now() + timedelta(days=60)).date(),
                    progress=progress,
                    status=status,
                    created_at=started + timedelta(days=2),
                    updated_at=started + timedelta(days=2),
                )
            )
        for days in (10, 24):
            await repos.goals.add_notes(
                SessionNotes(
                    pair_key=f"m{ship}",
                    author_id=tom,
                    partner_id=mia,
                    summary="We met",
                    created_at=started + timedelta(days=days),
                )
            )
    bot.connector.set_roster(
        ELSEWHERE.id, [p.member() for p in (OLGA, ELSE_MENTOR, ELSE_MENTEE)], ELSEWHERE.name
    )
    from tests.fakes import teams

    await bot.send(teams.bot_installed_in_team(bot.service_url, OLGA, ELSEWHERE))
    await bot.settle()
    other = await _other_program(bot)
    async with bot.db.unit() as repos:
        team = await repos.teams.by_team_id(TEAM.id)
        program = (await repos.programs.by_name([team.id], "Spring mentoring"))[0]
    return {"program": program.id, "team": team.id, "mentorship": ship, **other}


async def _other_program(bot: Any) -> dict[str, int]:
    from storage.models import Program

    now = bot.now()
    async with bot.db.unit() as repos:
        team = await repos.teams.by_team_id(ELSEWHERE.id)
        program = await repos.programs.add(
            Program(
                team_id=team.id,
                name="Secret Elsewhere Program",
                status="open",
                objectives=[],
                focus_areas=[],
                starts_on=now.date(),
                ends_on=now.date() + timedelta(days=180),
                cadence="biweekly",
                capacity=2,
                mode="automatic",
                agreement="",
                resources_mentors=[],
                resources_mentees=[],
                created_at=now,
                updated_at=now,
            )
        )
        return {"other_program": program.id, "other_team": team.id}


async def link_for(bot: Any, person: TeamsUser) -> str:
    reply = await say(bot, person, "dashboard")
    found = LINK.search(reply)
    assert found, reply
    return found.group(1)


async def get(
    bot: Any, path: str, cookie: str | None = None, **kw: Any
) -> tuple[int, str, dict[str, str]]:
    headers = ({"Cookie": f"{COOKIE}={cookie}"} if cookie else {}) | kw.pop("headers", {})
    async with bot.session.get(
        bot.url + path, headers=headers, allow_redirects=False, **kw
    ) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


async def post(
    bot: Any,
    path: str,
    cookie: str | None,
    data: dict[str, str],
    headers: dict[str, str] | None = None,
    **kw: Any,
) -> tuple[int, str, dict[str, str]]:
    headers = ({"Cookie": f"{COOKIE}={cookie}"} if cookie else {}) | (headers or {})
    async with bot.session.post(
        bot.url + path, headers=headers, data=data, allow_redirects=False, **kw
    ) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


async def sign_in(bot: Any, person: TeamsUser) -> str:
    """The chat's `dashboard` link, opened: the session cookie's value."""
    async with bot.session.get(bot.url + await link_for(bot, person), allow_redirects=False) as r:
        assert r.status == 303, await r.text()
        return r.cookies[COOKIE].value


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{32})"', page)
    assert found, page[:500]
    return found.group(1)


def metric_cells(page: str) -> dict[str, str]:
    """label -> the "Now" cell of the page's metrics tables (arrows left out)."""
    cells = re.findall(r'<td data-metric="([^"]*)">(.*?)</td>', page, re.S)
    return {
        html.unescape(label): html.unescape(re.sub(r"<span.*?</span>", "", v)).strip()
        for label, v in cells
    }


def chart_rows(page: str, key: str, kind: str = "chart") -> list[tuple[str, str]]:
    """The rows of a chart's table (or of a list: kind="list"), first two cells."""
    table = re.search(rf'<table class="data" data-{kind}="{key}">(.*?)</table>', page, re.S)
    assert table, key
    rows = re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', table.group(1), re.S)
    return [(html.unescape(a), html.unescape(b)) for a, b in rows]


__all__ = ["ADMIN", "MENTEE", "MENTOR", "OTHER", "TEAM"]
