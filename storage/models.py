"""Database models. Alembic (storage/migrations) owns the schema; keep both in step.

No `from __future__ import annotations` here: SQLAlchemy's declarative scan would
evaluate every column's annotation string again, about 15 % of this module's import."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back an aware datetime (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


class User(Base):
    """A person the bot knows, keyed by their Teams user id ("29:...")."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    teams_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    aad_object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    upn: Mapped[str | None] = mapped_column(String(320))
    service_url: Mapped[str | None] = mapped_column(String(500))
    # The 1:1 chat with the bot, once known (serialized ConversationReference).
    personal_ref: Mapped[str | None] = mapped_column(Text)
    timezone_hint: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(20))  # Teams' locale of the last 1:1
    # The language they chose (`language de`, the profile card); None: see language_of.
    language: Mapped[str | None] = mapped_column(String(8))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_until: Mapped[date | None] = mapped_column(Date)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    onboarding_sent_at: Mapped[datetime | None] = mapped_column()
    # Set when a 1:1 send got 403/404 (app removed or blocked); cleared when they write.
    unreachable_at: Mapped[datetime | None] = mapped_column()
    first_seen_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime | None] = mapped_column()
    erased_at: Mapped[datetime | None] = mapped_column()


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    team_id: Mapped[str] = mapped_column(String(200), unique=True)
    aad_group_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(300))
    service_url: Mapped[str] = mapped_column(String(500))
    general_ref: Mapped[str] = mapped_column(Text)
    installer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    installed_at: Mapped[datetime] = mapped_column()
    removed_at: Mapped[datetime | None] = mapped_column()
    # The language for the team's channel and for members who never chose or wrote.
    language: Mapped[str | None] = mapped_column(String(8))


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime] = mapped_column()
    left_at: Mapped[datetime | None] = mapped_column()
    # The roster import that last listed this member (members it did not list have left).
    roster_import_id: Mapped[int | None] = mapped_column(Integer)


class TeamAdmin(Base):
    __tablename__ = "team_admins"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column()


class Profile(Base):
    __tablename__ = "profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    skills_offer: Mapped[list[str]] = mapped_column(default=list)
    skills_want: Mapped[list[str]] = mapped_column(default=list)
    goals: Mapped[str] = mapped_column(Text, default="")
    interests: Mapped[list[str]] = mapped_column(default=list)
    department: Mapped[str] = mapped_column(String(100), default="")
    location: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    languages: Mapped[list[str]] = mapped_column(default=list)
    meeting_format: Mapped[str] = mapped_column(String(20))
    meetings_per_month: Mapped[int] = mapped_column(Integer)
    max_mentees: Mapped[int | None] = mapped_column(Integer)
    # Which fields coffee partners see on an intro; None = the default set.
    shared_fields: Mapped[list[str] | None] = mapped_column()
    # Agreed that job title changes from the directory count in program outcomes (the
    # career change figure); off by default, and their history is kept only while on.
    title_history: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class OutboxMessage(Base):
    """A proactive message, written in the same transaction as the change behind it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # purpose + recipient + period: a retried job cannot queue the same message twice.
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    activity_id: Mapped[str | None] = mapped_column(String(200))
    # Where it went (so an update can find the conversation of the original post).
    conversation_id: Mapped[str | None] = mapped_column(String(300))
    # Not to be tried before this (backoff, Retry-After); wall-clock UTC.
    not_before: Mapped[datetime | None] = mapped_column()
    # The worker that claimed it, and until when its claim holds.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    # When its contents were blanked (retention, or `delete my data`): the row stays for
    # counts and for later updates of a sent card, which need only where it went.
    redacted_at: Mapped[datetime | None] = mapped_column()
    # The recipient's tenant: one worker at a time drains a tenant (delivery_leases).
    tenant_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    # What queued it: "turn:<activity id>" or "job:<name>:<scope>:<period>" (for logs).
    origin: Mapped[str | None] = mapped_column(String(300))


class DeliveryLease(Base):
    """A tenant's outbox is drained by one delivery worker at a time, so Teams'
    per-tenant and per-conversation limits, kept in that worker's memory, hold across
    replicas (see docs/architecture.md, "Many replicas")."""

    __tablename__ = "delivery_leases"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    worker: Mapped[str] = mapped_column(String(64))
    lease_until: Mapped[datetime] = mapped_column()


class RosterImport(Base):
    """Reading a team's roster after an install, page by page, in the background.

    Each page commits with its continuation token, so a crash resumes where it stopped."""

    __tablename__ = "roster_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|done|failed
    continuation: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    members: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    origin: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class Schedule(Base):
    """When a team's recurring job runs: cadence, weekday and local time in a zone."""

    __tablename__ = "schedules"
    __table_args__ = (UniqueConstraint("team_id", "job"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    job: Mapped[str] = mapped_column(String(100))
    cadence: Mapped[str] = mapped_column(String(20))  # weekly | biweekly | monthly
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    local_time: Mapped[str] = mapped_column(String(5))  # HH:MM
    timezone: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Periods before this moment are never run (a new or changed schedule does not
    # reach back in time).
    effective_from: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class JobRun(Base):
    """One claimed period of one job: the unique key is what makes a run happen once."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "scope", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(100))  # "team:<id>" or "global"
    period: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))  # done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class PairPool(Base):
    """A team's coffee-chat pool: who takes part and how groups are made.

    When the rounds run lives in the team's `schedules` row with job="pairing"."""

    __tablename__ = "pair_pools"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    opt_in: Mapped[bool] = mapped_column(Boolean, default=False)  # else everyone is in
    group_size: Mapped[int] = mapped_column(Integer, default=2)
    history_rounds: Mapped[int] = mapped_column(Integer, default=12)
    cross_department: Mapped[bool] = mapped_column(Boolean, default=False)
    followup_days: Mapped[int] = mapped_column(Integer, default=5)
    # The channel chosen for round notices (its conversation id), if any.
    channel_ref: Mapped[str | None] = mapped_column(Text)
    channel_name: Mapped[str | None] = mapped_column(String(300))
    lottery_host_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lottery_winners: Mapped[int] = mapped_column(Integer, default=0)  # 0 = no lottery
    # Draws count toward "everyone gets a turn" from here (a new host starts afresh).
    lottery_since: Mapped[datetime | None] = mapped_column()
    # Intros in a Graph group chat per group (when Graph may create chats), else 1:1.
    group_chats: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column()


class PairChoice(Base):
    """A member's own choice about one team's pool, and their ghost pause."""

    __tablename__ = "pair_choices"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    joined: Mapped[bool] = mapped_column(Boolean)  # False = left this pool
    # Paused for not answering follow-ups; unanswered ones before `misses_from` don't count.
    ghost_paused_at: Mapped[datetime | None] = mapped_column()
    misses_from: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class DontPair(Base):
    """`user` never wants to be grouped with `other`. Private to `user`; never expires."""

    __tablename__ = "dont_pair"
    __table_args__ = (UniqueConstraint("user_id", "other_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column()


class PairRound(Base):
    """One round of coffee groups in a team; (team, period) makes a round happen once."""

    __tablename__ = "pair_rounds"
    __table_args__ = (UniqueConstraint("team_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    period: Mapped[str] = mapped_column(String(100))
    trigger: Mapped[str] = mapped_column(String(20))  # schedule | admin
    seed: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()


class PairGroup(Base):
    __tablename__ = "pair_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("pair_rounds.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    lottery: Mapped[bool] = mapped_column(Boolean, default=False)


class PairSeat(Base):
    """One member of one group, and their answer to the follow-up."""

    __tablename__ = "pair_seats"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("pair_groups.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("pair_rounds.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    followup_at: Mapped[datetime | None] = mapped_column()  # when the follow-up was queued
    met: Mapped[str | None] = mapped_column(String(10))  # yes | not_yet | no
    rating: Mapped[int | None] = mapped_column(Integer)  # 1 to 5
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column()


class IcebreakerSettings(Base):
    """A team's icebreaker choices. When they are posted lives in the team's `schedules`
    row with job="icebreaker" (cadence, weekday, local time, zone, on/off)."""

    __tablename__ = "icebreaker_settings"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    # The channel to post in (its conversation id); None = the team's General channel.
    channel_id: Mapped[str | None] = mapped_column(String(300))
    channel_name: Mapped[str | None] = mapped_column(String(300))
    categories_off: Mapped[list[str]] = mapped_column(default=list)
    questions_off: Mapped[list[str]] = mapped_column(default=list)  # bank ids removed
    skip_next: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column()


class IcebreakerQuestion(Base):
    """A team's own question (added by an admin) or a member's suggestion."""

    __tablename__ = "icebreaker_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # suggested | active | removed | rejected
    suggested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column()
    # When it joined the rotation (added or approved): the team's own go first, oldest first.
    active_since: Mapped[datetime | None] = mapped_column()


class IcebreakerPost(Base):
    """One question posted in a team; (team, period) makes a scheduled post happen once."""

    __tablename__ = "icebreaker_posts"
    __table_args__ = (UniqueConstraint("team_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    period: Mapped[str] = mapped_column(String(100))  # the schedule's, or "now:<time>"
    trigger: Mapped[str] = mapped_column(String(20))  # schedule | now
    question_key: Mapped[str] = mapped_column(String(40))  # bank id or "c<question id>"
    question_text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20))
    cycle: Mapped[int] = mapped_column(Integer)  # no repeats within a cycle
    # The outbox row of the card: its key finds the sent message (updates, thread, digest).
    outbox_key: Mapped[str] = mapped_column(String(300), unique=True)
    channel_id: Mapped[str | None] = mapped_column(String(300))  # None = General
    due_at: Mapped[datetime] = mapped_column()
    posted_at: Mapped[datetime] = mapped_column()
    # Count updates of the card: how many were queued and the latest one's outbox key.
    update_seq: Mapped[int] = mapped_column(Integer, default=0)
    update_key: Mapped[str | None] = mapped_column(String(300))
    digested_at: Mapped[datetime | None] = mapped_column()  # the digest was queued


class IcebreakerAnswer(Base):
    """One member's answer to one post; answering again replaces it."""

    __tablename__ = "icebreaker_answers"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("icebreaker_posts.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    share: Mapped[bool] = mapped_column(Boolean)  # may appear in the digest
    source: Mapped[str] = mapped_column(String(10))  # card | thread
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class Program(Base):
    """A mentoring program in a team: its goals, dates, rules and how people are matched."""

    __tablename__ = "programs"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))  # draft | open | closed
    objectives: Mapped[list[str]] = mapped_column(default=list)
    focus_areas: Mapped[list[str]] = mapped_column(default=list)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    cadence: Mapped[str] = mapped_column(String(20))  # weekly | biweekly | monthly
    capacity: Mapped[int] = mapped_column(Integer)  # a mentor's default, 1 to 5
    mode: Mapped[str] = mapped_column(String(20))  # automatic | choose | approve
    enrol_by: Mapped[date | None] = mapped_column(Date)
    agreement: Mapped[str] = mapped_column(Text, default="")
    # [{"title": ..., "url": ...}] for each side
    resources_mentors: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    resources_mentees: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    weights: Mapped[dict[str, Any] | None] = mapped_column()  # None = the defaults
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    matched_at: Mapped[datetime | None] = mapped_column()  # the deadline's automatic run
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    # A pair's intro in a Graph group chat of mentor and mentee (where Graph allows).
    group_chats: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Enrolment(Base):
    """A member in a program, with the program's own questions answered."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("program_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))  # mentor | mentee
    wants: Mapped[str] = mapped_column(Text, default="")  # what I want from this program
    capacity: Mapped[int | None] = mapped_column(Integer)  # mentors
    experience_years: Mapped[int | None] = mapped_column(Integer)  # for the experience gap
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    priority: Mapped[bool] = mapped_column(Boolean, default=False)  # re-match first
    # The cohort it was made in (None: the program has never been split into cohorts).
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class Cohort(Base):
    """A group of a program's enrolments: those made from `started_at` until the next
    cohort starts. A program's first cohort (named after its start) is made, with every
    enrolment so far, when an admin starts its second (`/program cohort`)."""

    __tablename__ = "cohorts"
    __table_args__ = (UniqueConstraint("program_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column()


class MatchProposal(Base):
    """A possible pair: a suggestion to a mentee, a request to a mentor, or an admin's
    review item, with its score and reasons."""

    __tablename__ = "match_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # suggested | requested | declined | expired | proposed | rejected | accepted | closed
    status: Mapped[str] = mapped_column(String(20), index=True)
    rank: Mapped[int] = mapped_column(Integer, default=0)  # a suggestion's place, 1 = best
    score: Mapped[float] = mapped_column(Float)
    # The reasons' facts (criteria.reason_words says them to each reader); older rows hold
    # text written for the mentee.
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    expires_at: Mapped[datetime | None] = mapped_column()  # a request's answer deadline
    created_at: Mapped[datetime] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    run_at: Mapped[datetime | None] = mapped_column()  # the matching run that made it
    note: Mapped[str | None] = mapped_column(Text)  # an admin's reason for rejecting it


class Mentorship(Base):
    """A mentor and a mentee in a program: agreeing, then active, then ended."""

    __tablename__ = "mentorships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # agreeing | active | ended
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)  # as on MatchProposal
    # Each side's confirmation: {"mentor": {"at": iso, "channel": ...}, "mentee": {...}}
    agreement: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # not_fit | ended | closed | undone (an admin undid the run before anyone confirmed)
    end_kind: Mapped[str | None] = mapped_column(String(20))
    run_at: Mapped[datetime | None] = mapped_column()  # the matching run that made it
    end_reason: Mapped[str | None] = mapped_column(Text)  # private to whoever ended it


class Goal(Base):
    """A member's own goal. Private unless shared (`goal_shares`) with a partner."""

    __tablename__ = "goals"
    __table_args__ = (UniqueConstraint("user_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # the owner's own numbering: goal 1, 2, ...
    title: Mapped[str] = mapped_column(String(200))
    why: Mapped[str] = mapped_column(Text, default="")
    measure: Mapped[str] = mapped_column(Text, default="")  # how success is measured
    target_on: Mapped[date] = mapped_column(Date)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0 to 100
    # on_track | at_risk | blocked (open) | done | dropped
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()  # the last change or check-in
    closed_at: Mapped[datetime | None] = mapped_column()  # done or dropped
    shoutout_at: Mapped[datetime | None] = mapped_column()  # celebrated in a channel


class GoalShare(Base):
    """The goal's owner shares it with a partner (their mentor, mentee or coffee partner)."""

    __tablename__ = "goal_shares"
    __table_args__ = (UniqueConstraint("goal_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column()


class CheckinSettings(Base):
    """When a member's check-ins come: cadence, weekday and local time in their zone."""

    __tablename__ = "checkin_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    cadence: Mapped[str] = mapped_column(String(20))  # weekly | biweekly | monthly
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    local_time: Mapped[str] = mapped_column(String(5))  # HH:MM
    # None: the profile's time zone, else Teams' hint, else UTC (read at every run).
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Occurrences before this never count: a change never reaches back.
    effective_from: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class Checkin(Base):
    """One check-in card sent to a member; (user, period) makes a scheduled one happen once."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("user_id", "period"),
        # The outcome metrics count a program's check-ins per window (0008).
        Index("ix_checkins_user_trigger_due", "user_id", "trigger", "due_at", "answered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    period: Mapped[str] = mapped_column(String(100))  # local date, or "now:<time>"
    trigger: Mapped[str] = mapped_column(String(20))  # schedule | manual
    goal_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # the goals it asked about
    due_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column(index=True)
    reminded_at: Mapped[datetime | None] = mapped_column()
    blocker: Mapped[str | None] = mapped_column(Text)  # "anything blocking you?"


class CheckinDay(Base):
    """Scheduled check-ins per program, UTC day due and UTC day the person enrolled, with
    how many were answered: kept by database triggers (migration 0023) in the same
    transaction as every change to `checkins` and `enrolments`; never written here."""

    __tablename__ = "checkin_days"

    program_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    enrolled_on: Mapped[date] = mapped_column(Date, primary_key=True)
    sent: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)


class CheckinEntry(Base):
    """One goal's answer in one check-in: the goal's history."""

    __tablename__ = "checkin_entries"
    __table_args__ = (UniqueConstraint("checkin_id", "goal_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id"), index=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id"), index=True)
    progress: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    moved: Mapped[str] = mapped_column(Text, default="")  # what moved
    next_step: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column()


class SessionAgenda(Base):
    """Before a meeting: what one side wants to achieve and the questions to cover."""

    __tablename__ = "session_agendas"
    # The outcome metrics count a pair's agendas per window (0008).
    __table_args__ = (Index("ix_session_agendas_pair_created", "pair_key", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "m<mentorship id>" or "c<lower user id>-<higher user id>" (coffee partners)
    pair_key: Mapped[str] = mapped_column(String(40), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    achieve: Mapped[str] = mapped_column(Text, default="")
    questions: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column()


class SessionNotes(Base):
    """After a meeting: a summary and key points; action items hang off it."""

    __tablename__ = "session_notes"
    # The outcome metrics count a pair's sessions per window (0008).
    __table_args__ = (Index("ix_session_notes_pair_created", "pair_key", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pair_key: Mapped[str] = mapped_column(String(40), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    summary: Mapped[str] = mapped_column(Text)
    key_points: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column()


class ActionItem(Base):
    """A to-do from meeting notes: reminded to its owner on the due date, listed in the
    pair's next agenda until done."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notes_id: Mapped[int] = mapped_column(ForeignKey("session_notes.id"), index=True)
    pair_key: Mapped[str] = mapped_column(String(40), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column()
    reminded_at: Mapped[datetime | None] = mapped_column()
    done_at: Mapped[datetime | None] = mapped_column()


class PairNudge(Base):
    """A nudge (21 days) or an admin escalation (35 days) for one inactivity stretch of a
    pair; the stretch is named by the time of the pair's last activity."""

    __tablename__ = "pair_nudges"
    __table_args__ = (UniqueConstraint("pair_key", "kind", "stretch"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pair_key: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # nudge | escalation
    stretch: Mapped[str] = mapped_column(String(40))  # last activity, ISO 8601 UTC
    created_at: Mapped[datetime] = mapped_column()


class InboundActivity(Base):
    """An activity (or a card submit) already handled: a retried delivery gets the same
    answer and changes nothing. The key is a hash (no ids in clear); the answer may hold
    the person's words, so the row names them for `delete my data`, and the retention
    job drops rows after two days."""

    __tablename__ = "inbound_activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # [{"text": ..., "card": ...}]: what the turn answered
    replies: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(index=True)


class FeedbackSettings(Base):
    """A program's survey choices: which moments send surveys, the minimum number of
    answers (k) before admins see an aggregate, how long a survey stays open, and whether
    the optional demographic questions are asked."""

    __tablename__ = "feedback_settings"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), primary_key=True)
    moments_off: Mapped[list[str]] = mapped_column(default=list)
    min_answers: Mapped[int] = mapped_column(Integer, default=3)  # k, never below 3
    close_days: Mapped[int] = mapped_column(Integer, default=7)
    demographics: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column()


class CoffeeFeedbackSettings(Base):
    """A team's coffee-chat pulse: one optional question per round (off by default)."""

    __tablename__ = "coffee_feedback_settings"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    pulse: Mapped[bool] = mapped_column(Boolean, default=False)
    min_answers: Mapped[int] = mapped_column(Integer, default=3)
    close_days: Mapped[int] = mapped_column(Integer, default=7)
    updated_at: Mapped[datetime] = mapped_column()


class SurveyTemplate(Base):
    """One version of a survey's questions. Never changed once written: an admin's edit
    is a new version, and a survey keeps the version it was sent with."""

    __tablename__ = "survey_templates"
    __table_args__ = (UniqueConstraint("scope", "name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))  # "program:<id>" or "team:<id>"
    name: Mapped[str] = mapped_column(String(40))  # session, day30, end.mentee, pulse, ...
    version: Mapped[int] = mapped_column(Integer)
    # [{"key", "kind", "text", "tag", "options": [{"value", "title"}]}]
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column()


class Survey(Base):
    """One survey moment (a session's notes, day 30 of a mentorship, a program's end, a
    coffee round, ...): its key makes it happen once."""

    __tablename__ = "surveys"
    # A program's surveys of a window, for the metrics: their counters per moment (read
    # from the index alone), and those of one moment (whose answers the metrics read).
    __table_args__ = (
        Index(
            "ix_surveys_program_moment_at", "program_id", "moment_at", "moment", "sent", "answered"
        ),
        Index("ix_surveys_program_moment", "program_id", "moment", "moment_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)  # "session:notes12", ...
    moment: Mapped[str] = mapped_column(String(20), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id"))
    mentorship_id: Mapped[int | None] = mapped_column(ForeignKey("mentorships.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("pair_rounds.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("survey_templates.id"))
    anonymous: Mapped[bool] = mapped_column(Boolean)
    focus_areas: Mapped[list[str]] = mapped_column(default=list)  # as when it was made
    moment_at: Mapped[datetime] = mapped_column()  # when the moment happened
    created_at: Mapped[datetime] = mapped_column()
    # Invites sent and answered, kept with every send, first answer and erasure, so a
    # response rate reads the surveys alone.
    sent: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)


class SurveyDay(Base):
    """The program surveys' sent and answered counters summed per program, moment and UTC
    day of the moment: kept by database triggers (migration 0023) in the same
    transaction as every change to `surveys`; never written here."""

    __tablename__ = "survey_days"

    program_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    moment_on: Mapped[date] = mapped_column(Date, primary_key=True)
    moment: Mapped[str] = mapped_column(String(20), primary_key=True)
    sent: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)


class SurveyInvite(Base):
    """A survey for one person: when it arrives (their local morning), its one reminder,
    when it closes, and whether they answered (for anonymous surveys, the only trace)."""

    __tablename__ = "survey_invites"
    __table_args__ = (UniqueConstraint("survey_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))  # mentor | mentee | member
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who it's about
    due_at: Mapped[datetime] = mapped_column(index=True)
    closes_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    remind_at: Mapped[datetime | None] = mapped_column(index=True)
    reminded_at: Mapped[datetime | None] = mapped_column()
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime | None] = mapped_column()  # named surveys only


class SurveyResponse(Base):
    """One person's answers to one survey. Anonymous: no user id and no time; only the
    hash of the token on the person's own change card finds it again."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("survey_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    edit_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # The responder's cohort in the survey's program (a group, never a person), so a
    # cohort's aggregates can be shown above k like the program's.
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"), index=True)
    updated_at: Mapped[datetime | None] = mapped_column()  # named surveys only


class SurveyAnswer(Base):
    """One question's answer in a response: a number (a rating, a 0-10 score, yes = 1 and
    no = 0), two numbers (a skill before and after), a choice's value, or written text.
    `tag` names the metric it feeds (satisfaction, recommend, ...), `""` for none."""

    __tablename__ = "survey_answers"
    # Answers per value of a survey, read from the index alone (the metrics' counts).
    __table_args__ = (
        Index(
            "ix_survey_answers_values", "survey_id", "tag", "part", "number", "number2", "choice"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    question: Mapped[str] = mapped_column(String(40))
    tag: Mapped[str] = mapped_column(String(40), default="")
    part: Mapped[str] = mapped_column(String(60), default="")  # a focus area (skills)
    number: Mapped[int | None] = mapped_column(Integer)
    number2: Mapped[int | None] = mapped_column(Integer)
    choice: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)


class SurveyStory(Base):
    """A story a participant agreed to share: by name (with their id and name, apart from
    their answers) or anonymously (with the response, no name)."""

    __tablename__ = "survey_stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("survey_responses.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    author_name: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)


class ExportLink(Base):
    """A short-lived download link for one admin's CSV export, or for a person's own
    `my data` file (`what` "mydata", no team). Only the token's hash is stored; the file
    is made when the link is opened, under that person's rights then."""

    __tablename__ = "export_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))  # None: mydata
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id"))
    # pairs | participants | metrics | feedback | mydata
    what: Mapped[str] = mapped_column(String(20))
    range_from: Mapped[date] = mapped_column(Date)
    range_to: Mapped[date] = mapped_column(Date)  # inclusive
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    downloads: Mapped[int] = mapped_column(Integer, default=0)


class TabLink(Base):
    """A one-time sign-in link to the dashboard tab (`dashboard` in the 1:1 chat, for use
    without Teams single sign-on). Only the token's hash is stored; it works once, for
    ten minutes, and starts a session for the person it was made for."""

    __tablename__ = "tab_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class TabSession(Base):
    """A signed-in dashboard session (the tab's HttpOnly cookie holds the token; only its
    hash is stored). Rights are checked again on every page, never kept here."""

    __tablename__ = "tab_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    via: Mapped[str] = mapped_column(String(10))  # sso | link
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()


class Concern(Base):
    """A participant's private concern (`concern` in the 1:1 chat), for the admins of one
    team (or one program's team) only, listed until an admin marks it handled."""

    __tablename__ = "concerns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id"))
    mentorship_id: Mapped[int | None] = mapped_column(ForeignKey("mentorships.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    handled_at: Mapped[datetime | None] = mapped_column()
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DirectoryEntry(Base):
    """What Microsoft Graph says about a person (the directory and their mailbox).

    Department, job title, office and manager stay as the directory says; time zone and
    language are the person's to correct (`*_by_person`), after which the directory's
    value no longer replaces theirs.
    """

    __tablename__ = "directory_entries"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), index=True)
    aad_object_id: Mapped[str] = mapped_column(String(64), index=True)
    department: Mapped[str] = mapped_column(String(200), default="")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    office: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(20), default="")
    manager_aad_id: Mapped[str] = mapped_column(String(64), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="")  # IANA
    work_days: Mapped[list[str]] = mapped_column(default=list)
    work_start: Mapped[str] = mapped_column(String(5), default="")  # "09:00" in work_zone
    work_end: Mapped[str] = mapped_column(String(5), default="")
    work_zone: Mapped[str] = mapped_column(String(64), default="")
    zone_by_person: Mapped[bool] = mapped_column(Boolean, default=False)
    language_by_person: Mapped[bool] = mapped_column(Boolean, default=False)
    directory_at: Mapped[datetime | None] = mapped_column()
    mailbox_at: Mapped[datetime | None] = mapped_column()
    # The directory no longer lists them (deleted user): kept out of matching hints.
    removed_at: Mapped[datetime | None] = mapped_column()


class JobTitleChange(Base):
    """A job title the directory changed (old -> new, when the sync saw it), kept only
    for people whose profile says `title_history`; deleted when they turn it off."""

    __tablename__ = "job_title_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    old_title: Mapped[str] = mapped_column(String(200))
    new_title: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column()


class GraphSync(Base):
    """A tenant's directory sync: the delta link to ask next, and when."""

    __tablename__ = "graph_syncs"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    delta_link: Mapped[str | None] = mapped_column(Text)
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    synced_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)


class GraphFeature(Base):
    """Whether a Graph feature works in a tenant, as its last call said; `missing_since`
    is set while its permission is missing (admins are told once per such stretch)."""

    __tablename__ = "graph_features"
    __table_args__ = (UniqueConstraint("tenant_id", "feature"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    feature: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))  # working | missing | failing
    detail: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime] = mapped_column()
    missing_since: Mapped[datetime | None] = mapped_column()


class GroupChat(Base):
    """The Graph group chat of one coffee group (`kind` "coffee", `ref_id` its group id)
    or of one mentor pair (`kind` "mentoring", `ref_id` the mentorship id), recorded
    before its intro is announced so a retry reuses it, never makes a second.

    `state`: pending (to create) -> creating (asked Graph) -> created (chat id stored)
    -> announced (intro queued into the chat); or fallback (intros went 1:1). `payload`
    holds the intros until then (the chat's card, and the 1:1 ones for a fallback) and
    is emptied once settled."""

    __tablename__ = "group_chats"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    tenant_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), index=True)
    chat_id: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class Meeting(Base):
    """A mentor pair's (or a coffee group's) meeting on their calendars: one Outlook event
    with a Teams meeting, organised by the mentor (a group's first member). Keyed by
    mentorship (or group) + slot; the row is written (and locked) before Graph is asked,
    and Graph's `transactionId` carries the same key, so a repeated click or a retried
    turn never makes a second event. At most one is booked per pair or group."""

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("mentorship_id", "starts_at"),
        UniqueConstraint("group_id", "starts_at", name="uq_meetings_group_id_starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Exactly one of the two is set: a mentor pair's meeting or a coffee group's.
    mentorship_id: Mapped[int | None] = mapped_column(ForeignKey("mentorships.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("pair_groups.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column()
    minutes: Mapped[int] = mapped_column(Integer)
    recurring: Mapped[bool] = mapped_column(Boolean, default=False)  # at the program's cadence
    organizer_aad: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20))  # booked | cancelled
    attempt: Mapped[int] = mapped_column(Integer, default=1)  # bookings of this slot so far
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
