"""The bot's turn: Activity -> Inbound -> dialogs (one unit of work) -> replies.

The unit of work has a deadline: past it the transaction is rolled back and the person
told so, once. Only after the commit is anyone told anything; a reply that cannot be
sent at once goes out through the outbox, like a proactive message, since the change it
tells about is already saved.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot.activity import (
    addressed,
    answered_id,
    changed_members,
    invoke_reply,
    is_card_action,
    kind_of,
    reply_json,
    team_of,
    tenant_of,
    to_inbound,
)
from bot.conflicts import in_unit
from bot.delivery import DeliveryWorker
from bot.roster import with_details
from dialogs.core import dispatch, i18n, once, outbox
from dialogs.core.errors import report
from dialogs.core.i18n import N_
from dialogs.core.router import Env
from dialogs.core.types import Inbound, Kind, Person, Reply, TurnResult
from storage import Database, Repos, is_timeout, on_loop

log = logging.getLogger("mentorbot.turn")
_ = i18n.catalog(__package__)
ROUTE_KEY = "mentorbot.route"
COMMITTED_KEY = "mentorbot.committed"
SLOW_AFTER = N_(
    "Outlook didn't answer in time, so I couldn't finish that. Please press the button "
    "again in a minute; nothing will be done twice."
)
TOO_SLOW = N_(
    "Sorry, that took me too long (my database is slow right now), so I stopped and "
    "nothing was changed. Please try again in a minute."
)
FAILED = N_(
    "Sorry, something went wrong on my side and nothing was changed. Please try again in a moment."
)


class MentorBot:
    def __init__(
        self,
        db: Database,
        env: Env,
        delivery: DeliveryWorker,
        allowed_tenants: frozenset[str],
        deadline_seconds: float = 10.0,
        on_install: Callable[[], None] | None = None,
    ) -> None:
        self.db, self.env, self.delivery = db, env, delivery
        self.allowed_tenants = frozenset(t.lower() for t in allowed_tenants)
        self.deadline_seconds = deadline_seconds
        # Wakes the roster importer: an install's roster is read in the background.
        self.on_install = on_install

    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        kind = kind_of(activity)
        if kind is None:
            chatter = activity.type == ActivityTypes.message and not addressed(activity)
            context.turn_state[ROUTE_KEY] = dispatch.UNADDRESSED if chatter else "ignored"
            _acknowledge_invoke(context)
            return
        if not self._tenant_allowed(activity):
            context.turn_state[ROUTE_KEY] = "tenant-not-allowed"
            log.warning(
                "ignored an activity from a tenant not in ALLOWED_TENANTS: %s", tenant_of(activity)
            )
            _acknowledge_invoke(context)
            return
        members = await self._members(context, kind)
        inbound = to_inbound(activity, kind, members)
        result = await self._run(context, inbound)
        if result is None:
            return
        await self._after_commit(context, inbound, result)
        # Committed: only now is anyone told.
        context.turn_state[COMMITTED_KEY] = True
        context.turn_state[ROUTE_KEY] = result.route
        await self._answer(context, inbound, result)
        if result.queued:
            self.delivery.wake()
        if kind == "team_install" and self.on_install is not None:
            self.on_install()

    async def _run(self, context: TurnContext, inbound: Inbound) -> TurnResult | None:
        """The dialogs in one unit of work, within the deadline; None when it ran out
        (rolled back, and the person told)."""
        try:
            # A turn's statements are small: on SQLite they run on the loop's thread.
            with on_loop():
                async with asyncio.timeout(self.deadline_seconds):
                    return await self._unit(context, inbound)
        except Exception as exc:
            if not is_timeout(exc):
                raise
        context.turn_state[ROUTE_KEY] = "deadline"
        log.warning("turn ran past its deadline of %.1f s; rolled back", self.deadline_seconds)
        await _say_once(context, TOO_SLOW)
        return None

    async def _unit(self, context: TurnContext, inbound: Inbound) -> TurnResult:
        try:
            # A collision with another replica's turn runs it again (bot/conflicts).
            return await in_unit(
                self.db,
                f"turn:{context.activity.id or '-'}",
                lambda repos: dispatch.handle(inbound, repos, self.env),
            )
        except once.Repeated as repeat:  # rolled back: answer as the first time
            async with self.db.unit() as repos:
                return await once.answer(repos, repeat.key)

    async def _after_commit(
        self, context: TurnContext, inbound: Inbound, result: TurnResult
    ) -> None:
        """A turn's steps that wait on Graph (`Turn.after_commit`): each call runs with no
        transaction open, its outcome is recorded in a new unit, and what that says is
        added to the replies. Past the deadline the person is told to try again (what
        was committed stays, and the next press resumes it)."""
        origin = f"turn:{context.activity.id or '-'}:after"
        try:
            async with asyncio.timeout(self.deadline_seconds):
                while result.after and result.sender_id is not None:
                    step, sender = result.after.pop(0), result.sender_id
                    outcome = await step.call()
                    work = functools.partial(
                        self._follow_up, inbound, step=step, outcome=outcome, user_id=sender
                    )
                    follow = await in_unit(self.db, origin, work)
                    result.replies += follow.replies
                    result.queued += follow.queued
                    result.after += follow.after
        except Exception as exc:
            report("turn after commit", exc, route=result.route)  # i18n: not said
            result.after.clear()
            result.say(_.in_language(result.language, SLOW_AFTER))

    async def _follow_up(
        self, inbound: Inbound, repos: Repos, *, step: Any, outcome: Any, user_id: int
    ) -> TurnResult:
        return await dispatch.follow_up(inbound, repos, self.env, user_id, step, outcome)

    async def _answer(self, context: TurnContext, inbound: Inbound, result: TurnResult) -> None:
        if is_card_action(context.activity):  # the HTTP answer: only the clicker sees it
            await context.send_activity(invoke_reply(result.replies))
            return
        for sent, reply in enumerate(result.replies):
            try:
                await self._reply(context, reply)
            except Exception as exc:  # 502, timeout, token: the change is saved already
                log.warning(
                    "could not send a reply at once (%s); it goes out through the outbox",
                    exc.__class__.__name__,
                )
                await self._queue_replies(inbound, result, result.replies[sent:])
                return

    async def _reply(self, context: TurnContext, reply: Reply) -> None:
        """One POST on the shared session, signed with the turn's connector client's
        credentials, as TurnContext.send_activity would address it (minus msrest)."""
        incoming = context.activity
        client = context.turn_state[context.adapter.BOT_CONNECTOR_CLIENT_KEY]
        await self.delivery.rest.reply(
            incoming.service_url,
            incoming.conversation.id,
            answered_id(incoming),
            reply_json(incoming, reply),
            client.config.credentials,
        )

    async def _queue_replies(
        self, inbound: Inbound, result: TurnResult, replies: list[Reply]
    ) -> None:
        if result.sender_id is None:
            return
        turn_key = _turn_key(inbound)
        try:
            async with self.db.unit() as repos:
                team = await repos.teams.by_team_id(inbound.team_id) if inbound.team_id else None
                for n, reply in enumerate(replies):
                    key = outbox.key("reply", turn_key, n=n)
                    if team is not None and inbound.conversation_type == "channel":
                        message = outbox.to_team(
                            key,
                            team.id,
                            text=reply.text,
                            card=reply.card,
                            channel=inbound.conversation_id,
                        )
                    else:
                        message = outbox.to_user(
                            key, result.sender_id, text=reply.text, card=reply.card
                        )
                    await outbox.queue(repos, message, self.env.clock())
        except Exception as exc:
            report("reply", exc, route=result.route)
            return
        self.delivery.wake()

    def _tenant_allowed(self, activity: Activity) -> bool:
        if not self.allowed_tenants:
            return True
        return (tenant_of(activity) or "").lower() in self.allowed_tenants

    async def _members(self, context: TurnContext, kind: Kind) -> tuple[Person, ...]:
        team_id = str(team_of(context.activity).get("id") or "")
        if kind == "members_added":
            return await with_details(context, team_id, changed_members(context.activity, kind))
        if kind == "members_removed":
            return changed_members(context.activity, kind)
        return ()


def _turn_key(inbound: Inbound) -> str:
    basis = f"{inbound.conversation_id}\x1f{inbound.activity_id or uuid.uuid4().hex}"
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def _acknowledge_invoke(context: TurnContext) -> None:
    """An invoke without an answer yet gets a proper 200 with an empty body, never the
    SDK's 501: Teams shows an error for that (and the bot handles no other invoke)."""
    key = TurnContext._INVOKE_RESPONSE_KEY
    if context.activity.type == ActivityTypes.invoke and key not in context.turn_state:
        response = InvokeResponse(status=200, body={})
        context.turn_state[key] = Activity(type=ActivityTypes.invoke_response, value=response)


async def _say_once(context: TurnContext, message: str) -> None:
    """`message` (English, from the catalog) in the language of the sender's Teams."""
    text = _.in_language(i18n.pick(getattr(context.activity, "locale", None)), message)
    try:
        if is_card_action(context.activity):
            await context.send_activity(invoke_reply([Reply(text=text)]))
        elif context.activity.type == ActivityTypes.message:
            await context.send_activity(text)
    except Exception as exc:
        log.warning("could not tell the user about the failure: %s", exc.__class__.__name__)


async def on_turn_error(context: TurnContext, error: Exception) -> None:
    """Any fault in a turn: log it with context and tell the user, never crash. After a
    commit nobody is told "nothing was changed": that would not be true."""
    activity = context.activity
    report("turn", error, type=activity.type, route=context.turn_state.get(ROUTE_KEY, "-"))
    context.turn_state[ROUTE_KEY] = "error"
    if context.turn_state.get(COMMITTED_KEY):
        _acknowledge_invoke(context)
        return
    await _say_once(context, FAILED)
    _acknowledge_invoke(context)
