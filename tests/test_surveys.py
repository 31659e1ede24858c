"""Surveys end to end, on both databases: a session's survey reaches each side at 09:00
in their own zone with one reminder; answers are stored and changeable until close, and
a card pressed twice changes nothing; anonymous answers hold no person id; bad input is
refused with a message and nothing saved; templates are versioned under people who
answered; settings and refusals; `my data` and `delete my data`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.models import (
    Program,
    Survey,
    SurveyAnswer,
    SurveyInvite,
    SurveyResponse,
    SurveyStory,
)
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsUser
from tests.feedbackkit import (
    SURVEY_JOBS,
    answer,
    card_text,
    invite_id,
    invites,
    last_with_card,
    reminders,
    survey_cards,
    tick,
)
from tests.goalkit import (
    ADMIN,
    MENTEE,
    MENTOR,
    OTHER,
    TEAM,
    filled,
    install,
    mentorship,
    say,
    submit,
)
from tests.inbox import count, keyed, my_data

TOM, MIA, EVE = MENTEE, MENTOR, OTHER
NY = "America/New_York"
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # Monday: 13:00 in Berlin, 07:00 in New York


async def pair_up(bot, started: datetime | None = None) -> int:
    await install(bot, TOM, MIA, EVE)
    await say(bot, TOM, "hello")  # Berlin (Teams' hint)
    await say(bot, MIA, "hello", NY)
    await say(bot, EVE, "hello")
    return await mentorship(bot, started=started)


async def save_notes(bot, author: TeamsUser, pair: str, timezone: str = "Europe/Berlin") -> str:
    form = {"action": "notes_save", "pair": pair, "summary": "Talked about the talk"}
    return await submit(bot, author, form, timezone=timezone)


async def test_a_session_survey_comes_at_each_side_s_morning_with_one_reminder(
    settings, connector, clock
):
    clock.now = T0
    async with start_bot(settings, connector, clock, jobs=SURVEY_JOBS) as bot:
        m = await pair_up(bot)
        assert "Notes saved" in await save_notes(bot, TOM, f"m{m}")
        await tick(bot, T0 + timedelta(minutes=15))  # the job runs every 15 minutes
        tom_due = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 09:00 Berlin, the next day
        mia_due = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 New York, that day
        assert {(i.role, i.due_at) for i in await invites(bot)} == {
            ("mentee", tom_due),
            ("mentor", mia_due),
        }
        await tick(bot, mia_due - timedelta(minutes=1))
        assert survey_cards(bot, MIA) == []
        await tick(bot, mia_due)
        (mia_card,) = survey_cards(bot, MIA)
        assert "How was your session with Tom Mentee?" in card_text(mia_card)
        assert "Confidential" in card_text(mia_card)
        await tick(bot, tom_due - timedelta(minutes=1))
        assert survey_cards(bot, TOM) == []
        await tick(bot, tom_due)
        (tom_card,) = survey_cards(bot, TOM)

        reply = await answer(
            bot, TOM, tom_card, q_useful="4", q_next_step="yes", q_more_of="Examples"
        )
        assert "your answers are saved" in reply and "until Tuesday 01 December 2026" in reply
        change = last_with_card(bot, TOM)
        assert "Change my answers" in card_text(change)
        again = await answer(bot, TOM, tom_card, q_useful="1")
        assert "answered this survey already" in again and "Nothing changed" in again
        assert "answers are updated" in await answer(bot, TOM, change, q_useful="5")
        stale = await answer(bot, TOM, change, q_useful="2")
        assert "changed since that card" in stale
        async with bot.db.unit() as repos:
            (response,) = (await repos.session.scalars(select(SurveyResponse))).all()
            numbers = {
                a.question: a.number for a in await repos.session.scalars(select(SurveyAnswer))
            }
        assert response.user_id is not None and response.revision == 2
        assert numbers["useful"] == 5 and numbers["next_step"] == 1

        # One reminder, two local mornings later, to Mia only (Tom answered).
        for at in (
            mia_due + timedelta(days=2) - timedelta(minutes=1),
            mia_due + timedelta(days=2),
            tom_due + timedelta(days=2),
            mia_due + timedelta(days=3),
        ):
            await tick(bot, at)
        assert len(reminders(bot, MIA)) == 1 and reminders(bot, TOM) == []
        (reminded,) = [i for i in await invites(bot) if i.reminded_at]
        assert reminded.reminded_at == mia_due + timedelta(days=2)

        # Closed after 7 days: too late to answer, and nothing is sent any more.
        await tick(bot, mia_due + timedelta(days=7))
        late = await answer(bot, MIA, survey_cards(bot, MIA)[0], q_useful="3")
        assert "closed on Monday 30 November 2026" in late and "Nothing was saved" in late
        assert await count(bot, SurveyResponse) == 1


async def set_dates(bot, starts_on, ends_on, **more) -> None:
    async with bot.db.unit() as repos:
        program = (await repos.session.scalars(select(Program))).one()
        program.starts_on, program.ends_on = starts_on, ends_on
        program.focus_areas = ["Public speaking", "SQL"]
        for key, value in more.items():
            setattr(program, key, value)


async def test_anonymous_answers_hold_no_person_id_and_only_their_card_changes_them(
    settings, connector, clock
):
    clock.now = T0
    async with start_bot(settings, connector, clock, jobs=SURVEY_JOBS) as bot:
        m = await pair_up(bot, started=T0 - timedelta(days=20))
        # Halfway falls on this Monday (00:00 UTC): the mid-program surveys.
        await set_dates(bot, T0.date() - timedelta(days=30), T0.date() + timedelta(days=30))
        await tick(bot, T0 + timedelta(minutes=15))
        await tick(bot, datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # Mia's 09:00
        await tick(bot, datetime(2026, 11, 24, 8, 0, tzinfo=UTC))  # Tom's 09:00
        async with bot.db.unit() as repos:
            keys = sorted(s.key for s in await repos.session.scalars(select(Survey)))
        assert keys == ["mid:program1:mentee", "mid:program1:mentor", f"progress:m{m}:mid"]
        (tom_card,) = survey_cards(bot, TOM)
        assert "Halfway through Spring mentoring" in card_text(tom_card)
        assert "Anonymous" in card_text(tom_card) and "Public speaking" in card_text(tom_card)
        assert len(survey_cards(bot, MIA)) == 2  # her own, and Tom's progress
        reply = await answer(
            bot,
            TOM,
            tom_card,
            q_satisfaction="4",
            q_goal_achievement="3",
            q_skills_0_before="2",
            q_skills_0_after="4",
            q_recommend="9",
        )
        assert "only this card can change them" in reply
        change = last_with_card(bot, TOM)
        async with bot.db.unit() as repos:
            (response,) = (await repos.session.scalars(select(SurveyResponse))).all()
            answers = (await repos.session.scalars(select(SurveyAnswer))).all()
            tom_invite = next(
                i for i in await repos.session.scalars(select(SurveyInvite)) if i.answered
            )
        assert response.user_id is None and response.updated_at is None
        assert response.edit_hash and len(response.edit_hash) == 64
        assert {(a.question, a.part, a.number, a.number2) for a in answers} >= {
            ("skills", "Public speaking", 2, 4)
        }
        assert tom_invite.answered and tom_invite.answered_at is None  # no time to match

        # Only the change card (it holds the token) changes them; a forged token does not.
        (data,) = [d for d in json.loads(card_text(change)) for d in [_submit_data(d)] if d]
        forged = filled(change, "survey_answer", q_satisfaction="1") | {"edit": "x" * 43}
        assert "can't find those answers" in await submit(bot, TOM, forged)
        assert "updated" in await answer(bot, TOM, change, q_satisfaction="5")
        async with bot.db.unit() as repos:
            sat = await repos.session.scalar(
                select(SurveyAnswer.number).where(SurveyAnswer.question == "satisfaction")
            )
        assert sat == 5
        assert data["edit"] and data["rev"] == 1

        # `surveys` knows it was answered, and cannot reopen it.
        await say(bot, TOM, "surveys")
        listing = card_text(last_with_card(bot, TOM))
        assert "Answered anonymously" in listing and "survey_open" not in listing
        opened = await submit(bot, TOM, {"action": "survey_open", "invite": tom_invite.id})
        assert "only the card I sent when you answered" in opened

        # my data: the invite and its answered mark, never the anonymous answers.
        await bot.settle()
        export = json.dumps(await my_data(bot, TOM))
        assert "mid:program1:mentee" in export and "your_answers" in export
        assert "Public speaking" not in export
        async with bot.db.unit() as repos:
            survey = await repos.feedback.survey(tom_invite.survey_id)
        assert (survey.sent, survey.answered) == (1, 1)  # the counters response rates read
        await submit(bot, TOM, {"action": "delete_data_confirm"})
        assert await count(bot, SurveyInvite, SurveyInvite.id == tom_invite.id) == 0
        assert await count(bot, SurveyResponse, SurveyResponse.user_id.is_(None)) == 1
        async with bot.db.unit() as repos:
            survey = await repos.feedback.survey(tom_invite.survey_id)
        assert (survey.sent, survey.answered) == (0, 0)  # his invite left the counts too


def _submit_data(card):
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append(node["data"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card)
    return found[0] if found else None


async def test_bad_answers_are_refused_with_a_message_and_nothing_is_saved(
    settings, connector, clock
):
    clock.now = T0
    async with start_bot(settings, connector, clock, jobs=SURVEY_JOBS) as bot:
        m = await pair_up(bot, started=T0 - timedelta(days=20))
        await set_dates(bot, T0.date() - timedelta(days=30), T0.date() + timedelta(days=30))
        await tick(bot, T0 + timedelta(minutes=15))
        await tick(bot, datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
        await tick(bot, datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
        (card,) = survey_cards(bot, TOM)
        mine = invite_id(card)
        theirs = next(i.id for i in await invites(bot) if i.id != mine)  # Mia's
        for forged in ("999", -1, 0, "abc", 2**40, True, 1.5, None, theirs):
            value = filled(card, "survey_answer", q_satisfaction="4") | {"invite": forged}
            reply = await submit(bot, TOM, value)
            assert "can't find that survey of yours" in reply, forged
        assert "can't find that survey of yours" in await answer(bot, EVE, card, q_satisfaction="4")
        cases = {
            "must be a whole number from 1 to 5": {"q_satisfaction": "6"},
            "from 0 to 10": {"q_recommend": "11"},
            "(you entered '2.5')": {"q_satisfaction": "2.5"},
            "at the start and now": {"q_skills_0_before": "2", "q_skills_0_after": "9"},
            "questions this survey doesn't ask": {"q_zzz": "1"},
            "please answer at least one question": {},
        }
        for problem, values in cases.items():
            reply = await answer(bot, TOM, card, **values)
            assert problem in reply and "Nothing was saved" in reply, (problem, reply)
        # The end survey's written story and choices have limits too.
        await set_dates(bot, T0.date() - timedelta(days=60), T0.date() + timedelta(days=2))
        end = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
        await tick(bot, end)
        await tick(bot, datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
        end_card = survey_cards(bot, TOM)[-1]
        assert "Spring mentoring has ended" in card_text(end_card)
        for problem, values in {
            "is 2,001 characters; at most 2,000 fit": {"q_story": "x" * 2001},
            "must be one of": {"q_career": "astronaut"},
            "with your name or anonymously": {"q_story": "Great", "q_story_share": "everyone"},
            "must be one of yes (yes), no (no)": {"q_again": "maybe"},
        }.items():
            reply = await answer(bot, TOM, end_card, **values)
            assert problem in reply and "Nothing was saved" in reply, (problem, reply)
        assert await count(bot, SurveyResponse) == 0
        assert await count(bot, SurveyAnswer) == 0
        assert not any(i.answered for i in await invites(bot))
        assert m


async def test_a_story_shared_by_name_is_kept_apart_from_anonymous_answers(
    settings, connector, clock
):
    clock.now = T0
    async with start_bot(settings, connector, clock, jobs=SURVEY_JOBS) as bot:
        await pair_up(bot, started=T0 - timedelta(days=20))
        await set_dates(bot, T0.date() - timedelta(days=60), T0.date())
        await tick(bot, T0 + timedelta(minutes=15))
        await tick(bot, datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
        (card,) = survey_cards(bot, TOM)
        reply = await answer(
            bot, TOM, card, q_satisfaction="5", q_story="It changed my career", q_story_share="name"
        )
        assert "saved" in reply
        async with bot.db.unit() as repos:
            (story,) = (await repos.session.scalars(select(SurveyStory))).all()
            (response,) = (await repos.session.scalars(select(SurveyResponse))).all()
        assert story.user_id is not None and story.author_name == "Tom Mentee"
        assert story.response_id is None and response.user_id is None  # nothing links them
        # Changing to anonymous sharing moves it to the response, without the name.
        change = last_with_card(bot, TOM)
        assert "It changed my career" in card_text(change)
        await answer(bot, TOM, change, q_story_share="anonymous")
        async with bot.db.unit() as repos:
            (story,) = (await repos.session.scalars(select(SurveyStory))).all()
        assert story.user_id is None and story.author_name is None
        assert story.response_id == response.id


async def test_templates_are_versioned_so_a_sent_question_never_changes(settings, connector, clock):
    clock.now = T0
    async with start_bot(settings, connector, clock, jobs=SURVEY_JOBS) as bot:
        m = await pair_up(bot)
        await save_notes(bot, TOM, f"m{m}")
        await tick(bot, T0 + timedelta(minutes=15))
        await tick(bot, datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
        (first,) = survey_cards(bot, TOM)
        await answer(bot, TOM, first, q_useful="4")
        reply = await say(
            bot,
            ADMIN,
            "/survey reword Spring mentoring template=session question=useful "
            'text="How much did this session help you?"',
        )
        assert "now version 2" in reply
        reply = await say(
            bot,
            ADMIN,
            "/survey add Spring mentoring template=session kind=choice "
            'text="Where did you meet?" options="Video, In person"',
        )
        assert "Added `q1`" in reply and "version 3" in reply
        assert "Removed `q1`" in await say(
            bot, ADMIN, "/survey remove Spring mentoring template=session question=q1"
        )
        reply = await say(
            bot, ADMIN, '/survey add Spring mentoring template=session kind=yes_no text="Again?"'
        )
        assert "Added `q2`" in reply  # a removed key is never used again
        # Tom's answered survey keeps its wording: in his change card and in `my data`.
        await say(bot, TOM, "surveys")
        (data,) = [d for d in [_submit_data(c) for c in last_with_card(bot, TOM).cards] if d]
        await submit(bot, TOM, data)
        reopened = card_text(last_with_card(bot, TOM))
        assert "How useful was this session?" in reopened and "help you" not in reopened
        assert '"value": "4"' in reopened
        await bot.settle()
        assert "How useful was this session?" in json.dumps(await my_data(bot, TOM))
        # New notes: a new survey, with version 5's questions.
        clock.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
        await save_notes(bot, MIA, f"m{m}", NY)
        await tick(bot, datetime(2026, 11, 25, 12, 15, tzinfo=UTC))
        await tick(bot, datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
        newest = card_text(survey_cards(bot, TOM)[-1])
        assert "How much did this session help you?" in newest and "Again?" in newest
        assert "Where did you meet?" not in newest
        shown = await say(bot, ADMIN, "/survey show Spring mentoring template=session")
        assert "version 5" in shown and "`q2` [yes_no] Again?" in shown


async def test_survey_commands_check_their_input_and_who_asks(settings, connector, clock):
    clock.now = T0
    async with start_bot(settings, connector, clock, jobs=SURVEY_JOBS) as bot:
        await pair_up(bot)
        for text, problem in (
            ("/survey settings Spring mentoring session=maybe", "`session=` takes on or off"),
            ("/survey settings Spring mentoring k=2", "from 3 to 50"),
            ("/survey settings Spring mentoring days=100", "from 2 to 30"),
            ("/survey settings Autumn", "No program called 'Autumn'"),
            (
                "/survey add Spring mentoring template=nope kind=rating text=Hello",
                "no survey template",
            ),
            ("/survey add Spring mentoring template=session kind=essay text=Hello", "what kind"),
            ("/survey add Spring mentoring template=session kind=rating text=Hi", "5 to 200"),
            (
                "/survey add Spring mentoring template=session kind=choice text=Which options=one",
                "needs 2 to 8 choices",
            ),
            ("/survey reword Spring mentoring template=session question=zz text=Hello", "one of"),
            (
                "/survey remove Spring mentoring template=after question=still_meeting",
                "last question",
            ),
        ):
            reply = await say(bot, ADMIN, text)
            assert problem in reply and "Nothing changed" in reply, (text, reply)
        reply = await say(bot, ADMIN, "/survey settings Spring mentoring session=off k=5 days=10")
        assert "`session`: off" in reply and "k=5" in reply and "days=10" in reply
        assert "don't admin a team called 'Growth Guild'" in await say(
            bot, TOM, '/survey settings Spring mentoring team="Growth Guild"'
        )
        assert "don't admin any team" in await say(bot, TOM, "/survey settings Spring mentoring")
        in_channel = teams.channel_message(bot.service_url, TOM, TEAM, "/survey settings Spring")
        assert "is for admins of Growth Guild" in " ".join(await bot.send(in_channel))
        for private in ("/program report Spring mentoring", "/program export Spring mentoring"):
            in_channel = teams.channel_message(bot.service_url, ADMIN, TEAM, private)
            assert "is private" in " ".join(await bot.send(in_channel))  # numbers come 1:1
        for method, path, status in (
            ("GET", "/exports/", 404),
            ("GET", "/exports/" + "x" * 43, 404),
            ("POST", "/exports/" + "x" * 43, 405),
            ("GET", "/exports/%00%ff", 404),
        ):
            async with bot.session.request(method, bot.url + path) as resp:
                assert resp.status == status, (method, path)
        assert "is for team admins" in await say(bot, TOM, "/program report Spring mentoring")
        # Notes now make no survey (the moment is off for this program).
        async with bot.db.unit() as repos:
            m = (await repos.programs.live_mentorships(1))[0].id
        await save_notes(bot, TOM, f"m{m}")
        await tick(bot, T0 + timedelta(minutes=15))
        assert await count(bot, Survey) == 0


async def test_closing_a_program_promises_the_survey_only_to_those_who_get_one(
    settings, connector, clock
):
    clock.now = T0
    async with start_bot(settings, connector, clock, jobs=SURVEY_JOBS) as bot:
        await pair_up(bot, started=T0 - timedelta(days=20))
        await submit(bot, EVE, {"action": "enrol_save", "program": 1, "role": "mentee"})
        reply = await say(bot, ADMIN, "/program close Spring mentoring")
        assert "is closed" in reply
        thanks = {p.key: keyed_text(bot, p, "programclosed:") for p in (TOM, MIA, EVE)}
        assert "A short survey about it will follow" in thanks["tom"]
        assert "A short survey about it will follow" in thanks["mia"]
        assert "survey" not in thanks["eve"]  # never matched: no survey, no promise
        await tick(bot, datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
        await tick(bot, datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
        assert "Spring mentoring has ended" in card_text(survey_cards(bot, TOM)[0])
        assert {("end" in card_text(c)) for c in survey_cards(bot, MIA)} == {True}
        assert survey_cards(bot, EVE) == []
        async with bot.db.unit() as repos:
            keys = sorted(s.key for s in await repos.session.scalars(select(Survey)))
        assert keys == ["end:program1:mentee", "end:program1:mentor", "progress:m1:end"]


def keyed_text(bot, person, prefix) -> str:
    return " ".join(m.text or "" for m in keyed(bot, person, prefix))
