"""Activity <-> Inbound/Reply translation, and the shape checks on raw activity JSON."""

from __future__ import annotations

# i18n: this module says nothing to people
import html
import json
import re
from typing import Any

from botbuilder.core import CardFactory, InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount
from botframework.connector import Channels

from bot import shape
from bot.sdk_models import activity_from_json, to_json
from bot.shape import BadActivity
from dialogs.core.cards import summary as card_summary
from dialogs.core.forms import MAX_MESSAGE_CHARS
from dialogs.core.types import Inbound, Kind, Person, Reply

_AT_TAG = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)
CARD_ACTION = "adaptiveCard/action"  # an Action.Execute on a card (Universal Actions)


def parse_body(body: bytes) -> Activity:
    return activity_of(shape.loads(body))  # limits and every field's type: 400 first


def activity_of(data: dict[str, Any]) -> Activity:
    """The SDK's Activity of JSON that bot/shape.py has checked."""
    try:
        return activity_from_json(data)
    except Exception as exc:  # msrest raises several types for ill-typed fields
        raise BadActivity(
            f"activity fields have the wrong types: {exc.__class__.__name__}"
        ) from None


def tenant_of(activity: Activity) -> str | None:
    """channelData.tenant.id, else conversation.tenantId (compare it ignoring case)."""
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant")
    if isinstance(tenant, dict) and tenant.get("id"):
        return str(tenant["id"])
    return conversation_tenant(activity.conversation)


def conversation_tenant(conversation: Any) -> str | None:
    """The SDK maps `tenantID` only; Teams sends `tenantId`, which msrest keeps aside."""
    if conversation is None:
        return None
    extra = getattr(conversation, "additional_properties", None) or {}
    tenant = conversation.tenant_id or extra.get("tenantId")
    return tenant if isinstance(tenant, str) and tenant else None


def team_of(activity: Activity) -> dict[str, Any]:
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team = channel_data.get("team")
    return team if isinstance(team, dict) else {}


def kind_of(activity: Activity) -> Kind | None:
    """What happened, in Mentorbot's terms; None for activities we ignore."""
    bot_id = activity.recipient.id if activity.recipient else None
    if activity.type == ActivityTypes.message:
        if activity.value is not None and not (activity.text or "").strip():
            return "submit"
        if not addressed(activity) and not activity.reply_to_id:
            return None  # channel chatter (RSC delivers it all): dropped before any work
        return "message"
    if activity.type == ActivityTypes.invoke:
        return "submit" if is_card_action(activity) else None
    if activity.type != ActivityTypes.conversation_update:
        return None
    added = [m.id for m in activity.members_added or []]
    removed = [m.id for m in activity.members_removed or []]
    in_team = bool(team_of(activity).get("id"))
    conversation_type = activity.conversation.conversation_type if activity.conversation else None
    if bot_id in added:
        if conversation_type == "personal":
            return "personal_install"
        if conversation_type == "groupChat" and not in_team:
            return "group_install"
        return "team_install" if in_team else None
    if bot_id in removed:
        return "team_uninstall" if in_team else None
    if in_team and added:
        return "members_added"
    if in_team and removed:
        return "members_removed"
    return None


def addressed(activity: Activity) -> bool:
    """Meant for the bot: anything outside a channel, or a channel message that
    @mentions it. With ChannelMessage.Read.Group consent Teams sends every channel
    message; only replies in the threads of the bot's own posts are kept of the rest."""
    conversation = activity.conversation
    if conversation is None or conversation.conversation_type != "channel":
        return True
    bot_id = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        props = entity.additional_properties or {}
        mentioned = props.get("mentioned") if entity.type == "mention" else None
        if isinstance(mentioned, dict) and bot_id and mentioned.get("id") == bot_id:
            return True
    return False


def is_card_action(activity: Activity) -> bool:
    return activity.type == ActivityTypes.invoke and activity.name == CARD_ACTION


def to_inbound(activity: Activity, kind: Kind, members: tuple[Person, ...] = ()) -> Inbound:
    team = team_of(activity)
    conversation = activity.conversation
    sender = activity.from_property or ChannelAccount(id="")
    text = _clean_text(activity) if kind == "message" else ""
    channel_id, channel_name = _channel(activity)
    return Inbound(
        kind=kind,
        tenant_id=tenant_of(activity),
        service_url=activity.service_url,
        conversation_id=conversation.id,
        conversation_type=conversation.conversation_type or "personal",
        sender=person_of(sender),
        conversation_ref=reference_json(activity),
        text=text,
        value=_submitted(activity) if kind == "submit" else None,
        mentions=_mentions(activity),
        team_id=team.get("id"),
        team_name=team.get("name"),
        aad_group_id=team.get("aadGroupId"),
        members=members,
        local_timezone=activity.local_timezone,
        locale=activity.locale,
        channel_id=channel_id,
        channel_name=channel_name,
        thread_root_id=_thread_root(activity),
        activity_id=activity.id,
        reply_to_id=activity.reply_to_id,
        addressed=kind != "message" or addressed(activity),
    )


def _submitted(activity: Activity) -> Any:
    """A card's submitted values: Action.Submit's `value`, or Action.Execute's `data`
    (Teams merges the card's inputs into it)."""
    if not is_card_action(activity):
        return activity.value
    action = activity.value.get("action") if isinstance(activity.value, dict) else None
    return action.get("data") if isinstance(action, dict) else None


def _channel(activity: Activity) -> tuple[str | None, str | None]:
    conversation = activity.conversation
    if conversation is None or conversation.conversation_type != "channel":
        return None, None
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    channel = channel_data.get("channel")
    channel = channel if isinstance(channel, dict) else {}
    channel_id = channel.get("id") or conversation.id.split(";", 1)[0]
    return str(channel_id), channel.get("name") or None


def _thread_root(activity: Activity) -> str | None:
    """In a channel, a reply's conversation id is "<channel>;messageid=<root id>"."""
    conversation = activity.conversation
    if conversation is None or conversation.conversation_type != "channel":
        return None
    if not activity.reply_to_id:
        return None
    _, _, root = conversation.id.partition(";messageid=")
    return root or activity.reply_to_id


def reference_json(activity: Activity) -> str:
    """The conversation reference to store, as ConversationReference JSON.

    Built by hand (msrest's serializer is a large share of a turn) and without the
    message id, which changes every turn and would make every turn a write.
    """
    conversation = activity.conversation
    return json.dumps(
        _compact(
            {
                "user": _account(activity.from_property),
                "bot": _account(activity.recipient),
                "conversation": {
                    "id": conversation.id,
                    "conversationType": conversation.conversation_type,
                    "tenantId": conversation_tenant(conversation),
                    "isGroup": conversation.is_group,
                },
                "channelId": activity.channel_id,
                "locale": activity.locale,
                "serviceUrl": activity.service_url,
            }
        )
    )


def _account(account: Any) -> dict[str, Any] | None:
    if account is None:
        return None
    return {"id": account.id, "name": account.name, "aadObjectId": account.aad_object_id}


def _compact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None}
    return value


def changed_members(activity: Activity, kind: Kind) -> tuple[Person, ...]:
    bot_id = activity.recipient.id if activity.recipient else None
    accounts = activity.members_added if kind == "members_added" else activity.members_removed
    return tuple(person_of(a) for a in accounts or [] if a.id and a.id != bot_id)


def person_of(account: Any) -> Person:
    """A Person from a ChannelAccount or a TeamsChannelAccount."""
    return Person(
        id=account.id,
        name=getattr(account, "name", None) or None,
        aad_object_id=getattr(account, "aad_object_id", None) or None,
        email=getattr(account, "email", None) or None,
        upn=getattr(account, "user_principal_name", None) or None,
    )


def _clean_text(activity: Activity) -> str:
    """The text without the bot's @mention; other mentions read '@Name'.

    Text far over what a message may hold is passed on as it is, for dispatch to refuse
    by its length: cleaning it would cost time for nothing (and tags are quadratic)."""
    if not activity.text:  # a card submit or an attachment alone: no text to clean
        return ""
    if len(activity.text) > 2 * MAX_MESSAGE_CHARS:
        return activity.text
    text = TurnContext.remove_recipient_mention(activity) or ""
    text = _AT_TAG.sub(lambda m: "@" + m.group(1).strip(), text)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return " ".join(text.replace("\u00a0", " ").split())


def _mentions(activity: Activity) -> tuple[Person, ...]:
    bot_id = activity.recipient.id if activity.recipient else None
    people = []
    for entity in activity.entities or []:
        props = entity.additional_properties or {}
        mentioned = props.get("mentioned") if entity.type == "mention" else None
        if isinstance(mentioned, dict) and mentioned.get("id") and mentioned["id"] != bot_id:
            people.append(Person(id=mentioned["id"], name=mentioned.get("name")))
    return tuple(people)


def invoke_reply(replies: list[Reply]) -> Activity:
    """The answer to a card action: a message only the person who clicked sees."""
    text = "\n\n".join(r.text for r in replies if r.text) or "Done."
    body = {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}
    return Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body))


def reply_json(incoming: Activity, reply: Reply) -> dict[str, Any]:
    """The reply's JSON as the SDK's TurnContext.send_activity addresses and msrest
    writes it (from the bot to the sender, in the same conversation, answering the
    activity), built without msrest's serializer."""
    body: dict[str, Any] = {"type": ActivityTypes.message, "inputHint": "acceptingInput"}
    if reply.text is not None:
        body["text"] = reply.text
    if reply.card is not None:
        body["attachments"] = [
            {"contentType": CardFactory.content_types.adaptive_card, "content": reply.card}
        ]
        if not reply.text:  # the notification says what arrived instead of "sent a card"
            body["summary"] = card_summary(reply.card)
    addressing = {
        "serviceUrl": incoming.service_url,
        "channelId": incoming.channel_id,
        "locale": incoming.locale,
        "conversation": _model_json(incoming.conversation),
        "from": _model_json(incoming.recipient),
        "recipient": _model_json(incoming.from_property),
        "replyToId": answered_id(incoming),
    }
    body.update((k, v) for k, v in addressing.items() if v is not None)
    return body


def answered_id(incoming: Activity) -> str | None:
    """The activity a reply answers, as TurnContext.get_conversation_reference has it:
    none for a conversation update, nor on Direct Line and Web Chat."""
    if incoming.type == ActivityTypes.conversation_update:
        return None
    if incoming.channel_id in (Channels.direct_line, Channels.webchat):
        return None
    return incoming.id or None


def _model_json(model: Any) -> dict[str, Any] | None:
    return to_json(model) if model is not None else None
