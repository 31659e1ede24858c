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

from dialogs.core import forms, i18n, outbox
from dialogs.core.cards import Cards
from dialogs.core.local_time import local_day, reachable, today_of, zone_of
from dialogs.core.pairs import Pair, choose_pair, pair_from_card
from dialogs.core.people import display, language_of_user
from dialogs.core.router import Turn
from scheduler.types import JobContext
from storage.models import ActionItem, SessionAgenda, SessionNotes, User
from storage.repos import Repos

_ = i18n.catalog(__package__)
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
            title=_("🗓️ Agenda for your next meeting with {name}", name=display(pair.partner)),
            subtitle=_(
                "{name} is {role}. They'll see what you write here.",
                name=display(pair.partner),
                role=pair.role,
            ),
            their_agenda=_agenda_text(theirs, pair.partner) if theirs else "",
            has_their_agenda=theirs is not None,
            items="\n".join(items),
            has_items=bool(items),
            max_text=MAX_AGENDA,
            pair=pair.key,
        )
    )


def _agenda_text(agenda: SessionAgenda, author: User) -> str:
    parts = [
        _(
            "**{name}'s agenda** ({day})",
            name=display(author),
            day=i18n.when(agenda.created_at, "%d %b"),
        )
    ]
    if agenda.achieve:
        parts.append(_("Wants to achieve: {achieve}", achieve=agenda.achieve))
    if agenda.questions:
        parts.append(_("Questions: {questions}", questions=agenda.questions))
    return "\n\n".join(parts)


async def save_agenda(turn: Turn) -> None:
    pair = await pair_from_card(turn)
    if pair is None:
        return
    value = turn.inbound.value
    problems: list[str] = []
    achieve = forms.text_or_problem(
        value.get("achieve"), MAX_AGENDA, _("What you want to achieve"), problems
    )
    questions = forms.text_or_problem(
        value.get("questions"), MAX_AGENDA, _("The questions"), problems
    )
    if not problems and not (achieve or questions):
        problems.append(_("write what you want to achieve or the questions to cover"))
    if problems:
        listed = "; ".join(problems)
        turn.say(_("I couldn't save the agenda: {problems}. Nothing was saved.", problems=listed))
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
    with i18n.speaking(await language_of_user(turn.repos, pair.partner)):  # the partner's card
        items = await _item_lines(turn.repos, pair.key, _names(pair.partner, turn.user))
        card = CARDS.render(
            "agenda_view",
            title=_("🗓️ {name} shared an agenda for your next meeting", name=display(turn.user)),
            agenda=_agenda_text(agenda, turn.user),
            items="\n".join(items),
            has_items=bool(items),
            pair=pair.key,
        )
    key = outbox.key("agenda", agenda.id, user=pair.partner.id)
    turn.result.queued += await _send(turn.repos, key, pair, card, turn.now)
    turn.say(_("Saved. I've shown your agenda to {name}.", name=display(pair.partner)))


async def _item_lines(repos: Repos, pair_key: str, names: dict[int, str]) -> list[str]:
    """Open action items of the pair (for the next agenda), owners named for the reader."""
    return [
        _item_line(item.text, names.get(item.owner_id, _("someone")), item.due_on)
        for item in await repos.goals.open_items(pair_key)
    ]


def _item_line(text: str, owner: str, due_on: date) -> str:
    return _(
        "- {text} ({owner}, due {due})",
        text=text,
        owner=owner,
        due=i18n.when(due_on, "%Y-%m-%d"),
    )


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
            title=_("📝 Notes from your meeting with {name}", name=display(pair.partner)),
            last=_(
                "Last notes ({day}): {summary}",
                day=i18n.when(last.created_at, "%d %b %Y"),
                summary=last.summary,
            )
            if last
            else "",
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
                        "label": _("Action item {n}", n=n),
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
                        "label": _("Who"),
                        "style": "compact",
                        "value": "me",
                        "choices": [
                            {"title": _("Me"), "value": "me"},
                            {"title": partner_first, "value": "partner"},
                        ],
                    }
                ],
            },
            {
                "type": "Column",
                "width": "auto",
                "items": [{"type": "Input.Date", "id": f"item{n}_due", "label": _("Due")}],
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
    summary = forms.text_or_problem(value.get("summary"), MAX_SUMMARY, _("The summary"), problems)
    if not problems and not summary:
        problems.append(_("please write a short summary"))
    key_points = forms.text_or_problem(
        value.get("key_points"), MAX_SUMMARY, _("The key points"), problems
    )
    today = await today_of(turn.repos, turn.user, turn.now)
    items = _items(value, turn.user, pair.partner, today, problems)
    if problems:
        listed = "; ".join(problems)
        turn.say(_("I couldn't save the notes: {problems}. Nothing was saved.", problems=listed))
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
    with i18n.speaking(await language_of_user(turn.repos, pair.partner)):  # the partner's card
        card = CARDS.render(
            "notes_view",
            title=_("📝 {name} wrote notes from your meeting", name=display(turn.user)),
            summary=summary,
            key_points=key_points,
            has_key_points=bool(key_points),
            items="\n".join(
                _item_line(
                    i.text,
                    _("you") if i.owner.id == pair.partner.id else display(i.owner),
                    i.due_on,
                )
                for i in items
            ),
            has_items=bool(items),
        )
    key = outbox.key("notes", notes.id, user=pair.partner.id)
    turn.result.queued += await _send(turn.repos, key, pair, card, turn.now)
    text = _("Notes saved and shared with {name}.", name=display(pair.partner))
    if items:
        text += _(" I'll remind each owner on the due date.")
    turn.say(text)


def _items(
    value: dict[str, Any], me: User, partner: User, today: date, problems: list[str]
) -> list[_Item]:
    items = []
    for n in range(1, ITEM_ROWS + 1):
        before = len(problems)
        label = _("Action item {n}", n=n)
        text = forms.text_or_problem(value.get(f"item{n}"), MAX_ITEM, label, problems)
        if len(problems) > before or not text:
            continue
        raw_owner = value.get(f"item{n}_owner") or "me"
        owner = {"me": me, "partner": partner}.get(raw_owner if isinstance(raw_owner, str) else "")
        due = forms.iso_date(value.get(f"item{n}_due"))
        if owner is None:
            problems.append(_("action item {n} must belong to you or your partner", n=n))
        elif due is None:
            problems.append(_("action item {n} needs a due date (YYYY-MM-DD)", n=n))
        elif due < today:
            problems.append(
                _(
                    "action item {n} is due {due}, which is in the past",
                    n=n,
                    due=i18n.when(due, "%Y-%m-%d"),
                )
            )
        else:
            items.append(_Item(text, owner, due))
    return items


async def item_done(turn: Turn) -> None:
    value = turn.inbound.value if isinstance(turn.inbound.value, dict) else {}
    item_id = forms.row_id(value.get("item"))
    item = await turn.repos.goals.item(item_id) if item_id else None
    if item is None or item.owner_id != turn.user.id:
        turn.say(_("I can't find that action item of yours. Nothing changed."))
        return
    if item.done_at is not None:
        turn.say(_("That one is done already. 👍"))
        return
    item.done_at = turn.now
    turn.say(_("Marked done: {text} 👍", text=item.text))


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
        with i18n.speaking(await language_of_user(repos, owner)):
            card = CARDS.render(
                "notes_item",
                text=_(
                    "⏰ Reminder: **{text}** is due {due}.",
                    text=item.text,
                    due=i18n.when(item.due_on, "%Y-%m-%d"),
                ),
                item_id=item.id,
            )
        reminder = outbox.to_user(outbox.key("actionitem", item.id), owner.id, card=card)
        await outbox.queue(repos, reminder, now)


def _names(reader: User, other: User) -> dict[int, str]:
    return {reader.id: _("you"), other.id: display(other)}
