"""Answers to a team's icebreaker: from the card (Action.Execute) or as a reply in the
post's thread that @mentions the bot. One answer per person per post: answering again
replaces it. A member's answers are theirs to see and to delete (`my data`)."""

from __future__ import annotations

from typing import Any

from dialogs.core import forms, i18n, outbox
from dialogs.core.router import DataPart, Turn
from dialogs.core.types import Inbound
from dialogs.icebreakers.posts import MAX_ANSWER, question_text, queue_count_update
from storage.models import IcebreakerAnswer, IcebreakerPost
from storage.repos import Repos

_ = i18n.catalog(__package__)
ANSWER_ACTION = "icebreaker_answer"


async def answer_from_card(turn: Turn) -> None:
    """The card's Answer button. The card is not a trust boundary: check everything."""
    value = turn.inbound.value if isinstance(turn.inbound.value, dict) else {}
    post = await _post_of_card(turn, value.get("post"))
    if post is None:
        turn.say(
            _(
                "Sorry, I can't tell which question this card belongs to; it may be from an "
                "older version of me or another team. Nothing was saved."
            )
        )
        return
    share = forms.flag(value.get("share", "true"))
    text, problem = clean_answer(value.get("answer"))
    if problem is None and share is None:
        problem = _("The share setting on that card was not on or off. Nothing was saved.")
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
    if text.startswith("/") or (inbound.addressed and text.lower() == "help"):
        return False
    found = await _thread_post(inbound, turn.repos)
    if found is None:
        return False
    turn.result.route = "icebreaker.thread_answer"
    answer, problem = clean_answer(text, found)
    if problem is not None:  # told privately: the thread is everyone's
        await _tell_privately(
            turn,
            found.team_id,
            outbox.key("icethreadproblem", post=found.id, activity=inbound.activity_id or "-"),
            problem,
        )
        return True
    post = await turn.repos.icebreakers.post(found.id, lock=True)
    assert post is not None
    await _save_answer(turn, post, answer, True, "thread")
    return True


async def is_thread_answer(inbound: Inbound, repos: Repos) -> bool:
    """A reply in an icebreaker post's thread without an @mention is still an answer
    (a read only: every other un-mentioned channel message is dropped unseen)."""
    if not inbound.thread_root_id or inbound.text.strip().startswith("/"):
        return False
    return await _thread_post(inbound, repos) is not None


async def _thread_post(inbound: Inbound, repos: Repos) -> IcebreakerPost | None:
    if inbound.is_personal or not inbound.thread_root_id or not inbound.channel_id:
        return None
    team = await repos.teams.by_team_id(inbound.team_id or "")
    if team is None:
        return None
    return await repos.icebreakers.post_of_message(
        team.id, inbound.channel_id, inbound.thread_root_id
    )


async def _tell_privately(turn: Turn, team_id: int, key: str, text: str) -> None:
    message = outbox.to_user(key, turn.user.id, text=text, team_id=team_id)
    turn.result.queued += await outbox.queue(turn.repos, message, turn.now)


def clean_answer(raw: Any, thread: IcebreakerPost | None = None) -> tuple[str, str | None]:
    """The answer text, or a message saying what is wrong with it: for the card, or for
    a reply in `thread` (the post replied under, named since that message goes 1:1)."""
    if raw is not None and not isinstance(raw, str):
        if thread is not None:
            return "", _(
                "Your answer must be text. Nothing was saved for “{question}”.",
                question=question_text(thread),
            )
        return "", _("Your answer must be text. Nothing was saved.")
    text = (raw or "").strip()
    if not text:
        if thread is not None:
            return "", _(
                "Your answer is empty: reply again. Nothing was saved for “{question}”.",
                question=question_text(thread),
            )
        return "", _(
            "Your answer is empty: write something in the box and press Answer. Nothing was saved."
        )
    if len(text) > MAX_ANSWER:
        length, limit = i18n.number(len(text)), i18n.number(MAX_ANSWER)
        if thread is not None:
            return "", _(
                "Your answer is {length} characters long; answers can be at most {limit}. "
                "Please shorten it and reply again. Nothing was saved for “{question}”.",
                length=length,
                limit=limit,
                question=question_text(thread),
            )
        return "", _(
            "Your answer is {length} characters long; answers can be at most {limit}. "
            "Please shorten it and press Answer again. Nothing was saved.",
            length=length,
            limit=limit,
        )
    return text, None


async def _post_of_card(turn: Turn, raw_id: Any) -> IcebreakerPost | None:
    post_id = forms.row_id(raw_id)
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
        await _confirm(turn, post, source, _("Updated your answer.") + " " + _share_note(share))
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
    saved = _("Thanks, your answer is saved!")
    await _confirm(turn, post, source, saved + " " + _share_note(share))


async def _confirm(turn: Turn, post: IcebreakerPost, source: str, text: str) -> None:
    """From the card, the clicker alone sees the answer; from the thread, everyone would:
    that one goes 1:1 instead, once per post (a later reply replaces the answer quietly)."""
    if source != "thread":
        turn.say(text)
        return
    await _tell_privately(
        turn,
        post.team_id,
        outbox.key("icethread", post=post.id, user=turn.user.id),
        _(
            "Thanks, I saved your reply to this week's icebreaker, “{question}”, as your "
            "answer. {note} Replying again in the thread replaces it.",
            question=question_text(post),
            note=_share_note(True),
        ),
    )


def _share_note(share: bool) -> str:
    if share:
        return _("It will be in the digest when the next question goes out.")
    return _("It stays out of the digest.")


async def export(turn: Turn) -> dict[str, Any]:
    repos, user_id = turn.repos, turn.user.id
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


DATA = DataPart(
    "icebreakers",
    export,
    erase_user,
    lambda e: [(_("Icebreaker answers"), str(len(e["answers"])))],
    words=lambda e: (
        [a["answer"] for a in e["answers"]]
        + [q["question"] for q in e["suggested_questions"] if q["status"] != "active"]
    ),
)
