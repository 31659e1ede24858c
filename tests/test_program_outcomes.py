"""A simulated six-month mentoring program (5 mentors, 12 mentees in three time zones),
end to end on both databases: every survey moment fires once at each person's 09:00 with
one reminder for those who do not answer, anonymous answers hold no person id, the
report card's numbers and the CSV files equal the figures worked out by hand below from
the scenario, small aggregates are withheld, and other people get nothing.

Goal check-ins are written as rows (their scheduling is tested in test_checkins.py); the
survey job is the only job ticking, at the due times and the reminder times.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage.models import Mentorship, Survey, SurveyInvite, SurveyResponse
from tests.conftest import start_bot
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.feedbackkit import (
    SURVEY_JOBS,
    answer,
    card_text,
    download,
    facts_of,
    invite_id,
    last_with_card,
    link_of,
    rows,
    survey_cards,
    tick,
)
from tests.goalkit import filled, say, submit
from tests.inbox import inbox, keyed, submits

TEAM = TeamsTeam("grow", "Growth Guild")
ELSEWHERE = TeamsTeam("else", "Elsewhere")
ADMIN, ABE, OLGA = (
    TeamsUser("ada", "Ada Admin"),
    TeamsUser("abe", "Abe Deputy"),
    TeamsUser("olga", "Olga Other"),
)
MENTOR_NAMES = ["Mara", "Milo", "Mona", "Mika", "Moss"]
MENTEE_NAMES = ["Ana", "Ben", "Cai", "Dee", "Eli", "Fay", "Gus", "Hal", "Ida", "Jon", "Kit", "Lou"]
MENTORS = [TeamsUser(f"mentor{i}", f"{n} Mentor") for i, n in enumerate(MENTOR_NAMES)]
MENTEES = [TeamsUser(f"mentee{i}", f"{n} Mentee") for i, n in enumerate(MENTEE_NAMES)]
BERLIN, NY, TOKYO = "Europe/Berlin", "America/New_York", "Asia/Tokyo"
CITY = {BERLIN: "Berlin", NY: "New York", TOKYO: "Tokyo"}
MENTOR_ZONES = [BERLIN, NY, TOKYO, BERLIN, NY]
CAPACITY = [3, 3, 2, 2, 2]  # 12 seats for 12 mentees: every seat is taken


def zone_of(person: TeamsUser) -> str:
    if person in MENTORS:
        return MENTOR_ZONES[MENTORS.index(person)]
    return (BERLIN, NY, TOKYO)[MENTEES.index(person) % 3]


def dept_of(person: TeamsUser) -> str:
    return "Sales" if person in MENTEES[:8] else "Engineering"


# --- the scenario --------------------------------------------------------------------------------
def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


SETUP = utc(2026, 12, 13, 9)
MATCH_RUN = utc(2027, 1, 4, 10)  # mentee i enrolled on 14+i December at 10:00
CONFIRMED = utc(2027, 1, 5, 9)  # every agreement confirmed: the mentorships start
SESSION_DAYS = [
    utc(2027, m, d, 16) for m, d in ((1, 18), (2, 15), (3, 15), (4, 12), (5, 10), (6, 7))
]
SESSIONS = [6, 6, 6, 6, 6, 6, 4, 4, 4, 2, 3, 1]  # notes saved by each mentee's pair
NOT_FIT = utc(2027, 2, 20, 10)  # mentee 11 (Lou): "not a good fit"; no other seat is free
ENDED = utc(2027, 5, 3, 10)  # mentee 10 (Kit): `end mentoring`
CLOSE = utc(2027, 6, 25, 12)  # /program close (the program would end on 30 June)
REPORT = utc(2027, 8, 30, 10)
DAY30 = CONFIRMED + timedelta(days=30)
MIDDLE = utc(2027, 4, 2)  # 4 January to 30 June is 177 days: + 177 // 2 = 88 days
AFTER = CLOSE + timedelta(days=60)

# Answers, by mentee (or mentor) index.
MID_SAT = [5, 5, 4, 4, 4, 3, 5, 4, 2]  # mentees 0-8 answer halfway; 9 and 10 do not
MID_REC = [10, 9, 9, 8, 7, 6, 10, 9, 3]
MID_SKILLS = [(2, 3), (1, 2)]  # public speaking, mentees 0-1
MENTOR_MID_SAT, MENTOR_MID_REC = [4, 5, 4, 3, 5], [9, 8, 10, 7, 9]
END_SAT = [5, 5, 5, 4, 4, 4, 4, 3, 3, 2]  # mentees 0-9 at the end
END_REC = [10, 10, 9, 9, 8, 8, 7, 6, 5, 9]
END_SPEAKING = [(2, 4), (2, 4), (3, 4), (1, 3), (2, 3), (3, 5)]  # mentees 0-5
END_SQL = [(1, 2), (2, 2)]  # mentees 0-1: two answers, fewer than k
CAREER = ["new_role", "promotion"]  # mentees 0-1 only: withheld
MENTOR_END_SAT, MENTOR_END_REC = [5, 4, 4, 5], [10, 9, 8, 9]  # mentors 0-3
PROGRESS_MID = [4] * 6 + [3] * 3 + [2] * 2  # mentors' rating of mentees 0-10
PROGRESS_END = [5] * 6 + [4] * 3 + [3]  # of mentees 0-9 (who reached the end)
STILL_MEETING = ["yes"] * 5 + ["no"] * 5  # mentees 0-9, 60 days on; mentors don't answer

# --- the figures, by hand -----------------------------------------------------------------
# Satisfaction: 9 + 5 + 10 + 4 = 28 answers summing 36 + 21 + 39 + 18 = 114: 4.07.
# NPS: promoters 5 + 3 + 5 + 3 = 16, detractors 2 + 0 + 2 + 0 = 4: 100 * 12 / 28 = +43.
# Mentee progress: (6*4 + 3*3 + 2*2) + (6*5 + 3*4 + 3) = 37 + 45 = 82 over 21: 3.9.
# Skill growth: public speaking (1 + 1) + (2+2+1+2+1+2) = 12 over 8 answers: 1.5 (SQL: 2
#   answers, left out).
# Response rate: sent 108 (54 notes x 2) + 24 (day 30) + 11 + 5 (halfway) + 11 (progress)
#   + 12 + 5 (end) + 10 (progress) + 20 (60 days) = 206; answered 12 + 12 + 9 + 5 + 11 + 10
#   + 4 + 10 + 10 = 83: 40%.
# Pairs ran from 5 Jan 09:00 to the close, 25 Jun 12:00 (171.125 days; 10 pairs), to 3 May
#   10:00 (118.04 days) and to 20 Feb 10:00 (46.04 days): 1875.33 days = 62.51 months;
#   54 sessions / 62.51 = 0.86 a pair-month.
# Monthly cadence (30 days): whole months ran 5, 3 and 1; at cadence: mentees 0-5 (6 of 5),
#   Kit (3 of 3), Lou (1 of 1): 8 of 12 = 67%. Completed (to the end, 5 of 5): 6 of 12 = 50%.
# Day 30 (4 Feb): 12 of 12; day 90 (5 Apr): 11 of 12 = 92%. Lasted to the end: 10 of 12.
# Still meeting 60 days after: 5 of the 10 = 50%. Cross-department: 8 Sales mentees of 12.
# Check-ins: 10 mentees x 24 weekly; 6 answer all, 4 answer 12: 192 / 240 = 80%.
# Goals: 10 for 17 participants = 0.59; 6 of 10 done by 30 April = 60%; 1 blocked.
# Days to match: 21 - i for mentee i: median of 10..21 = 15.5.
EXPECTED_CARD = {
    "Enrolled": "17 = (before: 17)",
    "Matched": "17 ▲ (before: 0)",
    "Median days to match": "15.5 days",
    "Sessions per pair a month": "0.86",
    "Pairs meeting at the agreed cadence": "67%",
    "Check-in response rate": "80%",
    "Pairs using agendas": "33%",
    "Goals per participant": "0.59 ▲ (before: 0)",
    "Goals achieved by target date": "60%",
    "Goals blocked now": "1 ▲ (before: 0)",
    "Satisfaction (1-5)": "4.07 (28 answers)",
    "Recommend score (NPS)": "+43 (28 answers)",
    "Mentors' rating of mentee progress (1-5)": "3.9 (21 answers)",
    "Skill growth (now minus start, 1-5)": "1.5 (8 answers)",
    "Survey response rate": "40%",
    "Still meeting at day 30": "100%",
    "Still meeting at day 90": "92%",
    "Completed with the agreement kept": "50%",
    "Early endings, by how": "not_fit: 1, ended: 1, erased: 0",
    "Career change": "fewer than 3 answers",
    "Still meeting 60 days after the end": "50%",
    "Cross-department pairs": "67%",
}


def morning(zone: str, after: datetime) -> datetime:
    """The oracle: the first 09:00 in the zone at or after the moment."""
    tz = ZoneInfo(zone)
    day = after.astimezone(tz).date()
    at = datetime.combine(day, time(9), tzinfo=tz)
    if at < after:
        at = datetime.combine(day + timedelta(days=1), time(9), tzinfo=tz)
    return at.astimezone(UTC)


def two_mornings_later(zone: str, sent: datetime) -> datetime:
    tz = ZoneInfo(zone)
    day = sent.astimezone(tz).date() + timedelta(days=2)
    return datetime.combine(day, time(9), tzinfo=tz).astimezone(UTC)


def survey_ticks() -> list[datetime]:
    """Each moment's 09:00 in every zone, and the reminders two mornings later."""
    ticks = set()
    for moment in (*SESSION_DAYS, DAY30, MIDDLE, CLOSE, AFTER):
        for zone in (BERLIN, NY, TOKYO):
            due = morning(zone, moment)
            ticks |= {due, two_mornings_later(zone, due)}
    return sorted(ticks)


# --- driving the bot ----------------------------------------------------------------------------
async def at(bot: Any, when: datetime) -> None:
    await bot.settle()
    bot.clock.now = when


async def setup_program(bot: Any) -> None:
    people = [ADMIN, ABE, *MENTORS, *MENTEES]
    bot.connector.set_roster(TEAM.id, [p.member() for p in people], TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ADMIN, TEAM))
    await say(bot, ADMIN, '/program new name="Spring mentoring"', BERLIN)
    form = {
        "action": "program_save",
        "program": "new",
        "team": 1,
        "name": "Spring mentoring",
        "objectives": "skills",
        "focus_areas": "Public speaking, SQL",
        "starts_on": "2027-01-04",
        "ends_on": "2027-06-30",
        "cadence": "monthly",
        "capacity": "2",
        "mode": "automatic",
        "agreement": "Meet monthly.",
    }
    assert "is set up" in await submit(bot, ADMIN, form, BERLIN)
    for person in (*MENTORS, *MENTEES):
        mentor = person in MENTORS
        profile = {
            "action": "profile_save",
            "role": "mentor" if mentor else "mentee",
            "timezone": zone_of(person),
            "department": dept_of(person),
            "location": CITY[zone_of(person)],
            "meeting_format": "video",
            "meetings_per_month": "1",
            "languages": "English",
            ("skills_offer" if mentor else "skills_want"): "SQL, public speaking",
        } | ({"max_mentees": "3"} if mentor else {})
        await submit(bot, person, profile, zone_of(person))


async def enrol(bot: Any) -> None:
    for n, mentor in enumerate(MENTORS):
        value = {
            "action": "enrol_save",
            "program": 1,
            "role": "mentor",
            "capacity": str(CAPACITY[n]),
            "experience_years": "12",
        }
        assert "You're in" in await submit(bot, mentor, value, zone_of(mentor))
    for i, mentee in enumerate(MENTEES):
        await at(bot, utc(2026, 12, 14 + i, 10))
        value = {
            "action": "enrol_save",
            "program": 1,
            "role": "mentee",
            "experience_years": "2" if i < 8 else "4",
        }
        assert "You're in" in await submit(bot, mentee, value, zone_of(mentee))


async def match_and_confirm(bot: Any) -> dict[str, int]:
    await at(bot, MATCH_RUN)
    await say(bot, ADMIN, "/match run Spring mentoring", BERLIN)
    await at(bot, CONFIRMED)
    for person in (*MENTORS, *MENTEES):
        for card in keyed(bot, person, "agreement:"):
            (data,) = submits(card, "agreement_confirm")
            await submit(bot, person, data | {"channel": "video"}, zone_of(person))
    async with bot.db.unit() as repos:
        rows_ = (await repos.session.scalars(select(Mentorship))).all()
        people = await repos.users.by_ids(m.mentee_id for m in rows_)
    assert len(rows_) == 12 and {m.started_at for m in rows_} == {CONFIRMED}
    return {people[m.mentee_id].teams_id[3:]: m.id for m in rows_}


async def seed_checkins(bot: Any) -> None:
    """24 weekly check-ins of mentees 0-9; 0-5 answer all of them, 6-9 the first 12."""
    mondays = [utc(2027, 1, 11, 9) + timedelta(weeks=w) for w in range(24)]
    async with bot.db.unit() as repos:
        for i, mentee in enumerate(MENTEES[:10]):
            user = await repos.users.by_teams_id(mentee.id)
            for w, due in enumerate(mondays):
                row = await repos.goals.add_checkin(
                    user.id, due.date().isoformat(), "schedule", [], due, due
                )
                if i < 6 or w < 12:
                    row.answered_at = due + timedelta(hours=1)


# --- answering, by what the survey is ------------------------------------------------------
def mentee_index(name_key: str) -> int:
    return [m.key for m in MENTEES].index(name_key)


def session_answers(
    invite: SurveyInvite, key: str, person: TeamsUser, firsts: set[str]
) -> dict | None:
    if person not in MENTEES or person.key in firsts:
        return None  # mentors never answer session surveys; mentees only their first
    firsts.add(person.key)
    i = mentee_index(person.key)
    more = {"q_more_of": "More real examples"} if i < 4 else {}
    return {"q_useful": "4", "q_next_step": "yes", **more}


def answers_for(
    survey: Survey, invite: SurveyInvite, person: TeamsUser, partner: str | None, firsts: set[str]
) -> dict | None:
    moment = survey.moment
    if moment == "session":
        return session_answers(invite, survey.key, person, firsts)
    if moment == "day30":
        if person not in MENTEES:
            return None
        blocking = {"q_blocking": "Finding time"} if mentee_index(person.key) < 2 else {}
        return {"q_working": "4", "q_often_enough": "yes", **blocking}
    if moment == "progress":
        i = mentee_index(partner)
        return {
            "q_mentee_progress": str(
                (PROGRESS_MID if survey.key.endswith(":mid") else PROGRESS_END)[i]
            )
        }
    if moment == "after":
        return (
            {"q_still_meeting": STILL_MEETING[mentee_index(person.key)]}
            if person in MENTEES
            else None
        )
    if moment == "mid":
        return _mid(person)
    if moment == "end":
        return _end(person)
    raise AssertionError(survey.key)


def _mid(person: TeamsUser) -> dict | None:
    if person in MENTORS:
        n = MENTORS.index(person)
        return {"q_satisfaction": str(MENTOR_MID_SAT[n]), "q_recommend": str(MENTOR_MID_REC[n])}
    i = mentee_index(person.key)
    if i >= len(MID_SAT):
        return None
    found = {"q_satisfaction": str(MID_SAT[i]), "q_recommend": str(MID_REC[i])}
    if i < len(MID_SKILLS):
        found |= {
            "q_skills_0_before": str(MID_SKILLS[i][0]),
            "q_skills_0_after": str(MID_SKILLS[i][1]),
        }
    return found


def _end(person: TeamsUser) -> dict | None:
    if person in MENTORS:
        n = MENTORS.index(person)
        if n >= len(MENTOR_END_SAT):
            return None
        return {"q_satisfaction": str(MENTOR_END_SAT[n]), "q_recommend": str(MENTOR_END_REC[n])}
    i = mentee_index(person.key)
    if i >= len(END_SAT):
        return None
    found = {"q_satisfaction": str(END_SAT[i]), "q_recommend": str(END_REC[i])}
    if i < len(END_SPEAKING):
        found |= {
            "q_skills_0_before": str(END_SPEAKING[i][0]),
            "q_skills_0_after": str(END_SPEAKING[i][1]),
        }
    if i < len(END_SQL):
        found |= {"q_skills_1_before": str(END_SQL[i][0]), "q_skills_1_after": str(END_SQL[i][1])}
    if i < len(CAREER):
        found["q_career"] = CAREER[i]
    if i < 3:
        found |= {"q_story": f"Story {i}", "q_story_share": "name" if i == 0 else "anonymous"}
    if i < 6:
        found["q_demographic_gender"] = "woman" if i < 5 else "man"
    if i < 3:
        found["q_demographic_age"] = "30_44"
    return found


class Answering:
    """Answers each survey card as it arrives, as the scenario says."""

    def __init__(self, bot: Any) -> None:
        self.bot, self.seen, self.firsts = bot, set(), set()
        self.answered: set[int] = set()

    async def new_cards(self) -> None:
        for person in (*MENTORS, *MENTEES):
            for card in survey_cards(self.bot, person):
                invite = invite_id(card)
                if invite not in self.seen:
                    self.seen.add(invite)
                    await self._answer(person, card, invite)

    async def _answer(self, person: TeamsUser, card: Any, invite_id_: int) -> None:
        async with self.bot.db.unit() as repos:
            invite = await repos.feedback.invite(invite_id_)
            survey = await repos.feedback.survey(invite.survey_id)
            partner = await repos.users.get(invite.partner_id) if invite.partner_id else None
        partner_key = partner.teams_id[3:] if partner and partner.teams_id else None
        values = answers_for(survey, invite, person, partner_key, self.firsts)
        if values is None:
            return
        reply = await answer(self.bot, person, card, **values)
        assert "your answers are saved" in reply, (survey.key, person, reply)
        self.answered.add(invite_id_)


async def test_six_months_of_a_program_add_up_to_the_report_and_the_files(
    settings, connector, clock
):
    # Six months of one person's messages arrive within seconds here: Teams' per-chat
    # window (60 in 30 s) would hold them back; the rate limits have tests of their own.
    fast = replace(settings.delivery, tenant_per_second=1000, conversation_limits=((1000, 1.0),))
    settings = replace(settings, delivery=fast)
    clock.now = SETUP
    async with start_bot(settings, connector, clock, jobs=SURVEY_JOBS) as bot:
        await setup_program(bot)
        await enrol(bot)
        pairs = await match_and_confirm(bot)
        await seed_checkins(bot)
        answering = Answering(bot)

        async def scenario(when: datetime) -> None:
            """What people do at a moment of the scenario (between the survey ticks)."""
            if when == utc(2027, 1, 11, 10):
                for mentee in MENTEES[:10]:
                    await say(
                        bot, mentee, "goal add Finish the course target=2027-04-30", zone_of(mentee)
                    )
            elif when == utc(2027, 2, 10, 10):
                for mentee in MENTEES[:4]:
                    value = {
                        "action": "agenda_save",
                        "pair": f"m{pairs[mentee.key]}",
                        "achieve": "Plan",
                    }
                    assert "Saved" in await submit(bot, mentee, value, zone_of(mentee))
            elif when in SESSION_DAYS:
                n = SESSION_DAYS.index(when)
                for i, mentee in enumerate(MENTEES):
                    if n < SESSIONS[i]:
                        notes = {
                            "action": "notes_save",
                            "pair": f"m{pairs[mentee.key]}",
                            "summary": "Good talk",
                        }
                        assert "Notes saved" in await submit(bot, mentee, notes, zone_of(mentee))
            elif when == NOT_FIT:
                lou = MENTEES[11]
                value = {"action": "mentorship_not_fit", "mentorship": pairs[lou.key]}
                assert "wasn't a good fit" in await submit(bot, lou, value, zone_of(lou))
            elif when == utc(2027, 3, 1, 10):
                jon = MENTEES[9]
                await say(bot, jon, "checkin", zone_of(jon))
                card = last_with_card(bot, jon)
                goal = next(k.split("_")[1] for k in _inputs(card) if k.startswith("progress_"))
                value = filled(
                    card, "checkin_save", **{f"progress_{goal}": "30", f"status_{goal}": "blocked"}
                )
                assert "Check-in saved" in await submit(bot, jon, value, zone_of(jon))
            elif when == utc(2027, 4, 20, 10):
                for mentee in MENTEES[:6]:
                    await say(bot, mentee, "goal done 1", zone_of(mentee))
            elif when == ENDED:
                kit = MENTEES[10]
                assert "has ended" in await say(bot, kit, "end mentoring", zone_of(kit))
            elif when == utc(2027, 5, 10, 10):
                for mentee in MENTEES[6:8]:
                    await say(bot, mentee, "goal done 1", zone_of(mentee))
            elif when == utc(2027, 6, 1, 10):
                reply = await say(
                    bot, ADMIN, "/survey settings Spring mentoring demographics=on", BERLIN
                )
                assert (
                    "Demographic questions (optional, self-reported, end of program): on" in reply
                )
            elif when == CLOSE:
                assert "is closed" in await say(
                    bot, ADMIN, "/program close Spring mentoring", BERLIN
                )

        actions = [
            utc(2027, 1, 11, 10),
            utc(2027, 2, 10, 10),
            *SESSION_DAYS,
            NOT_FIT,
            utc(2027, 3, 1, 10),
            utc(2027, 4, 20, 10),
            ENDED,
            utc(2027, 5, 10, 10),
            utc(2027, 6, 1, 10),
            CLOSE,
        ]
        for when in sorted(set(actions) | set(survey_ticks())):
            if when in actions:
                await at(bot, when)
                await scenario(when)
            if when in survey_ticks():
                await tick(bot, when)
                await answering.new_cards()

        await check_timing(bot, answering.answered)
        await check_anonymity(bot)
        await at(bot, REPORT)
        await check_report(bot)
        await check_files(bot, pairs)
        await check_refusals(bot)


def _inputs(message: Any) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and "id" in node:
                found.append(node["id"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(message.cards)
    return found


def exactly(bot: Any, person: TeamsUser, key: str) -> list[Any]:
    return [m for m in keyed(bot, person, key) if m.body["id"] == key]


async def check_timing(bot: Any, answered: set[int]) -> None:
    """Every invite came at 09:00 where its person is, once; one reminder if unanswered."""
    async with bot.db.unit() as repos:
        found = (await repos.session.execute(select(SurveyInvite, Survey).join(Survey))).all()
        users = await repos.users.by_ids(i.user_id for i, _ in found)
    by_key = {p.key: p for p in (*MENTORS, *MENTEES)}
    counts: dict[str, int] = {}
    for invite, survey in found:
        person = by_key[users[invite.user_id].teams_id[3:]]
        zone = zone_of(person)
        expected = morning(zone, survey.moment_at)
        assert invite.sent_at == expected == invite.due_at, (survey.key, person, invite.sent_at)
        assert invite.answered == (invite.id in answered)
        reminder = None if invite.answered else two_mornings_later(zone, expected)
        assert invite.reminded_at == reminder, (survey.key, person)
        assert len(exactly(bot, person, f"survey:invite{invite.id}")) == 1
        reminded = exactly(bot, person, f"surveyreminder:invite{invite.id}")
        assert len(reminded) == (0 if invite.answered else 1)
        name = survey.key.split(":")[0] + (
            ":" + survey.key.split(":")[-1] if survey.moment in ("mid", "end", "progress") else ""
        )
        counts[name] = counts.get(name, 0) + 1
    assert counts == {
        "session": 108,
        "day30": 24,
        "mid:mentee": 11,
        "mid:mentor": 5,
        "progress:mid": 11,
        "end:mentee": 12,
        "end:mentor": 5,
        "progress:end": 10,
        "after": 20,
    }
    assert len(answered) == 83
    moments = {s.key: s.moment_at for _, s in found}
    assert moments["mid:program1:mentee"] == MIDDLE and moments["end:program1:mentee"] == CLOSE


async def check_anonymity(bot: Any) -> None:
    async with bot.db.unit() as repos:
        found = (await repos.session.execute(select(SurveyResponse, Survey).join(Survey))).all()
        invites_ = (await repos.session.execute(select(SurveyInvite, Survey).join(Survey))).all()
    anonymous = [r for r, s in found if s.moment in ("mid", "end")]
    named = [r for r, s in found if s.moment not in ("mid", "end")]
    assert len(anonymous) == 9 + 5 + 10 + 4 and len(named) == 83 - 28
    assert all(r.user_id is None and r.updated_at is None for r in anonymous)
    assert all(r.user_id is not None for r in named)
    assert all(i.answered_at is None for i, s in invites_ if s.anonymous)


async def check_report(bot: Any) -> None:
    reply = await say(bot, ADMIN, "/program report Spring mentoring", BERLIN)
    card = last_with_card(bot, ADMIN)
    assert "Spring mentoring" in card_text(card), reply
    facts = facts_of(card)
    assert {k: facts[k] for k in EXPECTED_CARD} == EXPECTED_CARD
    assert "2027-01-04 to 2027-08-30" in card_text(card)
    assert "2026-05-10 to 2027-01-03" in card_text(card)  # the 239 days before


async def export(bot: Any, who: TeamsUser, what: str) -> Any:
    await say(bot, who, f"/program export Spring mentoring what={what}", BERLIN)
    return last_with_card(bot, who)


async def check_files(bot: Any, pairs: dict[str, int]) -> None:
    names = {p.key: p.name for p in (*MENTORS, *MENTEES)}
    status, body, headers = await download(bot, link_of(await export(bot, ADMIN, "metrics")))
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert "attachment" in headers["Content-Disposition"]
    metrics = {r["metric"]: r for r in rows(body)}
    assert metrics["satisfaction"]["value"] == "4.07" and metrics["satisfaction"]["answers"] == "28"
    assert metrics["recommend"]["shown"] == "+43 (28 answers)"
    assert metrics["sessions_per_pair_month"]["value"] == "0.86"
    assert metrics["response_rate"]["shown"] == "40%"
    assert metrics["career_change"]["shown"] == "fewer than 3 answers"
    assert metrics["invited"]["value"] == "19"  # the admins, 5 mentors and 12 mentees
    assert metrics["unmatched"]["shown"] == "—"
    assert metrics["departments"]["shown"] == "Engineering: 9, Sales: 8"
    assert metrics["locations"]["shown"] == "Berlin: 6, New York: 6, Tokyo: 5"
    assert metrics["seniority"]["shown"] == "0-2 years: 8, 11+ years: 5, 3-5 years: 4"
    assert metrics["demographics"]["shown"] == "age: fewer than 5 answers, gender: woman: 5"
    assert metrics["retention_end"]["shown"] == "83%"
    assert metrics["agendas"]["value"] == "4"

    status, body, _ = await download(bot, link_of(await export(bot, ADMIN, "pairs")))
    by_mentee = {r["mentee"]: r for r in rows(body)}
    assert status == 200 and len(by_mentee) == 12
    for i, mentee in enumerate(MENTEES):
        row = by_mentee[mentee.name]
        assert row["sessions_in_window"] == str(SESSIONS[i]) and row["pair"] == str(
            pairs[mentee.key]
        )
        assert row["started_on"] == "2027-01-05" and row["matched_on"] == "2027-01-04"
        assert row["ended_how"] == {10: "ended", 11: "not_fit"}.get(i, "closed")
        assert row["at_cadence_in_window"] == ("yes" if i < 6 or i >= 10 else "no")
        assert row["agendas_in_window"] == ("1" if i < 4 else "0")
    assert {r["mentor"] for r in by_mentee.values()} == {m.name for m in MENTORS}

    status, body, _ = await download(bot, link_of(await export(bot, ADMIN, "participants")))
    people = {r["participant"]: r for r in rows(body)}
    assert len(people) == 17
    for i, mentee in enumerate(MENTEES):
        row = people[mentee.name]
        assert row["days_to_match"] == f"{21 - i:.1f}" and row["enrolled_on"] == f"2026-12-{14 + i}"
        assert row["department"] == dept_of(mentee) and row["experience"] == (
            "0-2 years" if i < 8 else "3-5 years"
        )
    assert {people[m.name]["mentorships"] for m in MENTORS} == {str(c) for c in CAPACITY}

    status, body, _ = await download(bot, link_of(await export(bot, ADMIN, "feedback")))
    assert status == 200
    table = {(r["survey"], r["question"], r["part"]): r for r in rows(body)}
    assert table[("mid.mentee", "satisfaction", "")]["answers"] == "9"
    assert table[("mid.mentee", "satisfaction", "")]["mean"] == "4.0"  # 36 / 9
    assert table[("end.mentee", "skills", "Public speaking")]["mean"] == "1.67"  # 10 / 6
    assert table[("end.mentee", "skills", "SQL")]["written_answers"] == "fewer than 3 answers"
    assert (
        table[("mid.mentee", "skills", "Public speaking")]["written_answers"]
        == "fewer than 3 answers"
    )
    assert table[("end.mentee", "career", "")]["written_answers"] == "fewer than 3 answers"
    assert table[("end.mentee", "demographic_gender", "")]["distribution"] == "Woman: 5"
    assert table[("end.mentee", "demographic_age", "")]["written_answers"] == "fewer than 5 answers"
    assert (
        table[("session", "more_of", "")]["written_answers"].split("\n")
        == ["More real examples"] * 4
    )
    assert table[("day30", "blocking", "")]["written_answers"] == "fewer than 3 answers"
    assert table[("after", "still_meeting", "")]["distribution"] == "yes: 5; no: 5"
    story = table[("end.mentee", "story", "")]
    assert story["written_answers"] == f"{names['mentee0']}: Story 0"  # the 2 anonymous: withheld
    assert "2 anonymous, fewer than 3, withheld" in story["text"]
    others = [n for k, n in names.items() if k != "mentee0"]
    assert not any(name in body for name in others)  # no answer next to a name


async def check_refusals(bot: Any) -> None:
    ana = MENTEES[0]
    assert "is for team admins" in await say(
        bot, ana, "/program export Spring mentoring what=pairs", BERLIN
    )
    assert "is for team admins" in await say(bot, ana, "/program report Spring mentoring", BERLIN)
    # An admin of another team sees no trace of this program.
    bot.connector.set_roster(ELSEWHERE.id, [OLGA.member()], ELSEWHERE.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, OLGA, ELSEWHERE))
    reply = await say(bot, OLGA, "/program report Spring mentoring", BERLIN)
    assert "No program called 'Spring mentoring' in Elsewhere" in reply and "%" not in reply
    value = {
        "action": "feedback_export",
        "program": 1,
        "what": "pairs",
        "from": "2027-01-04",
        "to": "2027-08-30",
    }
    assert "among the teams you admin" in await submit(bot, OLGA, value, BERLIN)
    assert "among the teams you admin" in await submit(bot, ana, value, BERLIN)
    assert [m for m in inbox(bot, OLGA) if "Download" in card_text(m)] == []
    # A link is bound to its admin's rights when it is opened, and lives 15 minutes.
    assert "is now an admin" in await say(bot, ADMIN, '/admin add user="Abe"', BERLIN)
    abe_link = link_of(await export(bot, ABE, "pairs"))
    late_link = link_of(await export(bot, ADMIN, "metrics"))
    assert (await download(bot, abe_link))[0] == 200
    assert "no longer an admin" in await say(bot, ADMIN, '/admin remove user="Abe"', BERLIN)
    status, body, _ = await download(bot, abe_link)
    assert status == 403 and "Mentee" not in body
    bot.clock.advance(minutes=16)
    assert (await download(bot, late_link))[0] == 410
    forged = late_link[:-5] + ("aaaaa" if not late_link.endswith("aaaaa") else "bbbbb")
    for bad in (forged, late_link.rsplit("/", 1)[0] + "/short", late_link + "x"):
        assert (await download(bot, bad))[0] == 404
