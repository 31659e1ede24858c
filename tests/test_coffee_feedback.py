"""Coffee chats' numbers end to end, on both databases: the optional pulse (off by
default) reaches each placed member at their 09:00 after the round's follow-up time and
is anonymous; `/pair report` and `/pair export` show rounds, people placed, the met rate,
ratings and the pulse as worked out by hand; members are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dialogs.jobs import JOBS
from storage.models import Survey, SurveyResponse
from tests.conftest import start_bot
from tests.feedbackkit import (
    answer,
    card_text,
    download,
    facts_of,
    last_with_card,
    link_of,
    rows,
    survey_cards,
    tick,
)
from tests.goalkit import ADMIN, MENTEE, MENTOR, OTHER, filled, install, say, submit
from tests.inbox import keyed, submits

TOM, MIA, EVE = MENTEE, MENTOR, OTHER
PEOPLE = (ADMIN, TOM, MIA, EVE)
DEPARTMENTS = {"ada": "Sales", "tom": "Sales", "mia": "Engineering", "eve": "Engineering"}
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin
JOBS_HERE = tuple(j for j in JOBS if j.name in ("surveys", "pairing_followups"))
RATINGS = {"ada": "5", "tom": "4", "mia": "4", "eve": "2"}  # with "Did you meet?": 15 / 4
PULSE = {"ada": "5", "tom": "4", "mia": "3"}  # Eve skips it: 12 / 3 = 4


async def test_the_coffee_pulse_and_report_add_up(settings, connector, clock):
    clock.now = T0
    async with start_bot(settings, connector, clock, jobs=JOBS_HERE) as bot:
        await install(bot, TOM, MIA, EVE)
        for person in PEOPLE:
            profile = {
                "action": "profile_save",
                "role": "mentee",
                "timezone": "Europe/Berlin",
                "department": DEPARTMENTS[person.key],
                "meeting_format": "video",
                "meetings_per_month": "2",
                "languages": "English",
            }
            assert "your profile is saved" in await submit(bot, person, profile)
        assert "is for team admins" in await say(bot, TOM, "/survey pulse on")
        assert "pulse in Growth Guild is on" in await say(bot, ADMIN, "/survey pulse on")
        assert "intros are on their way" in await say(bot, ADMIN, "/pair now")

        # "Did you meet?" after 5 days (hourly job), then the pulse at each one's 09:00.
        await tick(bot, T0 + timedelta(days=5, hours=1))
        for person in PEOPLE:
            (card,) = keyed(bot, person, "pairfollow:")
            value = filled(card, "pair_followup", met="yes", rating=RATINGS[person.key])
            assert "Thanks" in await submit(bot, person, value)
        pulse_due = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)  # Sunday 09:00 in Berlin
        await tick(bot, pulse_due - timedelta(minutes=1))
        assert all(survey_cards(bot, p) == [] for p in PEOPLE)
        await tick(bot, pulse_due)
        for person in PEOPLE:
            (card,) = survey_cards(bot, person)
            assert "This round's coffee chat in Growth Guild" in card_text(card)
            assert "Anonymous" in card_text(card)
            if person.key in PULSE:
                assert "saved" in await answer(bot, person, card, q_pulse=PULSE[person.key])
        async with bot.db.unit() as repos:
            responses = (await repos.session.scalars(select(SurveyResponse))).all()
            (survey,) = (await repos.session.scalars(select(Survey))).all()
        assert survey.moment == "pulse" and survey.moment_at == T0 + timedelta(days=5)
        assert len(responses) == 3 and all(r.user_id is None for r in responses)

        clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
        await say(bot, ADMIN, "/pair report")
        facts = facts_of(last_with_card(bot, ADMIN))
        assert facts["Rounds"] == "1 ▲ (before: 0)"
        assert facts["People placed"] == "4 ▲ (before: 0)"
        assert facts["Met (of those asked)"] == "100%"
        assert facts["Rating (1-5)"] == "3.75 (4 answers)"
        assert facts["Pulse (1-5)"] == "4 (3 answers)"
        assert facts["Ghost pauses"] == "0 = (before: 0)"
        # Two pairs; who met whom is the grouping's choice: the file says which mixed.
        await say(bot, ADMIN, "/pair export")
        status, body, _ = await download(bot, link_of(last_with_card(bot, ADMIN)))
        groups = rows(body)
        assert status == 200 and len(groups) == 2
        assert sorted(n for g in groups for n in g["members"].split("; ")) == sorted(
            p.name for p in PEOPLE
        )
        assert all(g["followed_up"] == "2" and g["met_yes"] == "2" for g in groups)
        assert {g["departments"] for g in groups} <= {"same", "mixed"}
        mixed = sum(g["departments"] == "mixed" for g in groups)
        assert facts["Cross-department groups"] == f"{50 * mixed}%"
        await say(bot, ADMIN, "/pair export what=metrics")
        status, body, _ = await download(bot, link_of(last_with_card(bot, ADMIN)))
        metrics = {r["metric"]: r for r in rows(body)}
        assert metrics["pulse_rate"]["shown"] == "75%" and metrics["rating"]["value"] == "3.75"
        # The report card's buttons give the same files; a member pressing one gets none.
        await say(bot, ADMIN, "/pair report")
        (groups_button, _metrics_button) = submits(last_with_card(bot, ADMIN), "feedback_export")
        await submit(bot, ADMIN, groups_button)
        status, body, _ = await download(bot, link_of(last_with_card(bot, ADMIN)))
        assert status == 200 and rows(body) == groups
        assert "among the teams you admin" in await submit(bot, TOM, groups_button)
        assert "is for team admins" in await say(bot, TOM, "/pair export")
        assert "Which file?" in await say(bot, ADMIN, "/pair export what=secrets")
