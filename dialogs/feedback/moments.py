"""When surveys happen, and getting them to people: the "surveys" job and the
end-of-program hook.

Moments (each on by default for a program, switchable with `/survey settings`):
- session: a mentorship pair saved notes (both sides; `session:notes<id>`)
- day30: 30 days after a mentorship's agreement was confirmed (`day30:m<id>`)
- mid: halfway through the program (each side its own template; `mid:program<id>:mentee`)
  and the mentors' rating of each mentee's progress (`progress:m<id>:mid`)
- end: the program's end, its last day or its close if that comes first (`end:...`,
  `progress:m<id>:end`); /program close makes them at once
- after: 60 days after the end, "still meeting?" to both sides of each pair that lasted
  to the end (`after:m<id>`)
- pulse (coffee, off by default): a round's follow-up time (`pulse:round<id>`)

A survey's key is unique, so a moment makes its survey once however often the job runs
or however many replicas run it. Each invitee's card is due at 09:00 in their own zone
(core/local_time.py) at or after the moment, has one reminder two local days later at
09:00, and closes `close_days` after it was due. The job only makes surveys for moments
of the last 7 days, so a new deployment or a long outage does not send old ones.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from dialogs.core import i18n, outbox
from dialogs.core.local_time import local_day, reachable, zone_name, zones_of
from dialogs.core.people import languages_of
from dialogs.feedback import cards, templates
from dialogs.feedback.metrics import program_end, program_middle
from scheduler.types import JobContext
from storage.models import (
    FeedbackSettings,
    Mentorship,
    PairRound,
    Program,
    Survey,
    SurveyInvite,
    User,
)
from storage.repos import Repos

_ = i18n.catalog(__package__)
JOB = "surveys"
MORNING = time(9, 0)  # surveys arrive at 09:00 where the person is
REMIND_AFTER_DAYS = 2
LOOKBACK = timedelta(days=7)
DAY30 = timedelta(days=30)
AFTER = timedelta(days=60)
PROGRAM_MOMENTS = ("session", "day30", "mid", "end", "progress", "after")
DEFAULT_CLOSE_DAYS = 7


def next_morning(zone: str, after: datetime) -> datetime:
    """The first 09:00 in the zone at or after the moment (UTC)."""
    tz = ZoneInfo(zone_name(zone))
    local = after.astimezone(tz)
    at = datetime.combine(local.date(), MORNING, tzinfo=tz)
    if at < after:
        at = datetime.combine(local.date() + timedelta(days=1), MORNING, tzinfo=tz)
    return at.astimezone(after.tzinfo)


def morning_after_days(zone: str, sent: datetime, days: int) -> datetime:
    """09:00 local, `days` local days after the day it was sent."""
    tz = ZoneInfo(zone_name(zone))
    day = sent.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, MORNING, tzinfo=tz).astimezone(sent.tzinfo)


@dataclass(frozen=True)
class Invitee:
    user_id: int
    role: str  # mentor | mentee | member
    partner_id: int | None = None


def is_on(settings: FeedbackSettings | None, moment: str) -> bool:
    return settings is None or moment not in settings.moments_off


# --- making surveys -----------------------------------------------------------------------------
async def make_survey(
    repos: Repos,
    *,
    key: str,
    name: str,
    scope: str,
    team_id: int,
    moment_at: datetime,
    invitees: list[Invitee],
    now: datetime,
    close_days: int = DEFAULT_CLOSE_DAYS,
    demographics: bool = False,
    program: Program | None = None,
    mentorship_id: int | None = None,
    round_id: int | None = None,
) -> Survey | None:
    """The survey of a moment with its invites, once (None when its key exists)."""
    if not invitees:
        return None
    template = await templates.current(repos, scope, name, demographics, now)
    survey = await repos.feedback.add_survey(
        key=key,
        moment=templates.moment_of(name),
        team_id=team_id,
        program_id=program.id if program else None,
        mentorship_id=mentorship_id,
        round_id=round_id,
        template_id=template.id,
        anonymous=templates.anonymous(name),
        focus_areas=list(program.focus_areas) if program else [],
        moment_at=moment_at,
        created_at=now,
    )
    if survey is None:
        return None
    people = await repos.users.by_ids(i.user_id for i in invitees)
    zones = await zones_of(repos, people.values())
    for invitee in invitees:
        if invitee.user_id not in people:
            continue
        due = next_morning(zones[invitee.user_id], moment_at)
        repos.feedback.add_invite(
            SurveyInvite(
                survey_id=survey.id,
                user_id=invitee.user_id,
                role=invitee.role,
                partner_id=invitee.partner_id,
                due_at=due,
                closes_at=due + timedelta(days=close_days),
                answered=False,
            )
        )
    await repos.flush()
    return survey


def _both_sides(m: Mentorship) -> list[Invitee]:
    return [
        Invitee(m.mentor_id, "mentor", m.mentee_id),
        Invitee(m.mentee_id, "mentee", m.mentor_id),
    ]


def _close_days(settings: FeedbackSettings | None) -> int:
    return settings.close_days if settings else DEFAULT_CLOSE_DAYS


async def plan(repos: Repos, now: datetime) -> None:
    """Make the surveys of every moment that happened in the last week."""
    since = now - LOOKBACK
    programs = await repos.feedback.running_programs()
    settings = await repos.feedback.programs_settings(p.id for p in programs)
    await _sessions(repos, since, now, settings)
    await _day30(repos, since, now, settings)
    for program in programs:
        await _program_moments(repos, program, settings.get(program.id), since, now)
    await _pulses(repos, since, now)


async def _sessions(
    repos: Repos, since: datetime, now: datetime, settings: dict[int, FeedbackSettings]
) -> None:
    notes = await repos.feedback.notes_since(since)
    made = await repos.feedback.existing_keys(f"session:notes{n[0]}" for n in notes)
    for notes_id, saved_at, _author, _partner, mentorship, program in notes:
        key = f"session:notes{notes_id}"
        wanted = is_on(settings.get(program.id), "session") and mentorship.status == "active"
        if key in made or not wanted or saved_at > now:
            continue
        await make_survey(
            repos,
            key=key,
            name="session",
            scope=templates.program_scope(program.id),
            team_id=program.team_id,
            moment_at=saved_at,
            invitees=_both_sides(mentorship),
            now=now,
            close_days=_close_days(settings.get(program.id)),
            program=program,
            mentorship_id=mentorship.id,
        )


async def _day30(
    repos: Repos, since: datetime, now: datetime, settings: dict[int, FeedbackSettings]
) -> None:
    started = await repos.feedback.started_between(since - DAY30, now - DAY30)
    made = await repos.feedback.existing_keys(f"day30:m{m.id}" for m, _ in started)
    for mentorship, program in started:
        key = f"day30:m{mentorship.id}"
        if key in made or not is_on(settings.get(program.id), "day30"):
            continue
        assert mentorship.started_at is not None
        await make_survey(
            repos,
            key=key,
            name="day30",
            scope=templates.program_scope(program.id),
            team_id=program.team_id,
            moment_at=mentorship.started_at + DAY30,
            invitees=_both_sides(mentorship),
            now=now,
            close_days=_close_days(settings.get(program.id)),
            program=program,
            mentorship_id=mentorship.id,
        )


async def _program_moments(
    repos: Repos,
    program: Program,
    settings: FeedbackSettings | None,
    since: datetime,
    now: datetime,
) -> None:
    middle = program_middle(program.starts_on, program.ends_on)
    end = program_end(program.ends_on, program.closed_at)
    if since < middle <= now and middle < end:
        await program_wide(repos, program, settings, "mid", middle, now)
    if since < end <= now:
        await program_wide(repos, program, settings, "end", end, now)
    if since < end + AFTER <= now and is_on(settings, "after"):
        await _after(repos, program, settings, end, now)


def _live_at(m: Mentorship, at: datetime) -> bool:
    started = m.started_at is not None and m.started_at <= at
    return started and (m.ended_at is None or m.ended_at >= at or m.end_kind == "closed")


async def program_wide(
    repos: Repos,
    program: Program,
    settings: FeedbackSettings | None,
    moment: str,
    at: datetime,
    now: datetime,
) -> set[int]:
    """The mid- or end-of-program surveys (one per side) and the mentors' progress
    ratings; returns who was invited (new invites only)."""
    pairs = await repos.feedback.program_mentorships(program.id)
    keys = [f"{moment}:program{program.id}:{role}" for role in ("mentee", "mentor")]
    keys += [f"progress:m{m.id}:{moment}" for m in pairs if _live_at(m, at)]
    made = await repos.feedback.existing_keys(keys)
    if made == set(keys):
        return set()  # the usual case: every tick of the week after the moment
    enrolled = {e.user_id: e.role for e in await repos.programs.enrolments(program.id)}
    if moment == "mid":
        pairs = [m for m in pairs if _live_at(m, at)]
    sides = {(m.mentor_id, "mentor") for m in pairs} | {(m.mentee_id, "mentee") for m in pairs}
    invited: set[int] = set()
    if is_on(settings, moment):
        for role in ("mentee", "mentor"):
            people = [
                Invitee(u, role) for u, r in enrolled.items() if r == role and (u, r) in sides
            ]
            survey = await make_survey(
                repos,
                key=f"{moment}:program{program.id}:{role}",
                name=f"{moment}.{role}",
                scope=templates.program_scope(program.id),
                team_id=program.team_id,
                moment_at=at,
                invitees=people,
                now=now,
                close_days=_close_days(settings),
                demographics=bool(settings and settings.demographics),
                program=program,
            )
            invited |= {p.user_id for p in people} if survey else set()
    if is_on(settings, "progress"):
        for m in pairs:
            key = f"progress:m{m.id}:{moment}"
            if key not in made and _live_at(m, at) and enrolled.get(m.mentor_id) == "mentor":
                await make_survey(
                    repos,
                    key=key,
                    name="progress",
                    scope=templates.program_scope(program.id),
                    team_id=program.team_id,
                    moment_at=at,
                    invitees=[Invitee(m.mentor_id, "mentor", m.mentee_id)],
                    now=now,
                    close_days=_close_days(settings),
                    program=program,
                    mentorship_id=m.id,
                )
    return invited


async def _after(
    repos: Repos, program: Program, settings: FeedbackSettings | None, end: datetime, now: datetime
) -> None:
    pairs = [m for m in await repos.feedback.program_mentorships(program.id) if _live_at(m, end)]
    made = await repos.feedback.existing_keys(f"after:m{m.id}" for m in pairs)
    for m in pairs:
        if f"after:m{m.id}" in made:
            continue
        await make_survey(
            repos,
            key=f"after:m{m.id}",
            name="after",
            scope=templates.program_scope(program.id),
            team_id=program.team_id,
            moment_at=end + AFTER,
            invitees=_both_sides(m),
            now=now,
            close_days=_close_days(settings),
            program=program,
            mentorship_id=m.id,
        )


async def _pulses(repos: Repos, since: datetime, now: datetime) -> None:
    rounds = await repos.feedback.rounds_between(since, now)
    made = await repos.feedback.existing_keys(f"pulse:round{r.id}" for r, _, _ in rounds)
    for pair_round, followup_days, seated in rounds:
        if f"pulse:round{pair_round.id}" in made:
            continue
        await _pulse(repos, pair_round, followup_days, seated, now)


async def _pulse(
    repos: Repos, pair_round: PairRound, followup_days: int, seated: list[int], now: datetime
) -> None:
    settings = await repos.feedback.coffee_settings(pair_round.team_id)
    await make_survey(
        repos,
        key=f"pulse:round{pair_round.id}",
        name="pulse",
        scope=templates.team_scope(pair_round.team_id),
        team_id=pair_round.team_id,
        moment_at=pair_round.created_at + timedelta(days=followup_days),
        invitees=[Invitee(u, "member") for u in seated],
        now=now,
        close_days=settings.close_days if settings else DEFAULT_CLOSE_DAYS,
        round_id=pair_round.id,
    )


# --- the end of a program, from /program close ----------------------------------------------
async def program_closed(
    repos: Repos, program: Program, participants: list[User], now: datetime
) -> dict[int, str]:
    """The close hook: the end-of-program surveys now (unless the last day already made
    them), and for each participant what follows, for their thank-you."""
    settings = await repos.feedback.program_settings(program.id)
    end = program_end(program.ends_on, program.closed_at)
    invited = await program_wide(repos, program, settings, "end", end, now)
    waiting = await _still_to_answer(repos, program.id, {u.id for u in participants}, now)
    team = (await repos.teams.by_ids({program.team_id})).get(program.team_id)
    languages = await languages_of(repos, participants, team)
    follows = {}
    for user in participants:
        with i18n.speaking(languages[user.id]):  # a sentence of their thank-you
            if user.id in invited:
                follows[user.id] = _(
                    "A short survey about it will follow, in the morning your time."
                )
            elif user.id in waiting:
                follows[user.id] = _(
                    "Your end-of-program survey is waiting for you: type `surveys`."
                )
    return follows


async def _still_to_answer(
    repos: Repos, program_id: int, user_ids: set[int], now: datetime
) -> set[int]:
    waiting: set[int] = set()
    for role in ("mentee", "mentor"):
        survey = await repos.feedback.survey_by_key(f"end:program{program_id}:{role}")
        if survey is None:
            continue
        for invite in await repos.feedback.invites_of_survey(survey.id):
            if invite.user_id in user_ids and not invite.answered and invite.closes_at > now:
                waiting.add(invite.user_id)
    return waiting


# --- sending and reminding ------------------------------------------------------------------------
async def send(repos: Repos, now: datetime) -> None:
    """Invites that are due go out (to people reachable now; the rest wait until close)."""
    due = await repos.feedback.to_send(now)
    zones = await zones_of(repos, {u.id: u for _i, _s, u in due}.values())
    shown = await cards.Context.load(repos, (s for _i, s, _u in due), (i for i, _s, _u in due))
    languages = await _languages(repos, due, shown)
    sent: dict[int, int] = {}
    for invite, survey, user in due:
        zone = zones[user.id]
        if not reachable(user, local_day(zone, now)):
            continue
        invite.sent_at = now
        sent[survey.id] = sent.get(survey.id, 0) + 1
        remind = morning_after_days(zone, now, REMIND_AFTER_DAYS)
        invite.remind_at = remind if remind < invite.closes_at else None
        with i18n.speaking(languages[survey.team_id, user.id]):
            card = cards.survey_card(shown, survey, invite, zone)
            message = outbox.to_user(
                outbox.key("survey", invite=invite.id),
                user.id,
                text=cards.arrival_text(survey),
                card=card,
                team_id=survey.team_id,
            )
        await outbox.queue(repos, message, now)
    await repos.feedback.count_sent(sent)


async def remind(repos: Repos, now: datetime) -> None:
    """One reminder per unanswered invite, two local mornings after it came."""
    due = await repos.feedback.to_remind(now)
    zones = await zones_of(repos, {u.id: u for _i, _s, u in due}.values())
    shown = await cards.Context.load(repos, (s for _i, s, _u in due), (i for i, _s, _u in due))
    languages = await _languages(repos, due, shown)
    for invite, survey, user in due:
        zone = zones[user.id]
        if not reachable(user, local_day(zone, now)):
            continue
        invite.reminded_at = now
        with i18n.speaking(languages[survey.team_id, user.id]):
            closes = cards.local_date(invite.closes_at, zone)
            message = outbox.to_user(
                outbox.key("surveyreminder", invite=invite.id),
                user.id,
                text=_("A gentle reminder: this survey is open until {date}. 🙏", date=closes),
                card=cards.survey_card(shown, survey, invite, zone),
                team_id=survey.team_id,
            )
        await outbox.queue(repos, message, now)


async def _languages(
    repos: Repos, due: list[tuple[SurveyInvite, Survey, User]], shown: cards.Context
) -> dict[tuple[int, int], str]:
    """(team id, user id) -> the language each invitee's card is written in (the team's
    default counts for people with no language of their own)."""
    by_team: dict[int, dict[int, User]] = defaultdict(dict)
    for _invite, survey, user in due:
        by_team[survey.team_id][user.id] = user
    found: dict[tuple[int, int], str] = {}
    for team_id, users in by_team.items():
        team = shown.teams.get(team_id)
        for user_id, language in (await languages_of(repos, users.values(), team)).items():
            found[team_id, user_id] = language
    return found


async def run_job(ctx: JobContext) -> None:
    """The "surveys" job (global, every 15 minutes): make, send, remind."""
    await plan(ctx.repos, ctx.now)
    await send(ctx.repos, ctx.now)
    await remind(ctx.repos, ctx.now)
