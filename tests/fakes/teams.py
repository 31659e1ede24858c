"""Builders of Teams-shaped activities, as Teams sends them to a bot's endpoint."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from tests.fakes.connector import Member

TENANT = "tenant-contoso"
BOT = {"id": "28:mentorbot-app", "name": "Mentorbot"}
_ids = itertools.count(1)


@dataclass(frozen=True)
class TeamsUser:
    key: str
    name: str

    @property
    def id(self) -> str:
        return f"29:{self.key}"

    @property
    def aad(self) -> str:
        return f"aad-{self.key}"

    @property
    def email(self) -> str:
        return f"{self.key}@contoso.com"

    @property
    def personal_conversation(self) -> str:
        return f"a:personal-{self.key}"

    def account(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad}

    def member(self) -> Member:
        return Member(self.id, self.name, self.aad, self.email)


@dataclass(frozen=True)
class TeamsTeam:
    key: str
    name: str

    @property
    def id(self) -> str:
        return f"19:{self.key}@thread.tacv2"

    def channel_data(self, event: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tenant": {"id": TENANT},
            "team": {"id": self.id, "name": self.name, "aadGroupId": f"group-{self.key}"},
        }
        if event:
            data["eventType"] = event
        return data


def _base(
    service_url: str, kind: str, sender: dict[str, Any], conversation: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "type": kind,
        "id": f"activity-in-{next(_ids)}",
        "timestamp": "2026-11-21T10:00:00Z",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": sender,
        "recipient": dict(BOT),
        "conversation": conversation,
        **extra,
    }


def _personal_conversation(user: TeamsUser) -> dict[str, Any]:
    return {"id": user.personal_conversation, "conversationType": "personal", "tenantId": TENANT}


def personal_message(
    service_url: str, user: TeamsUser, text: str, timezone: str | None = "Europe/Berlin"
) -> dict[str, Any]:
    return _base(
        service_url,
        "message",
        user.account(),
        _personal_conversation(user),
        text=text,
        textFormat="plain",
        locale="en-US",
        localTimezone=timezone,
        channelData={"tenant": {"id": TENANT}},
    )


def card_submit(service_url: str, user: TeamsUser, value: Any) -> dict[str, Any]:
    return _base(
        service_url,
        "message",
        user.account(),
        _personal_conversation(user),
        value=value,
        locale="en-US",
        localTimezone="Europe/Berlin",
        channelData={"tenant": {"id": TENANT}, "source": {"name": "message"}},
    )


def channel_message(
    service_url: str,
    user: TeamsUser,
    team: TeamsTeam,
    text: str,
    mentions: tuple[TeamsUser, ...] = (),
    channel: str | None = None,
    reply_to: str | None = None,
    mention_bot: bool = True,
) -> dict[str, Any]:
    """A message in a team channel (General unless `channel` is given) that @mentions the
    bot (and maybe others); with `reply_to`, a reply in the thread under that message.
    Without `mention_bot`, what Teams sends under resource-specific consent for a message
    not addressed to the bot."""
    bot_tag = f"<at>{BOT['name']}</at>"
    entities = [{"type": "mention", "text": bot_tag, "mentioned": dict(BOT)}]
    if not mention_bot:
        bot_tag, entities = "", []
    body = text
    for person in mentions:
        tag = f"<at>{person.name}</at>"
        body = body.replace(f"@{person.key}", tag)
        entities.append(
            {"type": "mention", "text": tag, "mentioned": {"id": person.id, "name": person.name}}
        )
    extra: dict[str, Any] = {"replyToId": reply_to} if reply_to else {}
    channel_data = team.channel_data()
    if channel is not None:
        channel_data["channel"] = {"id": channel, "name": _channel_name(team, channel)}
    return _base(
        service_url,
        "message",
        user.account(),
        _channel_conversation(team, channel, reply_to or "1"),
        text=f"{bot_tag} {body}".strip(),
        entities=entities,
        channelData=channel_data,
        **extra,
    )


def channel_of(team: TeamsTeam, key: str) -> str:
    """The conversation id of another channel of the team."""
    return f"19:{team.key}-{key}@thread.tacv2"


def _channel_name(team: TeamsTeam, channel: str) -> str:
    if channel == team.id:
        return "General"
    return channel.removeprefix(f"19:{team.key}-").split("@")[0].title()


def _channel_conversation(team: TeamsTeam, channel: str | None, root: str) -> dict[str, Any]:
    return {
        "id": f"{channel or team.id};messageid={root}",
        "conversationType": "channel",
        "isGroup": True,
        "tenantId": TENANT,
    }


def card_action(
    service_url: str,
    user: TeamsUser,
    team: TeamsTeam,
    data: Any,
    card_id: str,
    channel: str | None = None,
    verb: str = "icebreaker_answer",
) -> dict[str, Any]:
    """An Action.Execute on a card the bot posted in a channel: Teams sends an invoke,
    with the card's inputs merged into the action's data."""
    channel_data = team.channel_data()
    channel_data["channel"] = {"id": channel or team.id}
    return _base(
        service_url,
        "invoke",
        user.account(),
        _channel_conversation(team, channel, card_id),
        name="adaptiveCard/action",
        replyToId=card_id,
        value={
            "action": {"type": "Action.Execute", "id": "answer", "verb": verb, "data": data},
            "trigger": "manual",
        },
        channelData=channel_data,
    )


def team_conversation(team: TeamsTeam) -> dict[str, Any]:
    return {"id": team.id, "conversationType": "channel", "isGroup": True, "tenantId": TENANT}


def bot_installed_in_team(
    service_url: str, installer: TeamsUser, team: TeamsTeam
) -> dict[str, Any]:
    return _base(
        service_url,
        "conversationUpdate",
        installer.account(),
        team_conversation(team),
        membersAdded=[{"id": BOT["id"]}],
        channelData=team.channel_data("teamMemberAdded"),
    )


def members_added(
    service_url: str, team: TeamsTeam, *people: TeamsUser, by: TeamsUser | None = None
) -> dict[str, Any]:
    sender = (by or people[0]).account()
    return _base(
        service_url,
        "conversationUpdate",
        sender,
        team_conversation(team),
        membersAdded=[{"id": p.id, "aadObjectId": p.aad} for p in people],
        channelData=team.channel_data("teamMemberAdded"),
    )


def members_removed(service_url: str, team: TeamsTeam, *people: TeamsUser) -> dict[str, Any]:
    return _base(
        service_url,
        "conversationUpdate",
        people[0].account(),
        team_conversation(team),
        membersRemoved=[{"id": p.id, "aadObjectId": p.aad} for p in people],
        channelData=team.channel_data("teamMemberRemoved"),
    )


def bot_removed_from_team(service_url: str, by: TeamsUser, team: TeamsTeam) -> dict[str, Any]:
    return _base(
        service_url,
        "conversationUpdate",
        by.account(),
        team_conversation(team),
        membersRemoved=[{"id": BOT["id"]}],
        channelData=team.channel_data("teamMemberRemoved"),
    )


def personal_install(service_url: str, user: TeamsUser) -> dict[str, Any]:
    return _base(
        service_url,
        "conversationUpdate",
        user.account(),
        _personal_conversation(user),
        membersAdded=[{"id": BOT["id"]}],
        channelData={"tenant": {"id": TENANT}},
        localTimezone="America/New_York",
    )


def _group_conversation(chat: str) -> dict[str, Any]:
    return {
        "id": f"19:{chat}@thread.v2",
        "conversationType": "groupChat",
        "isGroup": True,
        "tenantId": TENANT,
    }


def group_message(service_url: str, user: TeamsUser, chat: str, text: str) -> dict[str, Any]:
    """A message in a group chat (not a team) that @mentions the bot."""
    bot_tag = f"<at>{BOT['name']}</at>"
    return _base(
        service_url,
        "message",
        user.account(),
        _group_conversation(chat),
        text=f"{bot_tag} {text}",
        entities=[{"type": "mention", "text": bot_tag, "mentioned": dict(BOT)}],
        channelData={"tenant": {"id": TENANT}},
    )


def group_install(service_url: str, user: TeamsUser, chat: str) -> dict[str, Any]:
    """The app added to a group chat."""
    return _base(
        service_url,
        "conversationUpdate",
        user.account(),
        _group_conversation(chat),
        membersAdded=[{"id": BOT["id"]}],
        channelData={"tenant": {"id": TENANT}},
    )


def group_submit(
    service_url: str, user: TeamsUser, conversation: str, value: Any
) -> dict[str, Any]:
    """A card's submit in a group chat (`conversation`: the chat's id, 19:...@thread.v2)."""
    return _base(
        service_url,
        "message",
        user.account(),
        {"id": conversation, "conversationType": "groupChat", "isGroup": True, "tenantId": TENANT},
        value=value,
        locale="en-US",
        localTimezone="Europe/Berlin",
        channelData={"tenant": {"id": TENANT}, "source": {"name": "message"}},
    )
