"""One entry point for every turn: Inbound + repositories -> TurnResult.

What runs comes from the route table: a team event's handler, a card action, a message
interceptor (an icebreaker thread answer), a command, or the features' welcome. Nothing
here knows a feature. Before any of it: input nobody types is refused (changing
nothing), a repeated activity gets its first answer (dialogs/core/once.py), and in a
team's channel only the team's members and admins are heard (dialogs/core/members.py).
"""

from __future__ import annotations

from typing import Any

from dialogs.core import forms, i18n, members, once
from dialogs.core.admins import authorize
from dialogs.core.people import language_of_user, touch_sender
from dialogs.core.router import AfterCommit, Command, Env, Turn, arg_help, scope_of
from dialogs.core.types import Inbound, TurnResult
from storage.models import User
from storage.repos import Repos

_ = i18n.catalog(__package__)

# The route of a channel message not for the bot: nothing stored, logged or answered.
UNADDRESSED = "unaddressed"


async def handle(inbound: Inbound, repos: Repos, env: Env) -> TurnResult:
    # Until the sender is known, the language of their Teams client (refusals, events).
    with i18n.speaking(inbound.locale):
        return await _handle(inbound, repos, env)


async def _handle(inbound: Inbound, repos: Repos, env: Env) -> TurnResult:
    if not inbound.addressed and not await _claimed(inbound, repos, env):
        return TurnResult(route=UNADDRESSED)
    event = env.table.team_events.get(inbound.kind)
    refusal = None if event is not None else refused(inbound)
    if refusal is not None:
        return TurnResult(route="refused").say(refusal)
    result = (
        await event(inbound, repos, env) if event is not None else await _turn(inbound, repos, env)
    )
    key = once.key_of(inbound)
    if key is not None and result.route != UNADDRESSED:
        await once.remember(repos, key, result, env.clock())  # raises once.Repeated
    return result


async def follow_up(
    inbound: Inbound, repos: Repos, env: Env, user_id: int, step: AfterCommit, outcome: Any
) -> TurnResult:
    """The second half of a turn (`Turn.after_commit`): the outcome of work done outside
    the transaction, recorded in this new unit of work, as the same person's turn."""
    user = await repos.users.get(user_id)
    result = TurnResult(route="after", sender_id=user_id)
    if user is None:
        return result
    turn = Turn(inbound, repos, env, user, result=result)
    with i18n.speaking(await _language(repos, user, inbound)):
        await step.then(turn, outcome)
    return turn.result


async def _claimed(inbound: Inbound, repos: Repos, env: Env) -> bool:
    """A feature wants this un-mentioned channel message (an icebreaker thread reply)."""
    for listener in env.table.listeners:
        if await listener(inbound, repos):
            return True
    return False


def refused(inbound: Inbound) -> str | None:
    """What a person sent that is not handled at all, worded for them; None if fine."""
    if len(inbound.text) > forms.MAX_MESSAGE_CHARS:
        return _(
            "That message is {length} characters long; I read at most {limit}. Please send "
            "something shorter. Nothing was changed.",
            length=i18n.number(len(inbound.text)),
            limit=i18n.number(forms.MAX_MESSAGE_CHARS),
        )
    if forms.has_control_characters(inbound.text) or forms.control_characters_in(inbound.value):
        return _(
            "Your message contains control characters (such as a NUL byte) that I can't "
            "store. Please send it without them. Nothing was changed."
        )
    return None


async def _turn(inbound: Inbound, repos: Repos, env: Env) -> TurnResult:
    outsider = await _outsider_in_channel(inbound, repos, env)
    if outsider is not None:
        return outsider
    user = await touch_sender(repos, inbound, env.clock())
    turn = Turn(inbound, repos, env, user)
    with i18n.speaking(await _language(repos, user, inbound)) as language:
        turn.result.language = language
        if inbound.kind == "personal_install":
            await _welcome(turn)
        elif inbound.kind == "group_install":
            await _chatter(turn)
        elif inbound.kind == "submit":
            await _on_submit(turn)
        else:
            await _on_message(turn)
    turn.result.sender_id = None if user.erased_at is not None else user.id
    return turn.result


async def _language(repos: Repos, user: User, inbound: Inbound) -> str:
    """The language of this turn's answers: the sender's choice, else the locale of the
    Teams client they wrote from; the directory and the team's default only when neither
    names a language Mentorbot writes (so most turns read nothing more)."""
    quick = i18n.supported(user.language) or i18n.supported(inbound.locale)
    if quick is not None:
        return quick
    team = await repos.teams.by_team_id(inbound.team_id) if inbound.team_id else None
    return await language_of_user(repos, user, team)


async def _outsider_in_channel(inbound: Inbound, repos: Repos, env: Env) -> TurnResult | None:
    """In a team the bot knows, anything said or pressed needs the team's membership (or
    admin rights there); an outsider is answered before anything is stored."""
    if not inbound.team_id:
        return None
    team, sender, membership = await repos.members.sender_in(inbound.team_id, inbound.sender.id)
    if team is None or not team.active:
        return None  # not registered (or removed the app): the handlers say so
    if membership is not None and membership.active:
        return None
    if not inbound.addressed:  # not said to the bot: no refusal either
        return TurnResult(route=UNADDRESSED)
    if {inbound.sender.id, inbound.sender.aad_object_id} & env.admins:
        return None  # a global admin, maybe before their first turn
    if await members.may_act_for(repos, env, team, sender):
        return None
    return TurnResult(route="not-a-member").say(members.refusal(team))


async def _welcome(turn: Turn) -> None:
    welcome = turn.env.table.welcome
    turn.result.route = "onboarding.start"
    if welcome is not None:
        await welcome(turn)


async def _on_submit(turn: Turn) -> None:
    value = turn.inbound.value
    name = value.get("action") if isinstance(value, dict) else None
    action = turn.env.table.actions.get(name) if isinstance(name, str) else None
    turn.result.route = f"action:{name}" if action else "action:unknown"
    if action is None:
        turn.say(
            _(
                "Sorry, I didn't understand that card. It may be from an older version; "
                "type `help` to start again. Nothing was changed."
            )
        )
        return
    if scope_of(turn.inbound) not in action.scopes:
        turn.say(
            _("Please use that card in our 1:1 chat.")
            if "personal" in action.scopes
            else _("That card only works where I posted it. Nothing was changed.")
        )
        return
    await action.handler(turn)


async def _on_message(turn: Turn) -> None:
    table, inbound = turn.env.table, turn.inbound
    for intercept in table.interceptors:
        if await intercept(turn):
            return
    if not inbound.addressed:  # claimed by a listener, taken by no interceptor
        turn.result.route = UNADDRESSED
        return
    parsed = table.parse(inbound.text)
    if parsed is None:
        await _unknown(turn)
        return
    command = parsed.command
    turn.command, turn.args, turn.rest = command, parsed.args, parsed.rest
    turn.result.route = command.name
    if scope_of(inbound) not in command.scopes:
        turn.say(_elsewhere(command, scope_of(inbound)))
        return
    unknown = sorted(set(parsed.args) - {a.name for a in command.args})
    if unknown:
        turn.say(_unknown_options(command, unknown))
        return
    await run_command(turn)


async def run_command(turn: Turn) -> None:
    """A parsed command (turn.command, .args, .rest): the admin check, then its handler.
    Also how the tab's buttons run the chat command an insight names (the same checks)."""
    command = turn.command
    assert command is not None
    if command.who == "admin" and not await authorize(turn, command):
        return
    await command.handler(turn)


def _unknown_options(command: Command, unknown: list[str]) -> str:
    named = ", ".join(f"`{k}=`" for k in unknown)
    takes = ", ".join(f"`{a.name}=` ({arg_help(command, a)})" for a in command.args)
    said = command.said_in(i18n.current())
    if takes:
        return _(
            "`{command}` doesn't know {named}. It takes {takes}. Nothing changed.",
            command=said,
            named=named,
            takes=takes,
        )
    return _(
        "`{command}` doesn't know {named}. It takes no options. Nothing changed.",
        command=said,
        named=named,
    )


def _elsewhere(command: Command, scope: str) -> str:
    """Where a command said in the wrong place works, in the words of that place."""
    said = command.said_in(i18n.current())
    if "team" in command.scopes and scope == "groupChat":
        return _(
            "`{command}` works in your team's channels (mention me there) or 1:1 with me, "
            "not in a group chat: a group chat belongs to no team. Here I can only answer "
            "`help`.",
            command=said,
        )
    return _("`{command}` is private; please send it to me in our 1:1 chat.", command=said)


async def _unknown(turn: Turn) -> None:
    turn.result.route = "unknown"
    text = turn.inbound.text.strip()
    suggestion = turn.env.table.suggest(text, i18n.current()) if text else None
    if await _greet_instead(turn, text, suggestion):
        await _welcome(turn)
        return
    if await _chatter(turn):
        return
    if suggestion:
        turn.say(
            _(
                "Sorry, I don't know that command. Did you mean `{suggestion}`? Type `help` "
                "to see what I can do.",
                suggestion=suggestion,
            )
        )
    else:
        turn.say(_("Sorry, I don't know that command. Type `help` to see what I can do."))


async def _chatter(turn: Turn) -> bool:
    chatter = turn.env.table.chatter
    return chatter is not None and await chatter(turn)


async def _greet_instead(turn: Turn, text: str, suggestion: str | None) -> bool:
    """A first message, or chatter from someone without a profile, starts onboarding."""
    if not turn.inbound.is_personal or text.startswith("/"):
        return False
    if turn.user.onboarding_sent_at is not None and suggestion is not None:
        return False
    return await turn.repos.profiles.get(turn.user.id) is None
