"""Feedback storage: survey settings, versioned templates, surveys and their invites,
responses and answers (anonymous ones without a person), shared stories, export links,
and the batched reads of the facts the metrics are computed from.

The fact reads take a program (or a team's coffee chats) and a time window, and return
plain rows, grouped in SQL where the groups are what the metrics count (sessions per
pair, answers per value): a fixed number of queries, never one per participant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any, NamedTuple

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType

from storage import sql
from storage.models import (
    Checkin,
    CheckinDay,
    CoffeeFeedbackSettings,
    Enrolment,
    ExportLink,
    FeedbackSettings,
    Goal,
    JobTitleChange,
    MatchProposal,
    Membership,
    Mentorship,
    PairChoice,
    PairGroup,
    PairPool,
    PairRound,
    PairSeat,
    Profile,
    Program,
    SessionAgenda,
    SessionNotes,
    Survey,
    SurveyAnswer,
    SurveyDay,
    SurveyInvite,
    SurveyResponse,
    SurveyStory,
    SurveyTemplate,
    User,
)


# --- facts: plain rows for the metrics ------------------------------------------------------
class ProgramInfo(NamedTuple):
    id: int
    team_id: int
    name: str
    starts_on: date
    ends_on: date
    cadence: str  # weekly | biweekly | monthly
    closed_at: datetime | None


class ParticipantRow(NamedTuple):
    user_id: int
    role: str  # mentor | mentee
    enrolled_at: datetime
    active: bool
    department: str  # "" when unknown
    location: str
    years: int | None  # years of experience, from the enrolment


class PairRow(NamedTuple):
    id: int  # the mentorship
    mentor_id: int
    mentee_id: int
    status: str  # agreeing | active | ended
    created_at: datetime
    started_at: datetime | None  # both confirmed the agreement
    ended_at: datetime | None
    end_kind: str | None  # not_fit | ended | closed | erased


class SessionRow(NamedTuple):
    mentorship_id: int
    in_window: int  # notes saved in the window
    until_end: int  # notes saved from the start up to the window's end
    after_end: int  # notes saved at or after the program's end (before the window's end)
    agendas: int  # agendas saved in the window
    last_at: datetime | None = None  # the latest notes or agenda before the window's end


class ProposalRow(NamedTuple):
    user_id: int
    side: str  # mentor | mentee
    status: str
    n: int


class GoalCount(NamedTuple):
    """How many of the participants' goals share these facts, and their progress summed."""

    created_in_window: bool
    target_in_window: bool  # the target date falls in the window
    status: str  # as it is now
    done_by_target: bool  # done, on or before the target date (UTC)
    progress: int  # the sum of their progress (0-100 each)
    n: int


class AnswerRow(NamedTuple):
    """How many answers to the window's surveys of a moment had these values."""

    moment: str  # mid, end, progress, after, pulse
    tag: str
    part: str
    number: int | None
    number2: int | None
    choice: str | None
    n: int  # how many answers


class InviteRow(NamedTuple):
    moment: str
    sent: int
    answered: int


class ContinuedRow(NamedTuple):
    mentorship_id: int
    still_meeting: int  # "yes" answers to the check 60 days after the end
    at: datetime  # when that check was due (the survey's moment)


class TitleMoveRow(NamedTuple):
    """A participant's job title changed in the directory after they enrolled (kept
    only for people who agreed: dialogs/directory/store.py)."""

    user_id: int
    role: str
    changed_at: datetime


class EndAnswerRow(NamedTuple):
    """A mentee answered an end-of-program survey (whose moment is `at`)."""

    user_id: int
    at: datetime


@dataclass(frozen=True)
class ProgramFacts:
    program: ProgramInfo
    start: datetime
    end: datetime  # exclusive
    program_end: datetime  # as the metrics define it (metrics.program_end)
    invited: int
    participants: list[ParticipantRow]
    pairs: list[PairRow]
    sessions: list[SessionRow]
    proposals: list[ProposalRow]
    goals: list[GoalCount]
    checkins_sent: int
    checkins_answered: int
    answers: list[AnswerRow]
    invites: list[InviteRow]
    continued: list[ContinuedRow]
    # Consenting participants' job title changes after enrolling, before the window's end,
    # and the mentees who answered an end survey in the window (their word counts first).
    title_moves: list[TitleMoveRow] = field(default_factory=list)
    end_answers: list[EndAnswerRow] = field(default_factory=list)


class SeatRow(NamedTuple):
    round_id: int
    round_at: datetime
    group_id: int
    user_id: int
    followed_up: bool
    met: str | None
    rating: int | None


@dataclass(frozen=True)
class CoffeeFacts:
    team_id: int
    start: datetime
    end: datetime
    seats: list[SeatRow]  # every round before the window's end (repeats need history)
    departments: dict[int, str]
    ghost_pauses: int
    answers: list[AnswerRow]
    invites: list[InviteRow]


# The moments whose answers feed the metrics (the others' appear in the feedback export).
METRIC_MOMENTS = ("mid", "end", "progress", "after")


def _mentorship_key() -> Any:
    """The pair key goals' sessions use for a mentorship: "m<id>"."""
    return literal("m", String) + cast(Mentorship.id, String)


@dataclass(frozen=True)
class _Shared:
    """What every window of one read shares (read once, up to the latest end)."""

    participants: list[ParticipantRow]
    pairs: list[PairRow]
    proposals: list[ProposalRow]
    continued: list[ContinuedRow]
    title_moves: list[TitleMoveRow]
    end_answers: list[EndAnswerRow]


def _in_cohort(cohort_id: int | None) -> tuple[Any, ...]:
    """The condition on an `Enrolment` join that keeps one cohort's people (or all)."""
    return () if cohort_id is None else (Enrolment.cohort_id == cohort_id,)


def _of_cohort(shared: _Shared, people: set[int]) -> _Shared:
    """A cohort's part: its participants, the pairs with either side in it, their
    proposals, 60-day checks, directory title changes and end-survey answers."""
    pairs = [p for p in shared.pairs if p.mentor_id in people or p.mentee_id in people]
    ids = {p.id for p in pairs}
    return _Shared(
        participants=[p for p in shared.participants if p.user_id in people],
        pairs=pairs,
        proposals=[r for r in shared.proposals if r.user_id in people],
        continued=[c for c in shared.continued if c.mentorship_id in ids],
        title_moves=[t for t in shared.title_moves if t.user_id in people],
        end_answers=[a for a in shared.end_answers if a.user_id in people],
    )


def _prefix(rows: dict[int, list[int]]) -> dict[int, list[int]]:
    """Per mentorship, counts per stretch -> p[k] = rows in stretches 0..k (those saved
    before bounds[k])."""
    return {m: list(accumulate(row)) for m, row in rows.items()}


def _utc_midnight(t: datetime) -> bool:
    return t.utcoffset() == timedelta(0) and t.replace(tzinfo=None) == datetime.combine(
        t.date(), datetime.min.time()
    )


class _Cuts:
    """The bounds of many windows, and SQL that puts a time in its stretch: stretch i is
    [bounds[i-1], bounds[i]), 0 everything before bounds[0], len(bounds) from the last on
    (and NULL). A time t of stretch i is before bounds[k] exactly when i <= k, and at or
    after bounds[k] when i > k; so [start, end) of a window are the stretches a < i <= b."""

    def __init__(self, windows: list[tuple[datetime, datetime]]) -> None:
        self.bounds = sorted({t for w in windows for t in w})
        self.place = {t: i for i, t in enumerate(self.bounds)}
        self.days = sorted({t.date() for t in self.bounds})
        self.day_place = {d: i for i, d in enumerate(self.days)}
        self.earliest, self.latest = self.bounds[0], self.bounds[-1]
        # Every bound a UTC midnight: day i is bound i, so a day's stretch is its time's.
        self.whole_days = all(_utc_midnight(t) for t in self.bounds)

    def days_of(self, start: datetime, end: datetime) -> tuple[int, int]:
        return self.day_place[start.date()], self.day_place[end.date()]

    def stretch(self, column: Any) -> Any:
        return _stretch_of(column, self.bounds)

    def day_stretch(self, column: Any) -> Any:
        return _stretch_of(column, self.days)


def _stretch_of(column: Any, bounds: list[Any], lo: int = 0, hi: int | None = None) -> Any:
    """SQL for the stretch of `column`: the first i with column < bounds[i], else
    len(bounds) (and for NULL), as a binary search of nested CASEs: about log2(n)
    comparisons a row instead of up to n (tens of thousands of rows a read). The stretch
    is known to be in [lo, hi]."""
    hi = len(bounds) if hi is None else hi
    if lo == hi:
        return literal(lo, Integer)
    mid = (lo + hi) // 2
    return case(
        (column < bounds[mid], _stretch_of(column, bounds, lo, mid)),
        else_=_stretch_of(column, bounds, mid + 1, hi),
    )


@dataclass(frozen=True)
class _Counted:
    members: dict[tuple[int, int], int]
    checkins: list[tuple[int, int, int, int]]
    goals: list[tuple[Any, ...]]
    answers: list[tuple[int, AnswerRow]]
    invites: list[tuple[int, str, int, int]]


def _sum_checkins(rows: list[tuple[int, int, int, int]], a: int, b: int) -> tuple[int, int]:
    """Due in the window, of people enrolled before its end."""
    inside = [(s, n) for due, enrolled, s, n in rows if a < due <= b and enrolled <= b]
    return sum(s for s, _ in inside), sum(n for _, n in inside)


def _sum_goals(
    rows: list[tuple[Any, ...]], a: int, b: int, days: tuple[int, int]
) -> list[GoalCount]:
    """Goals made before the window's end by people enrolled before it, that were made in
    the window, have their target in it, or are blocked; counted by those facts."""
    found: dict[tuple[bool, bool, str, bool], list[int]] = {}
    da, db = days
    for created, target, status, done, enrolled, progress, n in rows:
        if created > b or enrolled > b:
            continue
        made, due = a < created, da < target <= db
        if made or due or status == "blocked":
            sums = found.setdefault((made, due, status, done), [0, 0])
            sums[0] += progress
            sums[1] += n
    return [GoalCount(*key, p, n) for key, (p, n) in found.items()]


def _sum_answers(rows: list[tuple[int, AnswerRow]], a: int, b: int) -> list[AnswerRow]:
    found: dict[tuple[Any, ...], int] = {}
    for at, row in rows:
        if a < at <= b:
            key = tuple(row[:-1])
            found[key] = found.get(key, 0) + row.n
    return [AnswerRow(*key, n) for key, n in found.items()]  # type: ignore[call-arg]


def _sum_invites(rows: list[tuple[int, str, int, int]], a: int, b: int) -> list[InviteRow]:
    found: dict[str, list[int]] = {}
    for at, moment, sent, answered in rows:
        if a < at <= b:
            sums = found.setdefault(moment, [0, 0])
            sums[0] += sent
            sums[1] += answered
    return [InviteRow(m, s, n) for m, (s, n) in sorted(found.items()) if s or n]


def _prefix_latest(saved: dict[int, list[Any]]) -> dict[int, list[datetime | None]]:
    """Per mentorship, p[k] = the latest row saved before bounds[k], from its latest per
    stretch as the driver gives it; each distinct time is made UTC once (`_aware`)."""
    aware: dict[Any, datetime | None] = {None: None}
    out: dict[int, list[datetime | None]] = {}
    for m, row in saved.items():
        # The stretches follow each other in time, so the latest before bounds[k] is the
        # latest of the last stretch up to k that has any row.
        latest: list[Any] = []
        last = None
        for t in row:
            if t is not None:
                last = t
            latest.append(last)
        for t in set(latest).difference(aware):
            aware[t] = _aware(t)
        out[m] = list(map(aware.__getitem__, latest))
    return out


def _as_given(column: Any) -> Any:
    """A time column as the driver gives it (SQLite's text, PostgreSQL's time), made UTC
    by `_aware`: for reads of thousands of rows, half the cost of the column type."""
    return type_coerce(column, NullType())


def _maybe(at: Any) -> datetime | None:
    return None if at is None else _aware(at)


def _aware(at: Any) -> datetime:
    """min() of a time column comes back as SQLite's text or a naive time: make it UTC."""
    if isinstance(at, str):
        try:  # naive text is UTC: one parse with the zone, far cheaper than .replace
            return datetime.fromisoformat(at + "+00:00")
        except ValueError:  # it carries its own zone
            at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class FeedbackRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # --- settings -------------------------------------------------------------------------
    async def program_settings(self, program_id: int) -> FeedbackSettings | None:
        return await self.s.get(FeedbackSettings, program_id)

    async def ensure_program_settings(self, program_id: int, now: datetime) -> FeedbackSettings:
        found = await self.program_settings(program_id)
        if found is None:
            found = FeedbackSettings(
                program_id=program_id,
                moments_off=[],
                min_answers=3,
                close_days=7,
                demographics=False,
                updated_at=now,
            )
            self.s.add(found)
            await self.s.flush()
        return found

    async def programs_settings(self, program_ids: Iterable[int]) -> dict[int, FeedbackSettings]:
        ids = list(set(program_ids))
        if not ids:
            return {}
        rows = await self.s.scalars(
            select(FeedbackSettings).where(FeedbackSettings.program_id.in_(ids))
        )
        return {r.program_id: r for r in rows}

    async def coffee_settings(self, team_id: int) -> CoffeeFeedbackSettings | None:
        return await self.s.get(CoffeeFeedbackSettings, team_id)

    async def ensure_coffee_settings(self, team_id: int, now: datetime) -> CoffeeFeedbackSettings:
        found = await self.coffee_settings(team_id)
        if found is None:
            found = CoffeeFeedbackSettings(
                team_id=team_id, pulse=False, min_answers=3, close_days=7, updated_at=now
            )
            self.s.add(found)
            await self.s.flush()
        return found

    # --- templates --------------------------------------------------------------------------
    async def latest_template(self, scope: str, name: str) -> SurveyTemplate | None:
        stmt = (
            select(SurveyTemplate)
            .where(SurveyTemplate.scope == scope, SurveyTemplate.name == name)
            .order_by(SurveyTemplate.version.desc())
            .limit(1)
        )
        return await self.s.scalar(stmt)

    async def template(self, template_id: int) -> SurveyTemplate | None:
        return await self.s.get(SurveyTemplate, template_id)

    async def templates(self, template_ids: Iterable[int]) -> dict[int, SurveyTemplate]:
        ids = list(set(template_ids))
        if not ids:
            return {}
        rows = await self.s.scalars(select(SurveyTemplate).where(SurveyTemplate.id.in_(ids)))
        return {t.id: t for t in rows}

    async def question_keys_ever(self, scope: str, name: str) -> set[str]:
        """Every question key any version of this template used (a key is never reused)."""
        rows = await self.s.scalars(
            select(SurveyTemplate.questions).where(
                SurveyTemplate.scope == scope, SurveyTemplate.name == name
            )
        )
        return {q["key"] for questions in rows for q in questions}

    async def add_template(
        self,
        scope: str,
        name: str,
        questions: list[dict[str, Any]],
        by: int | None,
        now: datetime,
    ) -> SurveyTemplate | None:
        """The next version; None when another turn wrote that version at the same time."""
        latest = await self.latest_template(scope, name)
        version = 1 if latest is None else latest.version + 1
        stmt = (
            sql.insert(self.s, SurveyTemplate)
            .values(
                scope=scope,
                name=name,
                version=version,
                questions=questions,
                created_by_id=by,
                created_at=now,
            )
            .on_conflict_do_nothing()
            .returning(SurveyTemplate.id)
        )
        new_id = (await self.s.execute(stmt)).scalar()
        return None if new_id is None else await self.s.get(SurveyTemplate, new_id)

    # --- surveys and invites ------------------------------------------------------------
    async def existing_keys(self, keys: Iterable[str]) -> set[str]:
        wanted = list(set(keys))
        if not wanted:
            return set()
        return set(await self.s.scalars(select(Survey.key).where(Survey.key.in_(wanted))))

    async def add_survey(self, **values: Any) -> Survey | None:
        """A new survey, unless its key exists (another replica's run made it)."""
        stmt = (
            sql.insert(self.s, Survey)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(Survey.id)
        )
        new_id = (await self.s.execute(stmt)).scalar()
        return None if new_id is None else await self.s.get(Survey, new_id)

    async def survey(self, survey_id: int) -> Survey | None:
        return await self.s.get(Survey, survey_id)

    async def survey_by_key(self, key: str) -> Survey | None:
        return await self.s.scalar(select(Survey).where(Survey.key == key))

    def add_invite(self, invite: SurveyInvite) -> None:
        self.s.add(invite)

    async def invite(self, invite_id: int, lock: bool = False) -> SurveyInvite | None:
        stmt = select(SurveyInvite).where(SurveyInvite.id == invite_id)
        if lock and sql.is_postgres(self.s):
            stmt = stmt.with_for_update()  # two presses of one card save one at a time
        return await self.s.scalar(stmt)

    async def invites_of_survey(self, survey_id: int) -> list[SurveyInvite]:
        stmt = select(SurveyInvite).where(SurveyInvite.survey_id == survey_id)
        return list(await self.s.scalars(stmt.order_by(SurveyInvite.id)))

    async def to_send(self, now: datetime) -> list[tuple[SurveyInvite, Survey, User]]:
        """Invites due and not sent, whose survey is still open for them."""
        stmt = (
            select(SurveyInvite, Survey, User)
            .join(Survey, Survey.id == SurveyInvite.survey_id)
            .join(User, User.id == SurveyInvite.user_id)
            .where(
                SurveyInvite.sent_at.is_(None),
                SurveyInvite.due_at <= now,
                SurveyInvite.closes_at > now,
            )
            .order_by(SurveyInvite.id)
        )
        return [(i, s, u) for i, s, u in (await self.s.execute(stmt)).all()]

    async def to_remind(self, now: datetime) -> list[tuple[SurveyInvite, Survey, User]]:
        """Sent, unanswered, not reminded, reminder time passed, still open."""
        stmt = (
            select(SurveyInvite, Survey, User)
            .join(Survey, Survey.id == SurveyInvite.survey_id)
            .join(User, User.id == SurveyInvite.user_id)
            .where(
                SurveyInvite.answered.is_(False),
                SurveyInvite.reminded_at.is_(None),
                SurveyInvite.remind_at <= now,
                SurveyInvite.closes_at > now,
            )
            .order_by(SurveyInvite.id)
        )
        return [(i, s, u) for i, s, u in (await self.s.execute(stmt)).all()]

    async def remind_now(self, program_id: int, now: datetime) -> int:
        """Bring the one reminder of the program's open, unanswered, not yet reminded
        invites forward to now (the survey job sends it); how many."""
        surveys = select(Survey.id).where(Survey.program_id == program_id)
        stmt = (
            update(SurveyInvite)
            .where(
                SurveyInvite.survey_id.in_(surveys),
                SurveyInvite.sent_at.is_not(None),
                SurveyInvite.answered.is_(False),
                SurveyInvite.reminded_at.is_(None),
                SurveyInvite.closes_at > now,
            )
            .values(remind_at=now)
        )
        return int((await self.s.execute(stmt)).rowcount or 0)  # type: ignore[attr-defined]

    async def open_invites_of(
        self, user_id: int, now: datetime
    ) -> list[tuple[SurveyInvite, Survey]]:
        """The person's surveys that reached them and have not closed, newest first."""
        stmt = (
            select(SurveyInvite, Survey)
            .join(Survey, Survey.id == SurveyInvite.survey_id)
            .where(
                SurveyInvite.user_id == user_id,
                SurveyInvite.sent_at.is_not(None),
                SurveyInvite.closes_at > now,
            )
            .order_by(SurveyInvite.due_at.desc(), SurveyInvite.id.desc())
        )
        return [(i, s) for i, s in (await self.s.execute(stmt)).all()]

    async def invites_of(self, user_id: int) -> list[tuple[SurveyInvite, Survey]]:
        stmt = (
            select(SurveyInvite, Survey)
            .join(Survey, Survey.id == SurveyInvite.survey_id)
            .where(SurveyInvite.user_id == user_id)
            .order_by(SurveyInvite.id)
        )
        return [(i, s) for i, s in (await self.s.execute(stmt)).all()]

    async def count_sent(self, sent: dict[int, int]) -> None:
        """Add invites just sent to their surveys' counters (atomic, in SQL)."""
        for survey_id, n in sent.items():
            await self.s.execute(
                update(Survey).where(Survey.id == survey_id).values(sent=Survey.sent + n)
            )

    async def count_answered(self, survey_id: int) -> None:
        await self.s.execute(
            update(Survey).where(Survey.id == survey_id).values(answered=Survey.answered + 1)
        )

    # --- responses ----------------------------------------------------------------------------
    async def named_response(self, survey_id: int, user_id: int) -> SurveyResponse | None:
        return await self.s.scalar(
            select(SurveyResponse).where(
                SurveyResponse.survey_id == survey_id, SurveyResponse.user_id == user_id
            )
        )

    async def anonymous_response(self, survey_id: int, edit_hash: str) -> SurveyResponse | None:
        return await self.s.scalar(
            select(SurveyResponse).where(
                SurveyResponse.survey_id == survey_id,
                SurveyResponse.user_id.is_(None),
                SurveyResponse.edit_hash == edit_hash,
            )
        )

    async def add_response(self, response: SurveyResponse) -> SurveyResponse:
        self.s.add(response)
        await self.s.flush()
        return response

    async def answers(self, response_id: int) -> list[SurveyAnswer]:
        stmt = select(SurveyAnswer).where(SurveyAnswer.response_id == response_id)
        return list(await self.s.scalars(stmt.order_by(SurveyAnswer.id)))

    async def replace_answers(self, response: SurveyResponse, answers: list[SurveyAnswer]) -> None:
        await self.s.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id == response.id))
        for answer in answers:
            answer.response_id, answer.survey_id = response.id, response.survey_id
            self.s.add(answer)

    async def replace_story(
        self, survey_id: int, response_id: int, user_id: int, story: SurveyStory | None
    ) -> None:
        """The person's story on this survey: the one with their response (shared
        anonymously) or with their id (shared by name) goes; the new one, if any, comes."""
        await self.s.execute(
            delete(SurveyStory).where(
                SurveyStory.survey_id == survey_id,
                or_(SurveyStory.response_id == response_id, SurveyStory.user_id == user_id),
            )
        )
        if story is not None:
            self.s.add(story)

    async def story_of(self, survey_id: int, response_id: int, user_id: int) -> SurveyStory | None:
        return await self.s.scalar(
            select(SurveyStory).where(
                SurveyStory.survey_id == survey_id,
                or_(SurveyStory.response_id == response_id, SurveyStory.user_id == user_id),
            )
        )

    async def named_responses_of(
        self, user_id: int
    ) -> list[tuple[SurveyResponse, Survey, list[SurveyAnswer]]]:
        responses = list(
            (
                await self.s.execute(
                    select(SurveyResponse, Survey)
                    .join(Survey, Survey.id == SurveyResponse.survey_id)
                    .where(SurveyResponse.user_id == user_id)
                    .order_by(SurveyResponse.id)
                )
            ).all()
        )
        ids = [r.id for r, _ in responses]
        by_response: dict[int, list[SurveyAnswer]] = {i: [] for i in ids}
        if ids:
            rows = await self.s.scalars(
                select(SurveyAnswer)
                .where(SurveyAnswer.response_id.in_(ids))
                .order_by(SurveyAnswer.id)
            )
            for answer in rows:
                by_response[answer.response_id].append(answer)
        return [(r, s, by_response[r.id]) for r, s in responses]

    async def stories_by(self, user_id: int) -> list[SurveyStory]:
        stmt = select(SurveyStory).where(SurveyStory.user_id == user_id)
        return list(await self.s.scalars(stmt.order_by(SurveyStory.id)))

    async def erase_user(self, user_id: int) -> None:
        """Their named responses (with answers and any story), stories shared by name,
        their invites (for anonymous surveys: the only trace, the answered mark) and their
        export links. Anonymous answers carry no id and stay, unattributable."""
        await self._uncount(user_id)
        mine = select(SurveyResponse.id).where(SurveyResponse.user_id == user_id)
        await self.s.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id.in_(mine)))
        await self.s.execute(
            delete(SurveyStory).where(
                or_(SurveyStory.user_id == user_id, SurveyStory.response_id.in_(mine))
            )
        )
        await self.s.execute(delete(SurveyResponse).where(SurveyResponse.user_id == user_id))
        await self.s.execute(delete(SurveyInvite).where(SurveyInvite.user_id == user_id))
        await self.s.execute(delete(ExportLink).where(ExportLink.user_id == user_id))

    async def _uncount(self, user_id: int) -> None:
        """Take the person's invites out of their surveys' sent and answered counters."""
        rows = await self.s.execute(
            select(SurveyInvite.survey_id, SurveyInvite.sent_at, SurveyInvite.answered).where(
                SurveyInvite.user_id == user_id
            )
        )
        for survey_id, sent_at, answered in rows.all():
            sent, done = int(sent_at is not None), int(bool(answered) and sent_at is not None)
            await self.s.execute(
                update(Survey)
                .where(Survey.id == survey_id)
                .values(sent=Survey.sent - sent, answered=Survey.answered - done)
            )

    # --- what the survey job plans from -------------------------------------------------------
    async def notes_since(
        self, since: datetime
    ) -> list[tuple[int, datetime, int, int, Mentorship, Program]]:
        """Notes of mentorship pairs saved since then: (notes id, saved at, author, partner,
        the mentorship, its program)."""
        stmt = (
            select(
                SessionNotes.id,
                SessionNotes.created_at,
                SessionNotes.author_id,
                SessionNotes.partner_id,
                Mentorship,
                Program,
            )
            .join(Mentorship, SessionNotes.pair_key == _mentorship_key())
            .join(Program, Program.id == Mentorship.program_id)
            .where(SessionNotes.created_at >= since, SessionNotes.pair_key.like("m%"))
            .order_by(SessionNotes.id)
        )
        return [tuple(row) for row in (await self.s.execute(stmt)).all()]  # type: ignore[misc]

    async def started_between(
        self, after: datetime, before: datetime
    ) -> list[tuple[Mentorship, Program]]:
        """Active mentorships whose agreement was confirmed in that window."""
        stmt = (
            select(Mentorship, Program)
            .join(Program, Program.id == Mentorship.program_id)
            .where(
                Mentorship.status == "active",
                Mentorship.started_at > after,
                Mentorship.started_at <= before,
            )
            .order_by(Mentorship.id)
        )
        return [(m, p) for m, p in (await self.s.execute(stmt)).all()]

    async def running_programs(self) -> list[Program]:
        """Programs past their draft (closed ones too: their 60-day check may be due)."""
        stmt = select(Program).where(Program.status != "draft").order_by(Program.id)
        return list(await self.s.scalars(stmt))

    async def program_mentorships(self, program_id: int) -> list[Mentorship]:
        stmt = select(Mentorship).where(
            Mentorship.program_id == program_id, Mentorship.started_at.is_not(None)
        )
        return list(await self.s.scalars(stmt.order_by(Mentorship.id)))

    async def rounds_between(
        self, after: datetime, before: datetime
    ) -> list[tuple[PairRound, int, list[int]]]:
        """Coffee rounds of teams with the pulse on whose follow-up time is in the window:
        (round, follow-up days, seated member ids)."""
        stmt = (
            select(PairRound, PairPool.followup_days)
            .join(CoffeeFeedbackSettings, CoffeeFeedbackSettings.team_id == PairRound.team_id)
            .join(PairPool, PairPool.team_id == PairRound.team_id)
            .where(CoffeeFeedbackSettings.pulse.is_(True), PairRound.created_at <= before)
            .order_by(PairRound.id)
        )
        found = []
        for pair_round, days in (await self.s.execute(stmt)).all():
            due = pair_round.created_at + timedelta(days=days)
            if after < due <= before:
                found.append((pair_round, days))
        seats: dict[int, list[int]] = {r.id: [] for r, _ in found}
        if seats:
            rows = await self.s.execute(
                select(PairSeat.round_id, PairSeat.user_id)
                .where(PairSeat.round_id.in_(list(seats)))
                .order_by(PairSeat.id)
            )
            for round_id, user_id in rows:
                seats[round_id].append(user_id)
        return [(r, days, seats[r.id]) for r, days in found]

    # --- export links ---------------------------------------------------------------------
    def add_link(self, link: ExportLink) -> None:
        self.s.add(link)

    async def link(self, token_hash: str) -> ExportLink | None:
        return await self.s.scalar(select(ExportLink).where(ExportLink.token_hash == token_hash))

    async def links_of(self, user_id: int) -> list[ExportLink]:
        stmt = select(ExportLink).where(ExportLink.user_id == user_id).order_by(ExportLink.id)
        return list(await self.s.scalars(stmt))

    async def count_download(self, link_id: int) -> None:
        await self.s.execute(
            update(ExportLink)
            .where(ExportLink.id == link_id)
            .values(downloads=ExportLink.downloads + 1)
        )

    # --- facts for the metrics ------------------------------------------------------------
    async def _core(self, stmt: Any) -> Any:
        """Run a fact read as Core SQL on the unit's connection: plain rows, without the
        ORM's per-statement and per-row work (a report reads tens of thousands)."""
        return await (await self.s.connection()).execute(stmt)

    async def _core_scalar(self, stmt: Any) -> Any:
        return (await self._core(stmt)).scalar()

    async def program_facts(
        self,
        program: Program,
        windows: list[tuple[datetime, datetime]],
        program_end: datetime,
        cohort_id: int | None = None,
    ) -> list[ProgramFacts]:
        """The facts of each window [start, end). Participants, pairs, proposals and the
        60-day checks are read once and shared; the counted facts (sessions, check-ins,
        goals, answers, invites, team size) are each read ONCE for all windows, grouped by
        the stretch between the windows' bounds, and summed per window here: a page with a
        dozen monthly windows costs the same statements as one window.

        With `cohort_id`, the facts of that cohort only: its participants, the pairs with
        either side in it (and their sessions and 60-day checks), its people's proposals,
        goals and check-ins, and the answers of its responses. The team's size and the
        surveys' invitation counters are the program's (they count no person)."""
        latest = max(end for _, end in windows)
        shared = _Shared(
            participants=await self._participants(program.id, latest),
            pairs=await self._pairs(program.id, latest),
            proposals=await self._proposals(program.id),
            continued=await self._continued(program.id, latest),
            title_moves=await self._title_moves(program.id, latest),
            end_answers=await self._end_answers(program.id, latest),
        )
        if cohort_id is not None:
            shared = _of_cohort(shared, await self._cohort_people(program.id, cohort_id))
        keep = {p.id for p in shared.pairs} if cohort_id is not None else None
        sessions = await self._sessions_of_windows(program.id, windows, program_end, keep)
        cut = _Cuts(windows)
        counted = _Counted(
            members=await self._members_of_windows(program.team_id, cut),
            checkins=await self._checkins_of_windows(program.id, cut, cohort_id),
            goals=await self._goals_of_windows(program.id, cut, cohort_id),
            answers=await self._answers_of_windows(program.id, cut, cohort_id),
            invites=await self._invites_of_windows(program.id, cut),
        )
        info = ProgramInfo(
            program.id,
            program.team_id,
            program.name,
            program.starts_on,
            program.ends_on,
            program.cadence,
            program.closed_at,
        )
        return [
            self._window(info, w, program_end, shared, rows, cut, counted)
            for w, rows in zip(windows, sessions, strict=True)
        ]

    def _window(
        self,
        info: ProgramInfo,
        window: tuple[datetime, datetime],
        program_end: datetime,
        shared: _Shared,
        sessions: list[SessionRow],
        cut: _Cuts,
        counted: _Counted,
    ) -> ProgramFacts:
        start, end = window
        a, b = cut.place[start], cut.place[end]
        checkins = _sum_checkins(counted.checkins, a, b)
        return ProgramFacts(
            program=info,
            start=start,
            end=end,
            program_end=program_end,
            invited=sum(n for (j, left), n in counted.members.items() if j <= b < left),
            participants=[p for p in shared.participants if p.enrolled_at < end],
            pairs=[p for p in shared.pairs if p.created_at < end],
            sessions=sessions,
            proposals=shared.proposals,
            goals=_sum_goals(counted.goals, a, b, cut.days_of(start, end)),
            checkins_sent=checkins[0],
            checkins_answered=checkins[1],
            answers=_sum_answers(counted.answers, a, b),
            invites=_sum_invites(counted.invites, a, b),
            continued=[c for c in shared.continued if c.at < end],
            title_moves=[t for t in shared.title_moves if t.changed_at < end],
            end_answers=[a for a in shared.end_answers if start <= a.at < end],
        )

    # --- counted facts of many windows, one statement each ---------------------------------
    async def _members_of_windows(self, team_id: int, cut: _Cuts) -> dict[tuple[int, int], int]:
        """(stretch joined, stretch left) -> memberships; never left is past every bound."""
        joined, left = cut.stretch(Membership.joined_at), cut.stretch(Membership.left_at)
        stmt = (
            select(joined, left, func.count())
            .where(Membership.team_id == team_id, Membership.joined_at < cut.latest)
            .group_by(joined, left)
        )
        return {(int(j), int(w)): int(n) for j, w, n in await self._core(stmt)}

    def _enrolled_stretch(self, program_id: int, cut: _Cuts, cohort_id: int | None) -> Any:
        """The program's participants enrolled before the latest bound, each with the
        stretch of their enrolment: worked out once a person (a materialized CTE), not
        once for each of their check-ins or goals."""
        return (
            select(Enrolment.user_id, cut.stretch(Enrolment.created_at).label("enrolled"))
            .where(Enrolment.program_id == program_id, Enrolment.created_at < cut.latest)
            .where(*_in_cohort(cohort_id))
            .cte("people")
            .prefix_with("MATERIALIZED")
        )

    async def _checkins_of_windows(
        self, program_id: int, cut: _Cuts, cohort_id: int | None = None
    ) -> list[tuple[int, int, int, int]]:
        """(stretch due, stretch the person enrolled, sent, answered) of scheduled check-ins:
        from the counts per day (`checkin_days`) when every bound is a UTC midnight (a
        time is before a midnight exactly when its UTC day is before that day), else, and
        for a cohort, from the check-ins themselves."""
        if cohort_id is None and cut.whole_days:
            return await self._checkin_days_of_windows(program_id, cut)
        due = cut.stretch(Checkin.due_at)
        people = self._enrolled_stretch(program_id, cut, cohort_id)
        stmt = (
            select(due, people.c.enrolled, func.count(), func.count(Checkin.answered_at))
            .select_from(people)
            .join(Checkin, Checkin.user_id == people.c.user_id)
            .where(Checkin.trigger == "schedule")
            .where(Checkin.due_at >= cut.earliest, Checkin.due_at < cut.latest)
            .group_by(due, people.c.enrolled)
        )
        return [(int(d), int(e), int(s), int(a or 0)) for d, e, s, a in await self._core(stmt)]

    async def _checkin_days_of_windows(
        self, program_id: int, cut: _Cuts
    ) -> list[tuple[int, int, int, int]]:
        due, enrolled = cut.day_stretch(CheckinDay.due_on), cut.day_stretch(CheckinDay.enrolled_on)
        first, last = cut.days[0], cut.days[-1]
        stmt = (
            select(due, enrolled, func.sum(CheckinDay.sent), func.sum(CheckinDay.answered))
            .where(CheckinDay.program_id == program_id, CheckinDay.enrolled_on < last)
            .where(CheckinDay.due_on >= first, CheckinDay.due_on < last)
            .group_by(due, enrolled)
            .having(func.sum(CheckinDay.sent) > 0)
        )
        return [(int(d), int(e), int(s), int(a or 0)) for d, e, s, a in await self._core(stmt)]

    async def _goals_of_windows(
        self, program_id: int, cut: _Cuts, cohort_id: int | None = None
    ) -> list[tuple[Any, ...]]:
        """(stretch created, day stretch of the target, status, done by target, stretch the
        owner enrolled, progress summed, count) of the participants' goals."""
        created, target = cut.stretch(Goal.created_at), cut.day_stretch(Goal.target_on)
        people = self._enrolled_stretch(program_id, cut, cohort_id)
        enrolled = people.c.enrolled
        by_target = case(
            (
                and_(
                    Goal.status == "done",
                    Goal.closed_at.is_not(None),
                    sql.utc_day(self.s, Goal.closed_at) <= Goal.target_on,
                ),
                1,
            ),
            else_=0,
        )
        groups = (created, target, Goal.status, by_target, enrolled)
        stmt = (
            select(*groups, func.sum(Goal.progress), func.count())
            .select_from(people)
            .join(Goal, Goal.user_id == people.c.user_id)
            .where(Goal.created_at < cut.latest)
            .group_by(*groups)
        )
        return [
            (int(c), int(t), status, bool(d), int(e), int(p or 0), int(n))
            for c, t, status, d, e, p, n in (await self._core(stmt)).all()
        ]

    async def _answers_of_windows(
        self, program_id: int, cut: _Cuts, cohort_id: int | None = None
    ) -> list[tuple[int, AnswerRow]]:
        """(stretch of the survey's moment, its answers grouped by value) of the metrics'
        moments."""
        # Each survey's stretch once (a few thousand surveys), not once per answer
        # (hundreds of thousands): materialized, so the planner does not fold it back.
        surveyed = (
            select(Survey.id, Survey.moment, cut.stretch(Survey.moment_at).label("s"))
            .where(self._surveys_in(Survey.program_id == program_id, cut.earliest, cut.latest))
            .where(Survey.moment.in_(METRIC_MOMENTS))
            .cte("surveyed")
            .prefix_with("MATERIALIZED")
        )
        answer_values = (
            SurveyAnswer.tag,
            SurveyAnswer.part,
            SurveyAnswer.number,
            SurveyAnswer.number2,
            SurveyAnswer.choice,
        )
        if sql.is_postgres(self.s):  # a hash aggregate over the join is its best plan
            stmt = (
                select(surveyed.c.s, surveyed.c.moment, *answer_values, func.count())
                .select_from(surveyed)
                .join(SurveyAnswer, SurveyAnswer.survey_id == surveyed.c.id)
                .where(SurveyAnswer.tag != "")
                .group_by(surveyed.c.s, surveyed.c.moment, *answer_values)
            )
            if cohort_id is not None:
                stmt = stmt.join(
                    SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id
                ).where(SurveyResponse.cohort_id == cohort_id)
        else:
            stmt = self._answers_counted_twice(surveyed, answer_values, cohort_id)
        return [(int(row[0]), AnswerRow(*row[1:])) for row in (await self._core(stmt)).all()]

    @staticmethod
    def _answers_counted_twice(
        surveyed: Any, answer_values: tuple[Any, ...], cohort_id: int | None
    ) -> Any:
        """SQLite's plan: the answers counted per survey and value first, in the order of
        their covering index (no sort), then per stretch: a few thousand groups sorted
        instead of every answer."""
        counted = (
            select(SurveyAnswer.survey_id, *answer_values, func.count().label("n"))
            .where(SurveyAnswer.survey_id.in_(select(surveyed.c.id)), SurveyAnswer.tag != "")
            .group_by(SurveyAnswer.survey_id, *answer_values)
        )
        if cohort_id is not None:
            counted = counted.join(
                SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id
            ).where(SurveyResponse.cohort_id == cohort_id)
        per_survey = counted.subquery()
        values = (
            surveyed.c.moment,
            per_survey.c.tag,
            per_survey.c.part,
            per_survey.c.number,
            per_survey.c.number2,
            per_survey.c.choice,
        )
        return (
            select(surveyed.c.s, *values, cast(func.sum(per_survey.c.n), Integer))
            .select_from(per_survey)
            .join(surveyed, surveyed.c.id == per_survey.c.survey_id)
            .group_by(surveyed.c.s, *values)
        )

    async def _invites_of_windows(
        self, program_id: int, cut: _Cuts
    ) -> list[tuple[int, str, int, int]]:
        """(stretch of the moment, moment, sent, answered), from the surveys' counters:
        summed per day already (`survey_days`) when every bound is a UTC midnight."""
        if cut.whole_days:
            at = cut.day_stretch(SurveyDay.moment_on)
            sent, answered = func.sum(SurveyDay.sent), func.sum(SurveyDay.answered)
            stmt = (
                select(at, SurveyDay.moment, sent, answered)
                .where(SurveyDay.program_id == program_id)
                .where(SurveyDay.moment_on >= cut.days[0], SurveyDay.moment_on < cut.days[-1])
                .group_by(at, SurveyDay.moment)
            )
        else:
            at = cut.stretch(Survey.moment_at)
            where = Survey.program_id == program_id
            stmt = (
                select(at, Survey.moment, func.sum(Survey.sent), func.sum(Survey.answered))
                .where(self._surveys_in(where, cut.earliest, cut.latest))
                .group_by(at, Survey.moment)
            )
        return [(int(i), m, int(s or 0), int(a or 0)) for i, m, s, a in await self._core(stmt)]

    async def _team_members_at(self, team_id: int, end: datetime) -> int:
        stmt = (
            select(func.count())
            .select_from(Membership)
            .where(Membership.team_id == team_id, Membership.joined_at < end)
            .where(or_(Membership.left_at.is_(None), Membership.left_at >= end))
        )
        return int(await self._core_scalar(stmt) or 0)

    async def _cohort_people(self, program_id: int, cohort_id: int) -> set[int]:
        stmt = select(Enrolment.user_id).where(
            Enrolment.program_id == program_id, Enrolment.cohort_id == cohort_id
        )
        return set((await self._core(stmt)).scalars())

    async def _participants(self, program_id: int, end: datetime) -> list[ParticipantRow]:
        stmt = (
            select(
                Enrolment.user_id,
                Enrolment.role,
                _as_given(Enrolment.created_at),
                Enrolment.active,
                func.coalesce(Profile.department, ""),
                func.coalesce(Profile.location, ""),
                Enrolment.experience_years,
            )
            .outerjoin(Profile, Profile.user_id == Enrolment.user_id)
            .where(Enrolment.program_id == program_id, Enrolment.created_at < end)
        )
        return [
            ParticipantRow(u, role, _aware(at), active, dept, where, years)
            for u, role, at, active, dept, where, years in (await self._core(stmt)).all()
        ]

    async def _title_moves(self, program_id: int, end: datetime) -> list[TitleMoveRow]:
        """Job title changes after enrolling, of participants who agreed (the history is
        kept only for them; the profile's consent is checked again here)."""
        stmt = (
            select(Enrolment.user_id, Enrolment.role, JobTitleChange.changed_at)
            .join(JobTitleChange, JobTitleChange.user_id == Enrolment.user_id)
            .join(Profile, Profile.user_id == Enrolment.user_id)
            .where(Enrolment.program_id == program_id, Profile.title_history)
            .where(JobTitleChange.changed_at >= Enrolment.created_at)
            .where(JobTitleChange.changed_at < end)
        )
        return [TitleMoveRow(*row) for row in (await self._core(stmt)).all()]

    async def _end_answers(self, program_id: int, end: datetime) -> list[EndAnswerRow]:
        stmt = (
            select(SurveyInvite.user_id, Survey.moment_at)
            .join(Survey, Survey.id == SurveyInvite.survey_id)
            .where(Survey.program_id == program_id, Survey.moment == "end")
            .where(SurveyInvite.role == "mentee", SurveyInvite.answered)
            .where(Survey.moment_at < end)
        )
        return [EndAnswerRow(*row) for row in (await self._core(stmt)).all()]

    async def _pairs(self, program_id: int, end: datetime) -> list[PairRow]:
        stmt = select(
            Mentorship.id,
            Mentorship.mentor_id,
            Mentorship.mentee_id,
            Mentorship.status,
            _as_given(Mentorship.created_at),
            _as_given(Mentorship.started_at),
            _as_given(Mentorship.ended_at),
            Mentorship.end_kind,
        ).where(
            Mentorship.program_id == program_id,
            Mentorship.created_at < end,
            # A pair of a run an admin undid before anyone confirmed never was a pair.
            or_(Mentorship.end_kind.is_(None), Mentorship.end_kind != "undone"),
        )
        rows = (await self._core(stmt.order_by(Mentorship.id))).all()
        return [
            PairRow(m, mentor, mentee, status, _aware(made), _maybe(began), _maybe(ended), kind)
            for m, mentor, mentee, status, made, began, ended, kind in rows
        ]

    async def _sessions_of_windows(
        self,
        program_id: int,
        windows: list[tuple[datetime, datetime]],
        program_end: datetime,
        keep: set[int] | None = None,
    ) -> list[list[SessionRow]]:
        """`_sessions` of every window from one statement: notes and agendas counted per
        mentorship and per stretch between the windows' bounds (and the program's end),
        then summed per window here. A dashboard's dozen monthly windows cost one scan of
        each index instead of one per window (notes up to each window's end)."""
        bounds = sorted({t for w in windows for t in w} | {program_end})
        place = {t: i for i, t in enumerate(bounds)}
        latest = max(end for _, end in windows)
        size = len(bounds) + 1
        notes, planned, saved_at = await self._per_stretch(program_id, bounds, latest, size)
        saved, agreed = _prefix(notes), _prefix(planned)
        last = _prefix_latest(saved_at)
        pe = place[program_end]
        # Per mentorship once, in id order: its prefix counts (saved[k]: notes before
        # bounds[k]) and latest rows; each window then only indexes them.
        none = [0] * size
        each = [
            (m, saved.get(m, none), agreed.get(m, none), last[m])
            for m in sorted(set(saved) | set(agreed))
            if keep is None or m in keep  # a cohort's pairs only
        ]
        new = tuple.__new__  # SessionRow._make without its Python frame (45,000 a page)
        found = []
        for start, end in windows:
            a, b = place[start], place[end]
            e = pe if pe < b else b  # notes at or after the program's end: until - kept[e]
            found.append(
                [
                    new(
                        SessionRow,
                        (m, k[b] - k[a], k[b], k[b] - k[e], g[b] - g[a], latest_of[b]),
                    )
                    for m, k, g, latest_of in each
                    if k[b] or g[b] - g[a]
                ]
            )
        return found

    async def _per_stretch(
        self, program_id: int, bounds: list[datetime], end: datetime, size: int
    ) -> tuple[dict[int, list[int]], dict[int, list[int]], dict[int, list[Any]]]:
        """Per mentorship, the notes and the agendas saved in each stretch and the latest
        of either, as the driver gives it; stretch i is [bounds[i-1], bounds[i]), 0
        everything before bounds[0]. One statement over both tables (each a range of its
        (pair, created) index), so one fetch of rows and the latest merged in SQL."""
        # Each row's stretch is worked out once, in its own branch (grouping by the
        # expression over the union would evaluate it again for the group key).
        kinds = [
            select(
                Mentorship.id.label("m"),
                _stretch_of(model.created_at, bounds).label("s"),
                model.created_at.label("at"),
                literal(n).label("note"),
            )
            .join(model, model.pair_key == _mentorship_key())
            .where(Mentorship.program_id == program_id, model.created_at < end)
            for model, n in ((SessionNotes, 1), (SessionAgenda, 0))
        ]
        saved = union_all(*kinds).subquery()
        # The latest time as the driver gives it (SQLite's text, PostgreSQL's time), made
        # UTC later, once each (_prefix_latest): tens of thousands of rows skip the column
        # type's conversion.
        latest = type_coerce(func.max(saved.c.at), NullType())
        stmt = select(saved.c.m, saved.c.s, func.sum(saved.c.note), func.count(), latest).group_by(
            saved.c.m, saved.c.s
        )
        notes: dict[int, list[int]] = {}
        agendas: dict[int, list[int]] = {}
        times: dict[int, list[Any]] = {}
        for m, i, n, both, t in (await self._core(stmt)).all():  # one fetch, not a call a row
            row = notes.get(m)
            if row is None:
                row = notes[m] = [0] * size
                agendas[m] = [0] * size
                times[m] = [None] * size
            row[i] = n
            agendas[m][i] = both - n
            times[m][i] = t
        return notes, agendas, times

    async def _sessions(
        self, program_id: int, start: datetime, end: datetime, program_end: datetime
    ) -> list[SessionRow]:
        """Per mentorship: notes in the window, up to its end, after the program's end;
        agendas in the window. One window's, plainly: what `_sessions_of_windows` must
        equal (tests/test_tab.py checks it)."""
        at = SessionNotes.created_at
        notes = (
            select(
                Mentorship.id,
                func.sum(case((at >= start, 1), else_=0)),
                func.count(),
                func.sum(case((at >= program_end, 1), else_=0)),
                func.max(at),
            )
            .join(SessionNotes, SessionNotes.pair_key == _mentorship_key())
            .where(Mentorship.program_id == program_id, at < end)
            .group_by(Mentorship.id)
        )
        planned_at = SessionAgenda.created_at
        agendas = (
            select(
                Mentorship.id,
                func.sum(case((planned_at >= start, 1), else_=0)),
                func.max(planned_at),
            )
            .join(SessionAgenda, SessionAgenda.pair_key == _mentorship_key())
            .where(Mentorship.program_id == program_id, planned_at < end)
            .group_by(Mentorship.id)
        )
        counted = {
            m: (int(a or 0), int(b), int(c or 0), _aware(t))
            for m, a, b, c, t in await self._core(notes)
        }
        planned = {m: (int(n or 0), _aware(t)) for m, n, t in await self._core(agendas)}
        rows = []
        for m in sorted(set(counted) | set(planned)):
            inside, until, after, noted = counted.get(m, (0, 0, 0, None))
            agenda, agreed = planned.get(m, (0, None))
            if until or agenda:
                latest = max((t for t in (noted, agreed) if t is not None), default=None)
                rows.append(SessionRow(m, inside, until, after, agenda, latest))
        return rows

    async def _proposals(self, program_id: int) -> list[ProposalRow]:
        rows: list[ProposalRow] = []
        for side, column in (
            ("mentee", MatchProposal.mentee_id),
            ("mentor", MatchProposal.mentor_id),
        ):
            stmt = (
                select(column, MatchProposal.status, func.count())
                .where(MatchProposal.program_id == program_id)
                .group_by(column, MatchProposal.status)
            )
            rows += [ProposalRow(u, side, s, n) for u, s, n in await self._core(stmt)]
        return rows

    def _enrolled_before(self, program_id: int, end: datetime) -> Any:
        return select(Enrolment.user_id).where(
            Enrolment.program_id == program_id, Enrolment.created_at < end
        )

    async def _goals(self, program_id: int, start: datetime, end: datetime) -> list[GoalCount]:
        created = and_(Goal.created_at >= start, Goal.created_at < end)
        target = and_(Goal.target_on >= start.date(), Goal.target_on < end.date())
        by_target = and_(
            Goal.status == "done",
            Goal.closed_at.is_not(None),
            sql.utc_day(self.s, Goal.closed_at) <= Goal.target_on,
        )
        flags = [case((c, 1), else_=0) for c in (created, target, by_target)]
        stmt = (
            select(flags[0], flags[1], Goal.status, flags[2], func.sum(Goal.progress), func.count())
            .where(
                Goal.user_id.in_(self._enrolled_before(program_id, end)),
                Goal.created_at < end,
                or_(created, target, Goal.status == "blocked"),
            )
            .group_by(flags[0], flags[1], Goal.status, flags[2])
        )
        return [
            GoalCount(bool(c), bool(t), status, bool(d), int(p or 0), int(n))
            for c, t, status, d, p, n in (await self._core(stmt)).all()
        ]

    async def _checkins(self, program_id: int, start: datetime, end: datetime) -> tuple[int, int]:
        """Scheduled check-ins due in the window of people enrolled before its end, and
        how many were answered (from the (person, trigger, due) index alone)."""
        stmt = select(func.count(), func.count(Checkin.answered_at)).where(
            Checkin.user_id.in_(self._enrolled_before(program_id, end)),
            Checkin.trigger == "schedule",
            Checkin.due_at >= start,
            Checkin.due_at < end,
        )
        sent, answered = (await self._core(stmt)).one()
        return int(sent or 0), int(answered or 0)

    def _surveys_in(self, where: Any, start: datetime, end: datetime) -> Any:
        return and_(where, Survey.moment_at >= start, Survey.moment_at < end)

    async def _answers(
        self, where: Any, start: datetime, end: datetime, moments: tuple[str, ...]
    ) -> list[AnswerRow]:
        values = (
            Survey.moment,
            SurveyAnswer.tag,
            SurveyAnswer.part,
            SurveyAnswer.number,
            SurveyAnswer.number2,
            SurveyAnswer.choice,
        )
        stmt = (
            select(*values, func.count())
            .select_from(Survey)
            .join(SurveyAnswer, SurveyAnswer.survey_id == Survey.id)
            .where(self._surveys_in(where, start, end), Survey.moment.in_(moments))
            .where(SurveyAnswer.tag != "")
            .group_by(*values)
        )
        return [AnswerRow(*row) for row in (await self._core(stmt)).all()]

    async def _invites(self, where: Any, start: datetime, end: datetime) -> list[InviteRow]:
        """Invites sent and answered per moment, from the surveys' own counters."""
        stmt = (
            select(Survey.moment, func.sum(Survey.sent), func.sum(Survey.answered))
            .where(self._surveys_in(where, start, end))
            .group_by(Survey.moment)
            .order_by(Survey.moment)
        )
        rows = [InviteRow(m, int(s or 0), int(a or 0)) for m, s, a in await self._core(stmt)]
        return [r for r in rows if r.sent or r.answered]

    async def _continued(self, program_id: int, end: datetime) -> list[ContinuedRow]:
        """Per mentorship, the "yes" answers to the 60-day "still meeting?" check."""
        stmt = (
            select(Survey.mentorship_id, func.count(), func.min(Survey.moment_at))
            .select_from(Survey)
            .join(SurveyAnswer, SurveyAnswer.survey_id == Survey.id)
            .where(Survey.program_id == program_id, Survey.moment == "after")
            .where(Survey.moment_at < end)
            .where(SurveyAnswer.tag == "still_meeting", SurveyAnswer.number == 1)
            .group_by(Survey.mentorship_id)
        )
        rows = (await self._core(stmt)).all()
        return [ContinuedRow(m, n, _aware(at)) for m, n, at in rows if m is not None]

    async def coffee_facts(self, team_id: int, start: datetime, end: datetime) -> CoffeeFacts:
        stmt = (
            select(
                PairSeat.round_id,
                PairRound.created_at,
                PairSeat.group_id,
                PairSeat.user_id,
                PairSeat.followup_at.is_not(None),
                PairSeat.met,
                PairSeat.rating,
            )
            .join(PairRound, PairRound.id == PairSeat.round_id)
            .join(PairGroup, PairGroup.id == PairSeat.group_id)
            .where(PairRound.team_id == team_id, PairRound.created_at < end)
            .order_by(PairRound.created_at, PairSeat.group_id, PairSeat.user_id)
        )
        seats = [SeatRow(*row) for row in (await self._core(stmt)).all()]
        in_window = {s.user_id for s in seats if s.round_at >= start}
        departments: dict[int, str] = {}
        if in_window:
            rows = await self._core(
                select(Profile.user_id, Profile.department).where(
                    Profile.user_id.in_(list(in_window))
                )
            )
            departments = {u: d for u, d in rows if d}
        ghosts = await self._core_scalar(
            select(func.count())
            .select_from(PairChoice)
            .where(PairChoice.team_id == team_id)
            .where(PairChoice.ghost_paused_at >= start, PairChoice.ghost_paused_at < end)
        )
        pulse = and_(Survey.team_id == team_id, Survey.moment == "pulse")
        return CoffeeFacts(
            team_id=team_id,
            start=start,
            end=end,
            seats=seats,
            departments=departments,
            ghost_pauses=int(ghosts or 0),
            answers=await self._answers(pulse, start, end, ("pulse",)),
            invites=await self._invites(pulse, start, end),
        )

    # --- for the feedback export: question aggregates, texts, stories ---------------------
    async def question_answers(
        self, program_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, str, str, int | None, int | None, str | None, int]]:
        """(template id, question, part, number, number2, choice, count) of answers to the
        program's surveys in the window, written text left out."""
        stmt = (
            select(
                Survey.template_id,
                SurveyAnswer.question,
                SurveyAnswer.part,
                SurveyAnswer.number,
                SurveyAnswer.number2,
                SurveyAnswer.choice,
                func.count(),
            )
            .join(Survey, Survey.id == SurveyAnswer.survey_id)
            .where(self._surveys_in(Survey.program_id == program_id, start, end))
            .where(SurveyAnswer.text.is_(None))
            .group_by(
                Survey.template_id,
                SurveyAnswer.question,
                SurveyAnswer.part,
                SurveyAnswer.number,
                SurveyAnswer.number2,
                SurveyAnswer.choice,
            )
        )
        return [tuple(row) for row in (await self._core(stmt)).all()]

    async def written_answers(
        self, program_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, str, str]]:
        """(template id, question, text) of written answers; never with a person."""
        stmt = (
            select(Survey.template_id, SurveyAnswer.question, SurveyAnswer.text)
            .join(Survey, Survey.id == SurveyAnswer.survey_id)
            .where(self._surveys_in(Survey.program_id == program_id, start, end))
            .where(SurveyAnswer.text.is_not(None))
            .order_by(SurveyAnswer.id)
        )
        return [(t, q, x or "") for t, q, x in (await self._core(stmt)).all()]

    async def stories(
        self, program_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, str | None, str]]:
        """(template id, author's name when shared by name, text)."""
        stmt = (
            select(Survey.template_id, SurveyStory.author_name, SurveyStory.text)
            .join(Survey, Survey.id == SurveyStory.survey_id)
            .where(self._surveys_in(Survey.program_id == program_id, start, end))
            .order_by(SurveyStory.id)
        )
        return [(t, a, x) for t, a, x in (await self._core(stmt)).all()]

    async def program_templates_used(
        self, program_id: int, start: datetime, end: datetime
    ) -> dict[int, SurveyTemplate]:
        ids = select(Survey.template_id).where(
            self._surveys_in(Survey.program_id == program_id, start, end)
        )
        rows = await self.s.scalars(select(SurveyTemplate).where(SurveyTemplate.id.in_(ids)))
        return {t.id: t for t in rows}

    async def anonymous_templates(self, template_ids: Iterable[int]) -> set[int]:
        ids = list(set(template_ids))
        if not ids:
            return set()
        rows = await self.s.scalars(
            select(Survey.template_id)
            .where(Survey.template_id.in_(ids), Survey.anonymous.is_(True))
            .distinct()
        )
        return set(rows)
