"""Cohorts of a program, over HTTP on both databases: an admin starts one in a channel
(`/program cohort`), with friendly refusals that change nothing; enrolments made after it
land in it, earlier ones in the first cohort; the tab's program history shows each
cohort under its program with the metrics functions' numbers of the cohort's facts."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from dialogs.dashboard.pages import HISTORY
from dialogs.feedback import metrics
from dialogs.feedback.lookup import Window
from storage.models import Cohort, Enrolment
from tests.fakes import teams
from tests.goalkit import TEAM, submit, user_id
from tests.tabkit import ADMIN, MENTEE, MENTOR, OTHER, get, seed, sign_in

COMMAND = '/program cohort Spring mentoring cohort="Autumn 2027"'


async def channel(bot, user, text):
    await bot.settle()
    return (await bot.send(teams.channel_message(bot.service_url, user, TEAM, text)))[0]


async def cohorts_of(bot, program_id: int) -> list[tuple[str, set[int]]]:
    """Each cohort's name and the people enrolled in it, oldest first."""
    async with bot.db.unit() as repos:
        found = await repos.programs.cohorts(program_id)
        rows = (await repos.session.execute(select(Enrolment.cohort_id, Enrolment.user_id))).all()
    return [(c.name, {u for cid, u in rows if cid == c.id}) for c in found]


def history_rows(page: str) -> dict[str, list[str]]:
    """Row header (a program's name, or "Cohort <name>") -> its cells."""
    table = re.search(r'data-list="history".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    out = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        head = re.sub(r"<[^>]+>", "", re.search(r"<th[^>]*>(.*?)</th>", row).group(1))
        out[html.unescape(head)] = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
    return out


async def test_refusals_change_nothing(bot):
    ids = await seed(bot)
    assert "admin" in (await channel(bot, MENTEE, COMMAND)).lower()
    assert "Name the new cohort" in await channel(bot, ADMIN, "/program cohort Spring mentoring")
    reply = await channel(bot, ADMIN, '/program cohort Winter mentoring cohort="Autumn 2027"')
    assert "No program called 'Winter mentoring'" in reply
    long_name = "x" * 101
    assert "at most 100" in await channel(
        bot, ADMIN, f'/program cohort Spring mentoring cohort="{long_name}"'
    )
    assert await cohorts_of(bot, ids["program"]) == []
    async with bot.db.unit() as repos:
        program = await repos.programs.get(ids["program"])
        first = f"Started {program.starts_on.isoformat()}"
    # The first cohort's name is taken (it is made with the second), ignoring case.
    reply = await channel(bot, ADMIN, f'/program cohort Spring mentoring cohort="{first.upper()}"')
    assert "already has a cohort" in reply and "Nothing changed" in reply
    assert await cohorts_of(bot, ids["program"]) == []


async def test_new_enrolments_land_in_the_new_cohort_and_history_shows_each(bot):
    ids = await seed(bot)
    mia, tom, sam = [await user_id(bot, p) for p in (MENTOR, MENTEE, OTHER)]
    reply = await channel(bot, ADMIN, COMMAND)
    assert "new cohort, 'Autumn 2027'" in reply and "everyone who enrols from now on" in reply
    found = await cohorts_of(bot, ids["program"])
    assert [name for name, _ in found][1] == "Autumn 2027"
    assert found[0][0].startswith("Started ") and found[0][1] == {mia, tom}
    assert found[1][1] == set()
    again = await channel(bot, ADMIN, COMMAND.replace("Autumn", "autumn"))
    assert "already has a cohort called" in again
    assert len(await cohorts_of(bot, ids["program"])) == 2

    bot.clock.advance(days=1)
    reply = await submit(
        bot, OTHER, {"action": "enrol_save", "program": ids["program"], "role": "mentee"}
    )
    assert "You're in 'Spring mentoring' as a mentee" in reply
    found = await cohorts_of(bot, ids["program"])
    assert found[0][1] == {mia, tom} and found[1][1] == {sam}

    cookie = await sign_in(bot, ADMIN)
    status, page, _ = await get(bot, f"/tab/teams/{ids['team']}/history", cookie)
    assert status == 200
    rows = history_rows(page)
    first = found[0][0]
    assert list(rows) == ["Spring mentoring", f"Cohort {first}", "Cohort Autumn 2027"]
    async with bot.db.unit() as repos:
        program = await repos.programs.get(ids["program"])
        run = Window(program.starts_on, min(program.ends_on, bot.now().date()))
        end = metrics.program_end(program.ends_on, program.closed_at)
        expected = {}
        (whole,) = await repos.feedback.program_facts(program, [(run.start, run.end)], end)
        for cohort in [None, *await repos.programs.cohorts(program.id)]:
            (facts,) = await repos.feedback.program_facts(
                program, [(run.start, run.end)], end, cohort.id if cohort else None
            )
            by = {m.key: m for m in metrics.program_metrics(facts, metrics.k_of(None))}
            label = f"Cohort {cohort.name}" if isinstance(cohort, Cohort) else program.name
            expected[label] = [metrics.shown(by[key]) for key in HISTORY]
            people = found[0][1] if cohort and cohort.name == first else {sam}
            if cohort is not None:  # the cohort's part is the program's, restricted
                assert facts.participants == [p for p in whole.participants if p.user_id in people]
                assert facts.pairs == [
                    p for p in whole.pairs if {p.mentor_id, p.mentee_id} & people
                ]
                assert facts.sessions == [
                    s for s in whole.sessions if s.mentorship_id in {p.id for p in facts.pairs}
                ]
    assert {name: rows[name] for name in expected} == expected
    assert rows["Spring mentoring"][:2] == ["3", "2"]  # enrolled, matched
    assert rows[f"Cohort {first}"][:2] == ["2", "2"]
    assert rows["Cohort Autumn 2027"][:2] == ["1", "0"]
    assert rows["Spring mentoring"][2] == rows[f"Cohort {first}"][2] != "—"  # sessions/pair


async def test_an_anonymous_response_records_the_cohort_and_never_the_person(
    settings, connector, clock
):
    from datetime import UTC, datetime, timedelta

    from storage.models import SurveyResponse
    from tests.conftest import start_bot
    from tests.feedbackkit import SURVEY_JOBS, answer, survey_cards, tick
    from tests.test_surveys import T0, pair_up, set_dates

    clock.now = T0
    async with start_bot(settings, connector, clock, jobs=SURVEY_JOBS) as bot:
        await pair_up(bot, started=T0 - timedelta(days=20))
        await set_dates(bot, T0.date() - timedelta(days=30), T0.date() + timedelta(days=30))
        assert "new cohort" in await channel(bot, ADMIN, COMMAND)
        await tick(bot, T0 + timedelta(minutes=15))  # the mid-program surveys
        await tick(bot, datetime(2026, 11, 24, 8, 0, tzinfo=UTC))  # Tom's 09:00
        (card,) = survey_cards(bot, MENTEE)
        await answer(bot, MENTEE, card, q_satisfaction="4", q_recommend="9")
        async with bot.db.unit() as repos:
            (response,) = (await repos.session.scalars(select(SurveyResponse))).all()
            first, autumn = await repos.programs.cohorts(1)
            program = await repos.programs.get(1)
            windows = [(T0 - timedelta(days=40), T0 + timedelta(days=40))]
            end = metrics.program_end(program.ends_on, program.closed_at)
            (mine,) = await repos.feedback.program_facts(program, windows, end, first.id)
            (theirs,) = await repos.feedback.program_facts(program, windows, end, autumn.id)
        assert response.user_id is None and response.cohort_id == first.id
        assert {(r.tag, r.number) for r in mine.answers} >= {("satisfaction", 4)}
        assert theirs.answers == []
