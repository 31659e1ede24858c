"""Weekly icebreakers: a question card in a team channel, answers, a live count, a digest.

- The scheduled job (`run_job`, registered as "icebreaker" in scheduler/jobs.py) posts the
  next question when the team's `schedules` row says so, and the previous post's digest
  (answers their authors chose to share) in that post's thread.
- Answers come from the card (Action.Execute, `icebreaker_answer`) or as replies in the
  post's thread that @mention the bot. One answer per person per post: answering again
  replaces it.
- The card shows how many answered. Updating it goes through the outbox and is spaced by
  the delivery worker (`after` + `gap_seconds`): at most one update a minute per post,
  each showing the count when it leaves.
- Admin commands: /icebreaker settings|add|list|remove|now|skip|categories|approve.
  Members: `suggest <question>`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dialogs.cards import card_id, render
from dialogs.icebreaker_bank import BY_ID, CATEGORIES, CUSTOM, QUESTIONS, category_key
from dialogs.icebreaker_bank import near_duplicate as _alike
from dialogs.icebreaker_rotation import Candidate, pick
from dialogs.people import display
from dialogs.router import Turn
from scheduler.periods import WEEKDAYS, ScheduleError, ScheduleSpec, next_due, validate
from storage.models import IcebreakerAnswer, IcebreakerPost, IcebreakerQuestion, Team
from storage.repos import Repos

if TYPE_CHECKING:  # scheduler/jobs.py imports this module
    from scheduler.types import JobContext

log = logging.getLogger("mentorbot.icebreakers")

JOB = "icebreaker"
ANSWER_ACTION = "icebreaker_answer"
MAX_ANSWER = 1000  # characters; the digest quotes at most DIGEST_QUOTE of each
MIN_QUESTION, MAX_QUESTION = 10, 300
UPDATE_GAP_SECONDS = 60  # one card update a minute per post at most
MAX_OPEN_SUGGESTIONS = 5  # per member and team, so suggesting cannot flood the admins
DIGEST_ANSWERS, DIGEST_QUOTE = 20, 280
DEFAULT_TIME, DEFAULT_WEEKDAY, DEFAULT_CADENCE = "10:00", 0, "weekly"
SETTINGS_ARGS = ("channel", "day", "time", "timezone", "cadence")


# --- posting ---------------------------------------------------------------------------
async def run_job(ctx: JobContext) -> None:
    """One scheduled period of one team: post the next question (or honour a skip)."""
    repos, team = ctx.repos, await ctx.repos.teams.get(ctx.team_id or 0)
    if team is None or not team.active:
        return
    settings = await repos.icebreakers.settings(team.id)
    if settings is not None and settings.skip_next:
        settings.skip_next, settings.updated_at = False, ctx.now
        log.info("icebreaker skipped team=%s period=%s", team.id, ctx.period)
        return
    if await post_question(repos, team, ctx.period, "schedule", ctx.due_at, ctx.now) is None:
        log.warning("icebreaker: no question enabled team=%s period=%s", team.id, ctx.period)


async def post_question(
    repos: Repos, team: Team, period: str, trigger: str, due_at: datetime, now: datetime
) -> IcebreakerPost | None:
    """Queue the next question's card and the previous post's digest; None if none is on."""
    await repos.icebreakers.lock_team(team.id)
    previous = await repos.icebreakers.latest_post(team.id)
    chosen = await _choose(repos, team.id, previous)
    if chosen is None:
        return None
    candidate, text, cycle = chosen
    settings = await repos.icebreakers.settings(team.id)
    post = await repos.icebreakers.add_post(
        IcebreakerPost(
            team_id=team.id,
            period=period,
            trigger=trigger,
            question_key=candidate.key,
            question_text=text,
            category=candidate.category,
            cycle=cycle,
            outbox_key=f"icebreaker:team{team.id}:{period}",
            channel_id=settings.channel_id if settings else None,
            due_at=due_at,
            posted_at=now,
            update_seq=0,
        )
    )
    payload: dict[str, Any] = {"to": "team", "card": question_card(post, 0)}
    if post.channel_id:
        payload["channel"] = post.channel_id
    await repos.outbox.enqueue(post.outbox_key, payload, now, team_id=team.id)
    if previous is not None:
        await _queue_digest(repos, previous, now)
    return post


async def _choose(
    repos: Repos, team_id: int, previous: IcebreakerPost | None
) -> tuple[Candidate, str, int] | None:
    candidates, texts = await _candidates(repos, team_id)
    cycle = previous.cycle if previous else 0
    used = await repos.icebreakers.used_in_cycle(team_id, cycle)
    last = Candidate(previous.question_key, previous.category) if previous else None
    chosen = pick(candidates, used, cycle, seed=team_id, last=last)
    if chosen is None:
        return None
    return chosen.candidate, texts[chosen.candidate.key], chosen.cycle


async def _candidates(repos: Repos, team_id: int) -> tuple[list[Candidate], dict[str, str]]:
    """Every question in this team's rotation (its own first) and their texts."""
    settings = await repos.icebreakers.settings(team_id)
    off = set(settings.categories_off) | set(settings.questions_off) if settings else set()
    own = await repos.icebreakers.questions(team_id, "active")
    own.sort(key=lambda q: (q.active_since or q.created_at, q.id))
    candidates = [Candidate(_key(q), CUSTOM, True, n) for n, q in enumerate(own)]
    candidates += [
        Candidate(q.id, q.category) for q in QUESTIONS if q.category not in off and q.id not in off
    ]
    texts = {_key(q): q.text for q in own} | {q.id: q.text for q in QUESTIONS}
    return candidates, texts


def question_card(post: IcebreakerPost, count: int) -> dict[str, Any]:
    return render(
        "icebreaker_question",
        question=post.question_text,
        category=_category_label(post.category),
        count_text=_count_text(count),
        max_answer=MAX_ANSWER,
        post_id=post.id,
    )


def _count_text(count: int) -> str:
    if count == 0:
        return "No answers yet. Be the first!"
    return "1 answer so far" if count == 1 else f"{count} answers so far"


def _category_label(category: str) -> str:
    return CATEGORIES.get(category, "From your team")


async def _queue_digest(repos: Repos, post: IcebreakerPost, now: datetime) -> None:
    """The shared answers to `post`, as a reply in its thread (once; none if nobody shared)."""
    if post.digested_at is not None:
        return
    post.digested_at = now
    shared = await repos.icebreakers.shared_answers(post.id)
    if not shared:
        return
    total = await repos.icebreakers.count_answers(post.id)
    payload = {"to": "team", "thread_of": post.outbox_key, "text": digest_text(post, shared, total)}
    await repos.outbox.enqueue(
        f"icebreaker:digest:post{post.id}", payload, now, team_id=post.team_id
    )


def digest_text(
    post: IcebreakerPost, shared: list[tuple[IcebreakerAnswer, Any]], total: int
) -> str:
    lines = [f"**What you said** about: {post.question_text}"]
    for answer, user in shared[:DIGEST_ANSWERS]:
        quote = " ".join(answer.text.split())
        if len(quote) > DIGEST_QUOTE:
            quote = quote[: DIGEST_QUOTE - 1] + "…"
        lines.append(f"- **{display(user)}**: {quote}")
    if len(shared) > DIGEST_ANSWERS:
        lines.append(f"- … and {len(shared) - DIGEST_ANSWERS} more")
    private = total - len(shared)
    if private:
        lines.append(
            f"_{private} more {'person' if private == 1 else 'people'} answered privately._"
        )
    return "\n".join(lines)


# --- answers ---------------------------------------------------------------------------
async def answer_from_card(turn: Turn) -> None:
    """The card's Answer button. The card is not a trust boundary: check everything."""
    value = turn.inbound.value if isinstance(turn.inbound.value, dict) else {}
    post = await _post_of_card(turn, value.get("post"))
    if post is None:
        turn.say(
            "Sorry, I can't tell which question this card belongs to; it may be from an "
            "older version of me or another team. Nothing was saved."
        )
        return
    share = _flag(value.get("share", "true"))
    text, problem = clean_answer(value.get("answer"))
    if problem is None and share is None:
        problem = "The share setting on that card was not on or off. Nothing was saved."
    if problem is not None:
        turn.say(problem)
        return
    await _save_answer(turn, post, text, bool(share), "card")


async def thread_reply(turn: Turn) -> bool:
    """A reply in an icebreaker post's thread (with an @mention) is an answer.

    Slash commands and a bare `help` there stay commands. Returns True when handled."""
    inbound = turn.inbound
    if inbound.is_personal or not inbound.thread_root_id or not inbound.channel_id:
        return False
    text = inbound.text.strip()
    if text.startswith("/") or text.lower() == "help":
        return False
    team = await turn.repos.teams.by_team_id(inbound.team_id or "")
    if team is None:
        return False
    found = await turn.repos.icebreakers.post_of_message(
        team.id, inbound.channel_id, inbound.thread_root_id
    )
    if found is None:
        return False
    turn.result.route = "icebreaker.thread_answer"
    answer, problem = clean_answer(text)
    if problem is not None:
        turn.say(problem.replace("press Answer", "reply again"))
        return True
    post = await turn.repos.icebreakers.post(found.id, lock=True)
    assert post is not None
    await _save_answer(turn, post, answer, True, "thread")
    return True


def clean_answer(raw: Any) -> tuple[str, str | None]:
    """The answer text, or a message saying what is wrong with it."""
    if raw is not None and not isinstance(raw, str):
        return "", "Your answer must be text. Nothing was saved."
    text = (raw or "").strip()
    if not text:
        return "", (
            "Your answer is empty: write something in the box and press Answer. Nothing was saved."
        )
    if len(text) > MAX_ANSWER:
        return "", (
            f"Your answer is {len(text):,} characters long; answers can be at most "
            f"{MAX_ANSWER:,}. Please shorten it and press Answer again. Nothing was saved."
        )
    return text, None


async def _post_of_card(turn: Turn, raw_id: Any) -> IcebreakerPost | None:
    post_id = _whole(raw_id)
    team = await turn.repos.teams.by_team_id(turn.inbound.team_id or "")
    if post_id is None or team is None:
        return None
    post = await turn.repos.icebreakers.post(post_id, lock=True)
    return post if post is not None and post.team_id == team.id else None


async def _save_answer(
    turn: Turn, post: IcebreakerPost, text: str, share: bool, source: str
) -> None:
    repos, user = turn.repos, turn.user
    existing = await repos.icebreakers.answer_of(post.id, user.id)
    if existing is not None:
        existing.text, existing.share, existing.source = text, share, source
        existing.updated_at = turn.now
        turn.say("Updated your answer. " + _share_note(share))
        return
    await repos.icebreakers.add_answer(
        IcebreakerAnswer(
            post_id=post.id,
            team_id=post.team_id,
            user_id=user.id,
            text=text,
            share=share,
            source=source,
            created_at=turn.now,
            updated_at=turn.now,
        )
    )
    turn.result.queued += await queue_count_update(repos, post, turn.now)
    turn.say("Thanks, your answer is saved! " + _share_note(share))


def _share_note(share: bool) -> str:
    if share:
        return "It will be in the digest when the next question goes out."
    return "It stays out of the digest."


async def queue_count_update(repos: Repos, post: IcebreakerPost, now: datetime) -> int:
    """Queue the card with its new count; returns the rows queued (0 or 1).

    While an update still waits in the outbox, it just gets the new count. Otherwise a
    new update is queued that the worker sends no sooner than UPDATE_GAP_SECONDS after
    the previous one was sent. The caller holds the post's row lock (`post(lock=True)`).
    """
    count = await repos.icebreakers.count_answers(post.id)
    card = question_card(post, count)
    if post.update_key is not None:
        waiting = _update_payload(post, card, _update_key(post, post.update_seq - 1))
        if await repos.outbox.replace_pending(post.update_key, waiting):
            return 0
    previous = post.update_key
    post.update_seq += 1
    key = post.update_key = f"icebreaker:count:post{post.id}:{post.update_seq}"
    not_before = await _spacing(repos, previous)
    await repos.outbox.enqueue(
        key,
        _update_payload(post, card, previous),
        now,
        team_id=post.team_id,
        not_before=not_before,
    )
    return 1


def _update_key(post: IcebreakerPost, seq: int) -> str | None:
    return f"icebreaker:count:post{post.id}:{seq}" if seq > 0 else None


def _update_payload(
    post: IcebreakerPost, card: dict[str, Any], after: str | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"to": "team", "card": card, "update": post.outbox_key}
    if after is not None:
        payload |= {"after": after, "gap_seconds": UPDATE_GAP_SECONDS}
    return payload


async def _spacing(repos: Repos, previous: str | None) -> datetime | None:
    """When the worker may send the next update, if the previous one was sent already.

    The worker's own sent_at plus the gap: both on its wall clock, never on ours."""
    if previous is None:
        return None
    row = (await repos.outbox.by_keys([previous])).get(previous)
    if row is None or row.status != "sent" or row.sent_at is None:
        return None  # the worker waits for it itself ("after")
    return row.sent_at + timedelta(seconds=UPDATE_GAP_SECONDS)


# --- members' data ---------------------------------------------------------------------
async def export(repos: Repos, user_id: int) -> dict[str, Any]:
    answers = await repos.icebreakers.answers_of_user(user_id)
    suggestions = await repos.icebreakers.suggestions_of_user(user_id)
    return {
        "answers": [
            {
                "team": team.name,
                "question": post.question_text,
                "asked": post.posted_at,
                "answer": answer.text,
                "in_digest": answer.share,
                "via": answer.source,
                "answered": answer.updated_at,
            }
            for answer, post, team in answers
        ],
        "suggested_questions": [
            {"team": team.name, "question": q.text, "status": q.status} for q, team in suggestions
        ],
    }


async def erase_user(turn: Turn) -> None:
    """Delete a member's answers and suggestions; recount the cards people still see."""
    repos = turn.repos
    answered = await repos.icebreakers.erase_user(turn.user.id)
    for latest in await repos.icebreakers.latest_posts_of(answered):
        post = await repos.icebreakers.post(latest.id, lock=True)
        if post is not None:
            turn.result.queued += await queue_count_update(repos, post, turn.now)


# --- settings --------------------------------------------------------------------------
@dataclass
class Timing:
    cadence: str
    weekday: int
    local_time: str
    timezone: str
    enabled: bool


async def overview(turn: Turn) -> None:
    """`/icebreaker`: the settings and the commands."""
    await _show_settings(turn)
    table = turn.env.table
    commands = [c for c in table.commands if c.name.startswith("/icebreaker ")]
    turn.say(
        "Icebreaker commands:\n" + "\n".join(f"- **{c.title}**: {c.summary}" for c in commands)
    )


async def settings_command(turn: Turn) -> None:
    team = turn.team
    assert team is not None
    words = [w.lower() for w in turn.rest.split()]
    changes = {k: v for k, v in turn.args.items() if k in SETTINGS_ARGS}
    if not words and not changes:
        await _show_settings(turn)
        return
    timing = await _timing(turn, team)
    errors = _apply_switch(timing, words) + _apply_timing(timing, changes)
    channel = _channel_change(turn, changes.get("channel"), errors)
    if errors:
        turn.say(
            "I couldn't change the icebreaker settings:\n"
            + "\n".join(f"- {e}" for e in errors)
            + "\n\nNothing changed."
        )
        return
    await turn.repos.schedules.upsert(team.id, JOB, **vars(timing), now=turn.now)
    if channel is not None:
        settings = await turn.repos.icebreakers.settings_to_change(team.id, turn.now)
        settings.channel_id, settings.channel_name = channel
    await _show_settings(turn, "Saved. ")


def _apply_switch(timing: Timing, words: list[str]) -> list[str]:
    errors = []
    for word in words:
        if word in ("on", "off"):
            timing.enabled = word == "on"
        else:
            errors.append(f"I don't know '{word}'. Use `on`, `off` or options like `time=09:30`.")
    return errors


def _apply_timing(timing: Timing, changes: dict[str, str]) -> list[str]:
    errors = []
    if "day" in changes:
        day = _weekday(changes["day"])
        if day is None:
            errors.append(f"**day**: '{changes['day']}' is not a weekday; use e.g. `day=monday`.")
        else:
            timing.weekday = day
    if "time" in changes:
        timing.local_time = _hhmm(changes["time"])
    if "timezone" in changes:
        timing.timezone = changes["timezone"].strip()
    if "cadence" in changes:
        timing.cadence = changes["cadence"].strip().lower()
    try:
        validate(timing.cadence, timing.weekday, timing.local_time, timing.timezone)
    except ScheduleError as exc:
        name = {"local_time": "time"}.get(exc.field, exc.field)
        errors.append(f"**{name}**: {str(exc).split(': ', 1)[1]}")
    return errors


def _channel_change(
    turn: Turn, wanted: str | None, errors: list[str]
) -> tuple[str | None, str | None] | None:
    """(channel id, name) to store, (None, None) for General, None for no change."""
    if wanted is None:
        return None
    inbound, team = turn.inbound, turn.team
    assert team is not None
    if wanted.lower() in ("general", "default"):
        return None, None
    if wanted.lower() != "here":
        errors.append("**channel**: use `channel=here` (in that channel) or `channel=general`.")
        return None
    if inbound.is_personal or not inbound.channel_id:
        errors.append(
            "**channel**: to choose a channel, @mention me there with "
            "`/icebreaker settings channel=here`."
        )
        return None
    if inbound.channel_id == team.team_id:  # General's id is the team's
        return None, None
    return inbound.channel_id, inbound.channel_name


async def _timing(turn: Turn, team: Team) -> Timing:
    row = await turn.repos.schedules.get(team.id, JOB)
    if row is not None:
        return Timing(row.cadence, row.weekday, row.local_time, row.timezone, row.enabled)
    zone = turn.user.timezone_hint or "UTC"
    try:
        validate(DEFAULT_CADENCE, DEFAULT_WEEKDAY, DEFAULT_TIME, zone)
    except ScheduleError:
        zone = "UTC"
    return Timing(DEFAULT_CADENCE, DEFAULT_WEEKDAY, DEFAULT_TIME, zone, False)


async def _show_settings(turn: Turn, prefix: str = "") -> None:
    team = turn.team
    assert team is not None
    row = await turn.repos.schedules.get(team.id, JOB)
    settings = await turn.repos.icebreakers.settings(team.id)
    timing = await _timing(turn, team)
    channel = (
        (settings.channel_name or "the chosen channel")
        if settings and settings.channel_id
        else "General"
    )
    lines = [
        f"{prefix}**Icebreakers in {team.name}: {'on' if timing.enabled else 'off'}**",
        f"- When: {_when(timing)}",
        f"- Channel: {channel}",
    ]
    if row is not None and row.enabled:
        lines.append(f"- Next: {_next(row.effective_from, timing, turn.now)}")
    if settings is not None and settings.skip_next:
        lines.append("- The next one will be skipped (`/icebreaker skip undo` to post it).")
    if not timing.enabled:
        lines.append("Turn them on with `/icebreaker settings on`.")
    lines.append(
        "Change with e.g. `/icebreaker settings day=monday time=09:30 "
        "timezone=Europe/Berlin cadence=weekly channel=here`."
    )
    turn.say("\n".join(lines))


def _when(timing: Timing) -> str:
    every = {"weekly": "Every", "biweekly": "Every other", "monthly": "The first"}[timing.cadence]
    month = " of the month" if timing.cadence == "monthly" else ""
    return f"{every} {WEEKDAYS[timing.weekday]}{month} at {timing.local_time} ({timing.timezone})"


def _next(effective_from: datetime, timing: Timing, now: datetime) -> str:
    spec = ScheduleSpec(
        timing.cadence, timing.weekday, timing.local_time, timing.timezone, effective_from
    )
    due = next_due(spec, now).due_at.astimezone(ZoneInfo(timing.timezone))
    return f"{due:%A %d %B %Y at %H:%M} ({timing.timezone})"


def _weekday(text: str) -> int | None:
    wanted = text.strip().lower()
    for n, name in enumerate(WEEKDAYS):
        if len(wanted) >= 3 and name.lower().startswith(wanted):
            return n
    return None


def _hhmm(text: str) -> str:
    """'9:30' -> '09:30'; anything else is left for validate() to name."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else text.strip()


# --- admin commands --------------------------------------------------------------------
async def now_command(turn: Turn) -> None:
    team = turn.team
    assert team is not None
    period = f"now:{turn.now:%Y-%m-%dT%H:%M:%SZ}"
    await turn.repos.icebreakers.lock_team(team.id)  # a double click waits, then sees the first
    if await turn.repos.icebreakers.post_in_period(team.id, period) is not None:
        turn.say("I've just posted one. Nothing more was posted.")
        return
    post = await post_question(turn.repos, team, period, "now", turn.now, turn.now)
    if post is None:
        turn.say(_nothing_enabled(team))
        return
    turn.result.queued += 1
    turn.say(f"Posting this one now in {await _channel_name(turn, team)}:\n> {post.question_text}")


async def skip_command(turn: Turn) -> None:
    team = turn.team
    assert team is not None
    row = await turn.repos.schedules.get(team.id, JOB)
    undo = turn.rest.strip().lower() in ("undo", "off", "cancel")
    if row is None or not row.enabled:
        turn.say(f"Icebreakers are off in {team.name}, so there is nothing to skip.")
        return
    settings = await turn.repos.icebreakers.settings_to_change(team.id, turn.now)
    timing = Timing(row.cadence, row.weekday, row.local_time, row.timezone, True)
    when = _next(row.effective_from, timing, turn.now)
    settings.skip_next = not undo
    if undo:
        turn.say(f"OK, the next icebreaker ({when}) will be posted after all.")
    else:
        turn.say(
            f"OK, I'll skip the next icebreaker ({when}). "
            "`/icebreaker skip undo` changes your mind."
        )


async def categories_command(turn: Turn) -> None:
    team = turn.team
    assert team is not None
    words = turn.rest.split()
    if not words:
        await _show_categories(turn, team)
        return
    switch = words[-1].lower()
    key = category_key(" ".join(words[:-1]))
    if switch not in ("on", "off") or key is None:
        names = ", ".join(f"`{k}`" for k in CATEGORIES)
        turn.say(
            f"Use `/icebreaker categories <category> on|off` with one of {names}. Nothing changed."
        )
        return
    settings = await turn.repos.icebreakers.settings_to_change(team.id, turn.now)
    off = [c for c in settings.categories_off if c != key] + ([key] if switch == "off" else [])
    settings.categories_off = sorted(off)
    await _show_categories(turn, team, f"{CATEGORIES[key]} is now {switch}. ")


async def _show_categories(turn: Turn, team: Team, prefix: str = "") -> None:
    settings = await turn.repos.icebreakers.settings(team.id)
    off = set(settings.categories_off) if settings else set()
    removed = set(settings.questions_off) if settings else set()
    lines = [f"{prefix}**Question categories in {team.name}**"]
    for key, label in CATEGORIES.items():
        count = sum(1 for q in QUESTIONS if q.category == key and q.id not in removed)
        lines.append(f"- {label} (`{key}`): {'off' if key in off else 'on'}, {count} questions")
    own = await turn.repos.icebreakers.questions(team.id, "active")
    lines.append(f"- Your team's own questions: always on, {len(own)}")
    lines.append("Switch with e.g. `/icebreaker categories fun off`.")
    turn.say("\n".join(lines))


async def add_command(turn: Turn) -> None:
    team = turn.team
    assert team is not None
    text = await _checked_question(turn, team, turn.rest)
    if text is None:
        return
    question = await turn.repos.icebreakers.add_question(
        IcebreakerQuestion(
            team_id=team.id,
            text=text,
            status="active",
            added_by_id=turn.user.id,
            created_at=turn.now,
            active_since=turn.now,
        )
    )
    turn.say(
        f"Added as **{_key(question)}**. Your team's own questions come first, so it will be "
        "among the next ones asked."
    )


async def suggest_command(turn: Turn) -> None:
    team = await _member_team(turn)
    if team is None:
        return
    if (
        await turn.repos.icebreakers.open_suggestions_by(team.id, turn.user.id)
        >= MAX_OPEN_SUGGESTIONS
    ):
        turn.say(
            f"You have {MAX_OPEN_SUGGESTIONS} suggestions waiting for the admins of "
            f"{team.name} already; let them catch up first. Nothing was added."
        )
        return
    text = await _checked_question(turn, team, turn.rest, usage="suggest")
    if text is None:
        return
    question = await turn.repos.icebreakers.add_question(
        IcebreakerQuestion(
            team_id=team.id,
            text=text,
            status="suggested",
            suggested_by_id=turn.user.id,
            created_at=turn.now,
        )
    )
    turn.say(
        f"Thanks! I've passed your question ({_key(question)}) to the admins of {team.name}; "
        "it joins the rotation once one of them approves it."
    )


async def approve_command(turn: Turn) -> None:
    team = turn.team
    assert team is not None
    question = await _own_question(turn, team, turn.rest)
    if question is None:
        return
    if question.status != "suggested":
        turn.say(f"{_key(question)} is not a suggestion waiting for approval. Nothing changed.")
        return
    similar = await _similar(turn, team, question.text, exclude=question.id, bank=False)
    if similar is not None:
        turn.say(f"{_key(question)} is very close to {similar}. Nothing changed.")
        return
    question.status, question.active_since = "active", turn.now
    question.added_by_id = turn.user.id
    turn.result.queued += await _thank_suggester(turn, team, question)
    turn.say(f"Approved {_key(question)}: it will be among the next questions asked.")


async def remove_command(turn: Turn) -> None:
    team = turn.team
    assert team is not None
    wanted = turn.rest.strip().lower()
    if wanted in BY_ID:
        settings = await turn.repos.icebreakers.settings_to_change(team.id, turn.now)
        settings.questions_off = sorted(set(settings.questions_off) | {wanted})
        turn.say(f"Removed the built-in question {wanted} from {team.name}'s rotation.")
        return
    question = await _own_question(turn, team, wanted)
    if question is None:
        return
    if question.status in ("removed", "rejected"):
        turn.say(f"{_key(question)} was removed already. Nothing changed.")
        return
    suggested = question.status == "suggested"
    question.status = "rejected" if suggested else "removed"
    turn.say(
        f"Declined the suggestion {_key(question)}."
        if suggested
        else f"Removed {_key(question)}; it won't be asked again."
    )


async def list_command(turn: Turn) -> None:
    team = turn.team
    assert team is not None
    if turn.rest.strip().lower() == "bank":
        await _list_bank(turn, team)
        return
    repos = turn.repos
    own = await repos.icebreakers.questions(team.id, "active")
    waiting = await repos.icebreakers.questions(team.id, "suggested")
    latest = await repos.icebreakers.latest_post(team.id)
    used = await repos.icebreakers.used_in_cycle(team.id, latest.cycle) if latest else set()
    candidates, _ = await _candidates(repos, team.id)
    lines = [f"**Icebreaker questions in {team.name}**"]
    lines.append("Your team's own (asked first):" if own else "Your team has no own questions yet.")
    lines += [
        f"- **{_key(q)}**: {q.text}{' (asked this round)' if _key(q) in used else ''}" for q in own
    ]
    if waiting:
        lines.append(
            "Suggestions waiting for you (`/icebreaker approve <id>`, `/icebreaker remove <id>`):"
        )
        suggesters = await repos.users.by_ids(
            {q.suggested_by_id for q in waiting if q.suggested_by_id}
        )
        lines += [
            f"- **{_key(q)}**: {q.text} (from {display(suggesters.get(q.suggested_by_id or 0))})"
            for q in waiting
        ]
    fresh = sum(1 for c in candidates if c.key not in used)
    lines.append(
        f"In rotation: {len(candidates)} questions; {fresh} not asked yet this round. "
        "`/icebreaker list bank` shows the built-in ones with their ids."
    )
    turn.say("\n".join(lines))


async def _list_bank(turn: Turn, team: Team) -> None:
    settings = await turn.repos.icebreakers.settings(team.id)
    off = set(settings.categories_off) | set(settings.questions_off) if settings else set()
    lines = [f"**Built-in icebreaker questions** ({len(QUESTIONS)})"]
    for key, label in CATEGORIES.items():
        lines.append(f"**{label}**{' (off)' if key in off else ''}")
        lines += [
            f"- {q.id}: {q.text}{' (removed)' if q.id in off else ''}"
            for q in QUESTIONS
            if q.category == key
        ]
    turn.say("\n".join(lines))


# --- helpers ---------------------------------------------------------------------------
def _key(question: IcebreakerQuestion) -> str:
    return f"c{question.id}"


def _whole(raw: Any) -> int | None:
    return card_id(raw)


def _flag(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return None


async def _checked_question(
    turn: Turn, team: Team, raw: str, usage: str = "/icebreaker add"
) -> str | None:
    text = " ".join(raw.split())
    if len(text) < MIN_QUESTION:
        turn.say(
            f"Please write the question after the command, e.g. `{usage} What made you smile "
            f"this week?` (at least {MIN_QUESTION} characters). Nothing was added."
        )
        return None
    if len(text) > MAX_QUESTION:
        turn.say(
            f"That question is {len(text):,} characters long; keep it under {MAX_QUESTION} "
            "so it reads well on a card. Nothing was added."
        )
        return None
    similar = await _similar(turn, team, text)
    if similar is not None:
        turn.say(f"That's very close to {similar}. Nothing was added.")
        return None
    return text


async def _similar(
    turn: Turn, team: Team, text: str, exclude: int | None = None, bank: bool = True
) -> str | None:
    """The first existing question `text` nearly duplicates, described for a message."""
    own = await turn.repos.icebreakers.questions(team.id, "active", "suggested")
    for q in own:
        if q.id != exclude and _alike(text, q.text):
            return f"**{_key(q)}** ({q.status}): {q.text}"
    for b in QUESTIONS if bank else ():
        if _alike(text, b.text):
            return f"the built-in **{b.id}**: {b.text}"
    return None


async def _own_question(turn: Turn, team: Team, raw: str) -> IcebreakerQuestion | None:
    number = _whole(raw.strip().lower().lstrip("#c"))
    question = await turn.repos.icebreakers.question(team.id, number) if number else None
    if question is None:
        turn.say(
            f"I don't know a question '{raw.strip()}' in {team.name}. "
            "`/icebreaker list` shows the ids. Nothing changed."
        )
    return question


async def _thank_suggester(turn: Turn, team: Team, question: IcebreakerQuestion) -> int:
    user = (
        await turn.repos.users.get(question.suggested_by_id) if question.suggested_by_id else None
    )
    if user is None or user.opted_out or not user.teams_id:
        return 0
    text = f'Your icebreaker question for {team.name} was approved: "{question.text}"'
    queued = await turn.repos.outbox.enqueue(
        f"icebreaker:approved:q{question.id}",
        {"to": "user", "text": text},
        turn.now,
        user_id=user.id,
        team_id=team.id,
    )
    return int(queued)


async def _member_team(turn: Turn) -> Team | None:
    """The team a member's suggestion is for: this channel's, or their only/named team."""
    repos, inbound = turn.repos, turn.inbound
    if inbound.team_id:
        team = await repos.teams.by_team_id(inbound.team_id)
        if team is None or not team.active:
            turn.say("I don't have this team registered. Nothing was added.")
            return None
        return team
    teams = [t for m, t in await repos.members.of_user(turn.user.id) if m.active and t.active]
    wanted = turn.args.get("team", "").lower()
    if wanted:
        teams = [t for t in teams if (t.name or "").lower() == wanted]
    if len(teams) == 1:
        return teams[0]
    if not teams:
        turn.say("I can't find a team of yours with me in it. Nothing was added.")
    else:
        names = ", ".join(f"'{t.name}'" for t in teams)
        turn.say(f'Which team is it for? Add `team="Team name"` ({names}). Nothing was added.')
    return None


async def _channel_name(turn: Turn, team: Team) -> str:
    settings = await turn.repos.icebreakers.settings(team.id)
    if settings is None or not settings.channel_id:
        return "General"
    return settings.channel_name or "the chosen channel"


def _nothing_enabled(team: Team) -> str:
    return (
        f"Every question category is off in {team.name} and it has no own questions, so "
        "there is nothing to ask. Turn one on with `/icebreaker categories fun on`."
    )
