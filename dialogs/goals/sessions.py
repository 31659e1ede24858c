"""Sessions between pairs: agendas before a meeting, notes after it, and action items
that remind their owner at 09:00 local on the due date.

Only the two members of a live pair (core/pairs.py) can write or read its agendas and
notes; every card submit names its pair by key and is checked against the sender's own
pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.core import forms, outbox
from dialogs.core.cards import Cards
from dialogs.core.local_time import local_day, reachable, today_of, zone_of
from dialogs.core.pairs import Pair, choose_pair, pair_from_card
from dialogs.core.people import display
from dialogs.core.router import Turn
from scheduler.types import JobContext
from storage.models import ActionItem, SessionAgenda, SessionNotes, User
from storage.repos import Repos

CARDS = Cards("dialogs.goals")
ITEMS_JOB = "action_items"
MAX_AGENDA, MAX_SUMMARY, MAX_ITEM = 1000, 2000, 300
ITEM_ROWS = 3  # action-item rows on the notes card
REMIND_AT = time(9, 0)  # action items are reminded at 09:00 on their due date, local time
AGENDA_ACTION, NOTES_ACTION, ITEM_DONE_ACTION = "agenda_save", "notes_save", "action_item_done"


async def agenda_command(turn: Turn) -> None:
    pair = await choose_pair(turn, "agenda")
    if pair is None:
        return
    repos = turn.repos
    theirs = await repos.goals.latest_agenda(pair.key, pair.partner.id)
    notes = await repos.goals.latest_notes(pair.key)
    if theirs is not None and notes is not None and notes.created_at > theirs.created_at:
        theirs = None  # that one was for a meeting that already has notes
    items = await _item_lines(repos, pair.key, _names(turn.user, pair.partner))
    turn.result.show(
        CARDS.render(
            "agenda_form",
            title=f"🗓️ Agenda for your next meeting with {display(pair.partner)}",
            subtitle=f"{display(pair.partner)} is {pair.role}. They'll see what you write here.",
            their_agenda=_agenda_text(theirs, pair.partner) if theirs else "",
            has_their_agenda=theirs is not None,
            items="\n".join(items),
            has_items=bool(items),
            max_text=MAX_AGENDA,
            pair=pair.key,
        )
    )


def _agenda_text(agenda: SessionAgenda, author: User) -> str:
    parts = [f"**{display(author)}'s agenda** ({agenda.created_at:%d %b})"]
    if agenda.achieve:
        parts.append(f"Wants to achieve: {agenda.achieve}")
    if agenda.questions:
        parts.append(f"Questions: {agenda.questions}")
    return "\n\n".join(parts)


async def save_agenda(turn: Turn) -> None:
    pair = await pair_from_card(turn)
    if pair is None:
        return
    value = turn.inbound.value
    problems: list[str] = []
    achieve = forms.text_or_problem(
        value.get("achieve"), MAX_AGENDA, "What you want to achieve", problems
    )
    questions = forms.text_or_problem(value.get("questions"), MAX_AGENDA, "The questions", problems)
    if not problems and not (achieve or questions):
        problems.append("write what you want to achieve or the questions to cover")
    if problems:
        turn.say("I couldn't save the agenda: " + "; ".join(problems) + ". Nothing was saved.")
        return
    agenda = await turn.repos.goals.add_agenda(
        SessionAgenda(
            pair_key=pair.key,
            author_id=turn.user.id,
            partner_id=pair.partner.id,
            achieve=achieve,
            questions=questions,
            created_at=turn.now,
        )
    )
    items = await _item_lines(turn.repos, pair.key, _names(pair.partner, turn.user))
    card = CARDS.render(
        "agenda_view",
        title=f"🗓️ {display(turn.user)} shared an agenda for your next meeting",
        agenda=_agenda_text(agenda, turn.user),
        items="\n".join(items),
        has_items=bool(items),
        pair=pair.key,
    )
    key = outbox.key("agenda", agenda.id, user=pair.partner.id)
    turn.result.queued += await _send(turn.repos, key, pair, card, turn.now)
    turn.say(f"Saved. I've shown your agenda to {display(pair.partner)}.")


async def _item_lines(repos: Repos, pair_key: str, names: dict[int, str]) -> list[str]:
    """Open action items of the pair (for the next agenda), owners named for the reader."""
    return [
        f"- {item.text} ({names.get(item.owner_id, 'someone')}, due {item.due_on.isoformat()})"
        for item in await repos.goals.open_items(pair_key)
    ]


async def _send(repos: Repos, key: str, pair: Pair, card: dict[str, Any], now: datetime) -> int:
    """A card to the partner (the pair's team opens the 1:1 chat if need be)."""
    message = outbox.to_user(key, pair.partner.id, card=card, team_id=pair.team_id)
    return await outbox.queue(repos, message, now)


async def notes_command(turn: Turn) -> None:
    pair = await choose_pair(turn, "notes")
    if pair is None:
        return
    last = await turn.repos.goals.latest_notes(pair.key)
    first_name = display(pair.partner).split()[0]
    turn.result.show(
        CARDS.render(
            "notes_form",
            title=f"📝 Notes from your meeting with {display(pair.partner)}",
            last=f"Last notes ({last.created_at:%d %b %Y}): {last.summary}" if last else "",
            has_last=last is not None,
            max_summary=MAX_SUMMARY,
            max_item=MAX_ITEM,
            items=[_item_row(n, first_name) for n in range(1, ITEM_ROWS + 1)],
            pair=pair.key,
        )
    )


def _item_row(n: int, partner_first: str) -> dict[str, Any]:
    return {
        "type": "ColumnSet",
        "columns": [
            {
                "type": "Column",
                "width": "stretch",
                "items": [
                    {
                        "type": "Input.Text",
                        "id": f"item{n}",
                        "label": f"Action item {n}",
                        "maxLength": MAX_ITEM,
                    }
                ],
            },
            {
                "type": "Column",
                "width": "auto",
                "items": [
                    {
                        "type": "Input.ChoiceSet",
                        "id": f"item{n}_owner",
                        "label": "Who",
                        "style": "compact",
                        "value": "me",
                        "choices": [
                            {"title": "Me", "value": "me"},
                            {"title": partner_first, "value": "partner"},
                        ],
                    }
                ],
            },
            {
                "type": "Column",
                "width": "auto",
                "items": [{"type": "Input.Date", "id": f"item{n}_due", "label": "Due"}],
            },
        ],
    }


@dataclass(frozen=True)
class _Item:
    text: str
    owner: User
    due_on: date


async def save_notes(turn: Turn) -> None:
    pair = await pair_from_card(turn)
    if pair is None:
        return
    value = turn.inbound.value
    problems: list[str] = []
    summary = forms.text_or_problem(value.get("summary"), MAX_SUMMARY, "The summary", problems)
    if not problems and not summary:
        problems.append("please write a short summary")
    key_points = forms.text_or_problem(
        value.get("key_points"), MAX_SUMMARY, "The key points", problems
    )
    today = await today_of(turn.repos, turn.user, turn.now)
    items = _items(value, turn.user, pair.partner, today, problems)
    if problems:
        turn.say("I couldn't save the notes: " + "; ".join(problems) + ". Nothing was saved.")
        return
    notes = await turn.repos.goals.add_notes(
        SessionNotes(
            pair_key=pair.key,
            author_id=turn.user.id,
            partner_id=pair.partner.id,
            summary=summary,
            key_points=key_points,
            created_at=turn.now,
        )
    )
    for item in items:
        await turn.repos.goals.add_item(
            ActionItem(
                notes_id=notes.id,
                pair_key=pair.key,
                owner_id=item.owner.id,
                text=item.text,
                due_on=item.due_on,
                created_at=turn.now,
            )
        )
    card = CARDS.render(
        "notes_view",
        title=f"📝 {display(turn.user)} wrote notes from your meeting",
        summary=summary,
        key_points=key_points,
        has_key_points=bool(key_points),
        items="\n".join(
            f"- {i.text} ({'you' if i.owner.id == pair.partner.id else display(i.owner)}, "
            f"due {i.due_on.isoformat()})"
            for i in items
        ),
        has_items=bool(items),
    )
    key = outbox.key("notes", notes.id, user=pair.partner.id)
    turn.result.queued += await _send(turn.repos, key, pair, card, turn.now)
    reminders = " I'll remind each owner on the due date." if items else ""
    turn.say(f"Notes saved and shared with {display(pair.partner)}.{reminders}")


def _items(
    value: dict[str, Any], me: User, partner: User, today: date, problems: list[str]
) -> list[_Item]:
    items = []
    for n in range(1, ITEM_ROWS + 1):
        before = len(problems)
        text = forms.text_or_problem(value.get(f"item{n}"), MAX_ITEM, f"Action item {n}", problems)
        if len(problems) > before or not text:
            continue
        raw_owner = value.get(f"item{n}_owner") or "me"
        owner = {"me": me, "partner": partner}.get(raw_owner if isinstance(raw_owner, str) else "")
        due = forms.iso_date(value.get(f"item{n}_due"))
        if owner is None:
            problems.append(f"action item {n} must belong to you or your partner")
        elif due is None:
            problems.append(f"action item {n} needs a due date (YYYY-MM-DD)")
        elif due < today:
            problems.append(f"action item {n} is due {due.isoformat()}, which is in the past")
        else:
            items.append(_Item(text, owner, due))
    return items


async def item_done(turn: Turn) -> None:
    value = turn.inbound.value if isinstance(turn.inbound.value, dict) else {}
    item_id = forms.row_id(value.get("item"))
    item = await turn.repos.goals.item(item_id) if item_id else None
    if item is None or item.owner_id != turn.user.id:
        turn.say("I can't find that action item of yours. Nothing changed.")
        return
    if item.done_at is not None:
        turn.say("That one is done already. 👍")
        return
    item.done_at = turn.now
    turn.say(f"Marked done: {item.text} 👍")


async def remind_items(ctx: JobContext) -> None:
    """The "action_items" job: remind each open item's owner at 09:00 local on its due day."""
    repos, now = ctx.repos, ctx.now
    # Due by tomorrow in UTC covers every zone's today; each owner's 09:00 decides.
    due = await repos.goals.items_to_remind(now.date() + timedelta(days=1))
    for item, owner, profile_tz in due:
        zone = zone_of(owner, profile_tz)
        at = datetime.combine(item.due_on, REMIND_AT, tzinfo=ZoneInfo(zone))
        if at > now:
            continue
        item.reminded_at = now
        if not reachable(owner, local_day(zone, now)):
            continue
        card = CARDS.render(
            "notes_item",
            text=f"⏰ Reminder: **{item.text}** is due {item.due_on.isoformat()}.",
            item_id=item.id,
        )
        reminder = outbox.to_user(outbox.key("actionitem", item.id), owner.id, card=card)
        await outbox.queue(repos, reminder, now)


def _names(reader: User, other: User) -> dict[int, str]:
    return {reader.id: "you", other.id: display(other)}
