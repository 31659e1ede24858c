"""Weekly icebreakers in a team channel: the post (the scheduled job, or `/icebreaker
now`), the question card with its live count, and the digest of shared answers.

- The job posts the next question when the team's `schedules` row says so, and the
  previous post's digest (answers their authors chose to share) in that post's thread.
- The card shows how many answered. Updating it goes through the outbox and is spaced by
  the delivery worker (`after` + `gap_seconds`): at most one update a minute per post,
  each showing the count when it leaves.

Everything posted in the channel (the card, its updates, the digest) is in the team's
default language (`/team language`), whoever's turn caused it. A built-in question is
stored by its bank id with its English text (the id is what rotation and history use)
and said through the catalog; a team's own question is said exactly as the admin wrote
it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from dialogs.core import i18n, outbox
from dialogs.core.cards import Cards
from dialogs.core.people import display
from dialogs.icebreakers.bank import BY_ID, CATEGORIES, CUSTOM, QUESTIONS
from dialogs.icebreakers.rotation import Candidate, pick
from scheduler.types import JobContext
from storage.models import IcebreakerAnswer, IcebreakerPost, IcebreakerQuestion, Team
from storage.repos import Repos

_ = i18n.catalog(__package__)
log = logging.getLogger("mentorbot.icebreakers")

CARDS = Cards("dialogs.icebreakers")
JOB = "icebreaker"
MAX_ANSWER = 1000  # characters; the digest quotes at most DIGEST_QUOTE of each
UPDATE_GAP_SECONDS = 60  # one card update a minute per post at most
DIGEST_ANSWERS, DIGEST_QUOTE = 20, 280


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
            outbox_key=outbox.key("icebreaker", team=team.id, at=period),
            channel_id=settings.channel_id if settings else None,
            due_at=due_at,
            posted_at=now,
            update_seq=0,
        )
    )
    with i18n.speaking(team.language):
        card = outbox.to_team(
            post.outbox_key, team.id, card=question_card(post, 0), channel=post.channel_id
        )
    await outbox.queue(repos, card, now)
    if previous is not None:
        await _queue_digest(repos, previous, now, team)
    return post


async def _choose(
    repos: Repos, team_id: int, previous: IcebreakerPost | None
) -> tuple[Candidate, str, int] | None:
    candidates, texts = await in_rotation(repos, team_id)
    cycle = previous.cycle if previous else 0
    used = await repos.icebreakers.used_in_cycle(team_id, cycle)
    last = Candidate(previous.question_key, previous.category) if previous else None
    chosen = pick(candidates, used, cycle, seed=team_id, last=last)
    if chosen is None:
        return None
    return chosen.candidate, texts[chosen.candidate.key], chosen.cycle


async def in_rotation(repos: Repos, team_id: int) -> tuple[list[Candidate], dict[str, str]]:
    """Every question in this team's rotation (its own first) and their texts."""
    settings = await repos.icebreakers.settings(team_id)
    off = set(settings.categories_off) | set(settings.questions_off) if settings else set()
    own = await repos.icebreakers.questions(team_id, "active")
    own.sort(key=lambda q: (q.active_since or q.created_at, q.id))
    candidates = [Candidate(question_key(q), CUSTOM, True, n) for n, q in enumerate(own)]
    candidates += [
        Candidate(q.id, q.category) for q in QUESTIONS if q.category not in off and q.id not in off
    ]
    texts = {question_key(q): q.text for q in own} | {q.id: q.text for q in QUESTIONS}
    return candidates, texts


def question_text(post: IcebreakerPost) -> str:
    """The post's question in the language in force: a built-in one through the catalog
    (by its id, so a question keeps its identity in every language), a team's own one as
    written (never looked up)."""
    if post.category == CUSTOM:
        return post.question_text
    bank = BY_ID.get(post.question_key)
    return _(bank.text if bank is not None else post.question_text)


def question_card(post: IcebreakerPost, count: int) -> dict[str, Any]:
    """The card in the language in force (the caller says the team's)."""
    return CARDS.render(
        "icebreaker_question",
        question=question_text(post),
        category=_category_label(post.category),
        count_text=_count_text(count),
        max_answer=MAX_ANSWER,
        post_id=post.id,
    )


def _count_text(count: int) -> str:
    if count == 0:
        return _("No answers yet. Be the first!")
    return _.ngettext("{n} answer so far", "{n} answers so far", count)


def _category_label(category: str) -> str:
    return _(CATEGORIES[category]) if category in CATEGORIES else _("From your team")


async def _queue_digest(repos: Repos, post: IcebreakerPost, now: datetime, team: Team) -> None:
    """The shared answers to `post`, as a reply in its thread (once; none if nobody shared)."""
    if post.digested_at is not None:
        return
    post.digested_at = now
    shared = await repos.icebreakers.shared_answers(post.id)
    if not shared:
        return
    total = await repos.icebreakers.count_answers(post.id)
    with i18n.speaking(team.language):
        text = digest_text(post, shared, total)
    digest = outbox.in_thread(
        outbox.key("icebreaker:digest", post=post.id), post.team_id, post.outbox_key, text
    )
    await outbox.queue(repos, digest, now)


def digest_text(
    post: IcebreakerPost, shared: list[tuple[IcebreakerAnswer, Any]], total: int
) -> str:
    """The digest in the language in force: every answer to the post counts, whatever
    language its author wrote in or was shown the question in."""
    lines = [_("**What you said** about: {question}", question=question_text(post))]
    for answer, user in shared[:DIGEST_ANSWERS]:
        quote = " ".join(answer.text.split())
        if len(quote) > DIGEST_QUOTE:
            quote = quote[: DIGEST_QUOTE - 1] + "…"
        lines.append(f"- **{display(user)}**: {quote}")
    if len(shared) > DIGEST_ANSWERS:
        more = len(shared) - DIGEST_ANSWERS
        lines.append(_("- … and {n} more", n=more))
    private = total - len(shared)
    if private:
        lines.append(
            _.ngettext(
                "_{n} more person answered privately._",
                "_{n} more people answered privately._",
                private,
            )
        )
    return "\n".join(lines)


async def queue_count_update(repos: Repos, post: IcebreakerPost, now: datetime) -> int:
    """Queue the card with its new count; returns the rows queued (0 or 1).

    While an update still waits in the outbox, it just gets the new count. Otherwise a
    new update is queued that the worker sends no sooner than UPDATE_GAP_SECONDS after
    the previous one was sent. The caller holds the post's row lock (`post(lock=True)`).
    The card is the channel's, so in the team's language, not the answerer's.
    """
    team = await repos.teams.get(post.team_id)
    count = await repos.icebreakers.count_answers(post.id)
    with i18n.speaking(team.language if team else None):
        card = question_card(post, count)
    if post.update_key is not None:
        waiting = _count_update(post, post.update_key, card, _update_key(post, post.update_seq - 1))
        if await outbox.replace_waiting(repos, waiting):
            return 0
    previous = post.update_key
    post.update_seq += 1
    post.update_key = _update_key(post, post.update_seq)
    assert post.update_key is not None
    update = _count_update(post, post.update_key, card, previous)
    return await outbox.queue(repos, update, now, not_before=await _spacing(repos, previous))


def _update_key(post: IcebreakerPost, seq: int) -> str | None:
    return outbox.key("icebreaker:count", post=post.id, at=seq) if seq > 0 else None


def _count_update(
    post: IcebreakerPost, key: str, card: dict[str, Any], after: str | None
) -> outbox.Message:
    gap = UPDATE_GAP_SECONDS if after is not None else None
    return outbox.card_update(
        key, post.outbox_key, card, team_id=post.team_id, after=after, gap_seconds=gap
    )


async def _spacing(repos: Repos, previous: str | None) -> datetime | None:
    """When the worker may send the next update, if the previous one was sent already.

    The worker's own sent_at plus the gap: both on its wall clock, never on ours."""
    if previous is None:
        return None
    row = (await repos.outbox.by_keys([previous])).get(previous)
    if row is None or row.status != "sent" or row.sent_at is None:
        return None  # the worker waits for it itself ("after")
    return row.sent_at + timedelta(seconds=UPDATE_GAP_SECONDS)


def question_key(question: IcebreakerQuestion) -> str:
    return f"c{question.id}"
