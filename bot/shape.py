"""The shape of an activity's JSON, checked before any work is done with it.

Limits first (nesting depth, number sizes, valid Unicode), then every field the bot
reads by its type: a malformed request is refused with 400 and a reason, before the SDK
or a dialog sees it. What a person may legitimately type (long or odd text, odd card
values) is not malformed; dialogs/core/dispatch.py answers that with a clear message.
"""

from __future__ import annotations

# i18n: this module says nothing to people
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from dialogs.core.forms import has_control_characters

MAX_DEPTH = 32  # Teams' activities nest 5 or 6 deep; a card's data a few more
MAX_NUMBER_CHARS = 40  # digits of a JSON number (an int of 40 digits is already absurd)
MAX_FIELD_CHARS = 2048  # ids, names, URLs: Teams' longest are a few hundred characters
MESSAGE_TYPES = ("message", "conversationUpdate", "invoke")


class BadActivity(ValueError):
    """The request body is not an activity we can process (answered with 400)."""


Check = Callable[[str, Any], None]


def loads(body: bytes) -> dict[str, Any]:
    """JSON with bounded numbers and depth, valid Unicode only; an object with the
    fields the bot reads, each of its type."""
    try:
        data = json.loads(
            body, parse_int=_bounded_int, parse_float=_bounded_float, parse_constant=_no_constant
        )
    except BadActivity:
        raise
    except (UnicodeDecodeError, ValueError):  # JSONDecodeError is a ValueError
        raise BadActivity("body is not valid JSON") from None
    except RecursionError:
        raise BadActivity(f"body nests deeper than {MAX_DEPTH} levels") from None
    if not isinstance(data, dict):
        raise BadActivity("body must be a JSON object")
    _limits(data)
    _activity(data)
    return data


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise BadActivity(f"a number has more than {MAX_NUMBER_CHARS} digits")
    return int(text)


def _bounded_float(text: str) -> float:
    value = float(text) if len(text) <= MAX_NUMBER_CHARS else float("inf")
    if value in (float("inf"), float("-inf")):
        raise BadActivity("a number is too large")
    return value


def _no_constant(name: str) -> Any:
    raise BadActivity(f"{name} is not a JSON number")


def _limits(data: Any) -> None:
    """Depth, and strings that are valid Unicode (a lone surrogate cannot be stored or
    sent), without recursion."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadActivity(f"body nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((k, depth) for k in node)
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise BadActivity("a string is not valid Unicode (a lone surrogate)") from None


# --- field checks ---------------------------------------------------------------------
def string(required: bool = False, limit: int = MAX_FIELD_CHARS, plain: bool = True) -> Check:
    """A string (or absent/null unless required); `plain`: no control characters, which
    no id, name or URL from Teams has."""

    def check(path: str, value: Any) -> None:
        if value is None and not required:
            return
        if not isinstance(value, str) or (required and not value):
            raise BadActivity(f"'{path}' must be a {'non-empty ' if required else ''}string")
        if len(value) > limit:
            raise BadActivity(f"'{path}' is longer than {limit} characters")
        if plain and has_control_characters(value):
            raise BadActivity(f"'{path}' contains control characters")

    return check


def boolean(path: str, value: Any) -> None:
    if value is not None and not isinstance(value, bool):
        raise BadActivity(f"'{path}' must be true or false")


def anything(path: str, value: Any) -> None:
    """Any JSON (already limited in depth and numbers): a card's submitted values."""


def obj(fields: dict[str, Check], required: bool = False) -> Check:
    def check(path: str, value: Any) -> None:
        if value is None and not required:
            return
        if not isinstance(value, dict):
            raise BadActivity(f"'{path}' must be an object")
        for name, field_check in fields.items():
            field_check(f"{path}.{name}", value.get(name))

    return check


def listed(item: Check) -> Check:
    def check(path: str, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            raise BadActivity(f"'{path}' must be a list")
        for i, element in enumerate(value):
            item(f"{path}[{i}]", element)

    return check


def url(path: str, value: Any) -> None:
    string(required=True)(path, value)
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError:
        raise BadActivity(f"'{path}' is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise BadActivity(f"'{path}' must be an http(s) URL with a host")
    if port == 0 or parts.username is not None:
        raise BadActivity(f"'{path}' is not a service URL")


def _entity(path: str, value: Any) -> None:
    obj({"type": string(required=True)}, required=True)(path, value)
    if value["type"] == "mention":  # what Teams sends: the mentioned account and its tag
        obj({"mentioned": ACCOUNT_REQUIRED, "text": string(plain=False)})(path, value)


ACCOUNT_FIELDS: dict[str, Check] = {
    "id": string(required=True),
    "name": string(),
    "aadObjectId": string(),
    "role": string(),
}
ACCOUNT = obj(ACCOUNT_FIELDS)
ACCOUNT_REQUIRED = obj(ACCOUNT_FIELDS, required=True)
CONVERSATION = obj(
    {
        "id": string(required=True),
        "name": string(),
        "conversationType": string(),
        "tenantId": string(),
        "isGroup": boolean,
        "aadObjectId": string(),
    },
    required=True,
)
ID_AND_NAME = obj({"id": string(), "name": string()})
CHANNEL_DATA = obj(
    {
        "tenant": ID_AND_NAME,
        "team": obj({"id": string(), "name": string(), "aadGroupId": string()}),
        "channel": ID_AND_NAME,
        "eventType": string(),
        "source": obj({"name": string()}),
        "settings": obj({}),
    }
)
TOP_LEVEL: dict[str, Check] = {
    "type": string(required=True, limit=64),
    "id": string(),
    "channelId": string(required=True, limit=64),
    "serviceUrl": url,
    "timestamp": string(limit=64),
    "localTimestamp": string(limit=64),
    "localTimezone": string(limit=64),
    "locale": string(limit=64),
    "conversation": CONVERSATION,
    "from": ACCOUNT,
    "recipient": ACCOUNT,
    "membersAdded": listed(ACCOUNT_REQUIRED),
    "membersRemoved": listed(ACCOUNT_REQUIRED),
    "text": string(limit=10**7, plain=False),  # a person's words: dispatch judges them
    "textFormat": string(limit=64),
    "speak": string(limit=10**7, plain=False),
    "summary": string(limit=10**7, plain=False),
    "value": anything,
    "name": string(),
    "replyToId": string(),
    "action": string(),
    "topicName": string(plain=False),
    "historyDisclosed": boolean,
    "entities": listed(_entity),
    "attachments": listed(obj({"contentType": string()}, required=True)),
    "channelData": CHANNEL_DATA,
    "relatesTo": obj({}),
    "deliveryMode": string(limit=64),
    "callerId": string(),
}


def _activity(data: dict[str, Any]) -> None:
    for name, check in TOP_LEVEL.items():
        check(name, data.get(name))
    if data["type"] in MESSAGE_TYPES:
        ACCOUNT_REQUIRED("from", data.get("from"))
        ACCOUNT_REQUIRED("recipient", data.get("recipient"))
