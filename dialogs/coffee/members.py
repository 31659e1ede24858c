"""What members say about coffee chats 1:1: join, leave, status, don't-pair lists, and
their answer to a follow-up card."""

from __future__ import annotations

from datetime import date
from typing import Any

from dialogs.coffee.rounds import ROUND_JOB, SKIP_REASONS, skip_reason
from dialogs.core import forms, i18n, members
from dialogs.core.i18n import N_
from dialogs.core.local_time import today_of
from dialogs.core.people import display, member_teams, one_of
from dialogs.core.router import DataPart, Turn
from scheduler.periods import ScheduleSpec, next_due
from storage.models import Team, User

_ = i18n.catalog(__package__)
FOLLOWUP_ACTION = "pair_followup"

MAX_COMMENT = 500
MET = {"yes": N_("Yes"), "not_yet": N_("Not yet"), "no": N_("No")}


async def join(turn: Turn) -> None:
    teams = await _chosen_teams(turn)
    if not teams:
        return
    for team in teams:
        choice = await turn.repos.pairing.choice(team.id, turn.user.id, turn.now)
        choice.joined, choice.ghost_paused_at = True, None
        choice.misses_from, choice.updated_at = turn.now, turn.now
    names = _team_names(teams)
    if turn.user.opted_out:
        turn.say(
            _(
                "You're in for coffee chats in {teams}. ☕ "
                "You're opted out of everything, though: type `opt in` first.",
                teams=names,
            )
        )
    else:
        turn.say(_("You're in for coffee chats in {teams}. ☕", teams=names))


async def leave(turn: Turn) -> None:
    teams = await _chosen_teams(turn)
    if not teams:
        return
    for team in teams:
        choice = await turn.repos.pairing.choice(team.id, turn.user.id, turn.now)
        choice.joined, choice.updated_at = False, turn.now
    turn.say(
        _(
            "Done: no more coffee partners in {teams}. Type `join coffee` any time to come back.",
            teams=_team_names(teams),
        )
    )


async def status(turn: Turn) -> None:
    teams = await _my_teams(turn)
    if not teams:
        turn.say(_("You're not in any team I'm part of, so there are no coffee chats for you yet."))
        return
    pools = await turn.repos.pairing.pools(t.id for t in teams)
    choices = await turn.repos.pairing.choices_of(turn.user.id)
    today = await today_of(turn.repos, turn.user, turn.now)
    lines = [_("**Your coffee chats**")]
    for team in teams:
        pool = pools.get(team.id)
        schedule = await turn.repos.schedules.get(team.id, ROUND_JOB)
        if pool is None or schedule is None or not schedule.enabled:
            lines.append(_("- {team}: coffee chats are not running there", team=team.name))
            continue
        reason = skip_reason(turn.user, choices.get(team.id), pool, today)
        state = (
            _("not taking part ({reason})", reason=_(SKIP_REASONS[reason]))
            if reason
            else _("you're in")
        )
        lines.append(
            _(
                "- {team}: {state}; next round {when}",
                team=team.name,
                state=state,
                when=_next_round(schedule, turn),
            )
        )
    lines.append(_('`join coffee` / `leave coffee` (add `team="Name"` for one team).'))
    turn.say("\n".join(lines))


def _next_round(schedule: Any, turn: Turn) -> str:
    spec = ScheduleSpec(
        schedule.cadence,
        schedule.weekday,
        schedule.local_time,
        schedule.timezone,
        schedule.effective_from,
    )
    due = next_due(spec, turn.now)
    return _(
        "{day} at {time} ({zone})",
        day=i18n.when(date.fromisoformat(due.period), "%Y-%m-%d"),
        time=schedule.local_time,
        zone=schedule.timezone,
    )


async def dont_pair(turn: Turn) -> None:
    other = await _person(turn, "don't pair me with")  # i18n: not said
    if other is None:
        return
    added = await turn.repos.pairing.add_dont_pair(turn.user.id, other.id, turn.now)
    first = _("Got it") if added else _("Already noted")
    turn.say(
        _(
            "{first}: I'll never put you in a coffee group with {name}. "
            "Nobody else can see this list; `my data` shows it and "
            "`pair me again with {name}` undoes it.",
            first=first,
            name=display(other),
        )
    )


async def allow_pair(turn: Turn) -> None:
    other = await _person(turn, "pair me again with")  # i18n: not said
    if other is None:
        return
    if await turn.repos.pairing.remove_dont_pair(turn.user.id, other.id):
        turn.say(_("Okay, {name} can be your coffee partner again.", name=display(other)))
    else:
        turn.say(_("{name} wasn't on your don't-pair list. Nothing changed.", name=display(other)))


async def answer_followup(turn: Turn) -> None:
    """The follow-up card's submit: validated here, since a card is no trust boundary."""
    value = turn.inbound.value
    group = forms.row_id(value.get("group"))
    seat = await turn.repos.pairing.seat(group, turn.user.id) if group is not None else None
    if seat is None:
        turn.say(_("I can't find that coffee chat of yours. Nothing was saved."))
        return
    if not await members.require(turn, seat.team_id):
        return
    met, rating, comment, problems = _followup_values(value)
    if problems:
        turn.say(
            _("I couldn't save that: {problems}. Nothing was saved.", problems="; ".join(problems))
        )
        return
    again = seat.answered_at is not None and seat.met is not None
    seat.met, seat.rating, seat.comment, seat.answered_at = met, rating, comment, turn.now
    turn.say(_thanks(met, again))


def _followup_values(value: dict[str, Any]) -> tuple[str, int | None, str | None, list[str]]:
    problems = []
    met = value.get("met")
    if met not in MET:
        problems.append(_("please choose whether you met (yes, not yet or no)"))
    raw_rating = value.get("rating")
    rating = None if raw_rating in (None, "") else forms.whole(raw_rating)
    if raw_rating not in (None, "") and (rating is None or not 1 <= rating <= 5):
        problems.append(_("the rating must be a whole number from 1 to 5"))
    comment = forms.text_or_problem(value.get("comment"), MAX_COMMENT, _("the comment"), problems)
    return str(met), rating if met == "yes" else None, comment or None, problems


def _thanks(met: str, again: bool) -> str:
    if met == "yes":
        thanks = _("Thanks! Glad you met. ☕")
    elif met == "not_yet":
        thanks = _("Thanks for letting me know. There's still time: the Chat button helps.")
    else:
        thanks = _("Thanks for telling me. Next round brings someone new.")
    return _("Updated. {thanks}", thanks=thanks) if again else thanks


# --- helpers ----------------------------------------------------------------------------
async def _my_teams(turn: Turn) -> list[Team]:
    return await member_teams(turn.repos, turn.user)


async def _chosen_teams(turn: Turn) -> list[Team]:
    teams = await _my_teams(turn)
    if not teams:
        turn.say(_("You're not in any team I'm part of yet. Nothing changed."))
        return []
    wanted = turn.args.get("team")
    if not wanted:
        return teams
    named = [t for t in teams if (t.name or "").lower() == wanted.lower()]
    if not named:
        turn.say(
            _(
                "You're not in a team called '{wanted}'. Your teams: {teams}. Nothing changed.",
                wanted=wanted,
                teams=_team_names(teams),
            )
        )
    return named


async def _person(turn: Turn, command: str) -> User | None:
    """The one person named by an @mention, `user=` or the words after the command."""
    mentions = turn.inbound.mentions
    if len(mentions) > 1:
        turn.say(
            _(
                "Please name one person at a time: `{command} @name`. Nothing changed.",
                command=command,
            )
        )
        return None
    if mentions:
        found = await turn.repos.users.by_teams_id(mentions[0].id)
        candidates = [found] if found is not None else []
        query = mentions[0].name or _("that person")
    else:
        query = (turn.args.get("user") or turn.rest).strip().lstrip("@")
        if not query:
            turn.say(
                _('Who? Try `{command} user="name or email"`. Nothing changed.', command=command)
            )
            return None
        teams = [t.id for t in await _my_teams(turn)]
        candidates = await turn.repos.pairing.users_in_teams_matching(teams, query)
    candidates = [u for u in candidates if u.id != turn.user.id]
    none = _("I can't find '{query}' in your teams (or that's you). Nothing changed.", query=query)
    return one_of(turn, query, candidates, none)


def _team_names(teams: list[Team]) -> str:
    return ", ".join(t.name or _("a team") for t in teams)


# --- members' data -----------------------------------------------------------------------
async def export(turn: Turn) -> dict[str, Any]:
    """Their own coffee data: choices, don't-pair list, groups and their own answers."""
    repos, user = turn.repos, turn.user
    choices = await repos.pairing.choices_of(user.id)
    teams = await repos.teams.by_ids(choices)
    seats = await repos.pairing.seats_of(user.id)
    members = await repos.pairing.group_members(s.group_id for s, _r, _t in seats)
    people = await repos.users.by_ids({u for ids in members.values() for u in ids})
    return {
        "dont_pair_with": [display(u) for u in await repos.pairing.dont_pair_of(user.id)],
        "choices": [
            {
                "team": teams[team_id].name if team_id in teams else None,
                "joined": c.joined,
                "paused_for_unanswered_followups": c.ghost_paused_at is not None,
            }
            for team_id, c in choices.items()
        ],
        "rounds": [
            {
                "team": team.name,
                "date": pair_round.created_at,
                "partners": [
                    display(people.get(u)) for u in members[seat.group_id] if u != user.id
                ],
                "met": seat.met,
                "rating": seat.rating,
                "comment": seat.comment,
            }
            for seat, pair_round, team in seats
        ],
    }


async def erase(turn: Turn) -> None:
    await turn.repos.pairing.erase_user(turn.user.id)


DATA = DataPart("coffee", export, erase, words=lambda e: [r["comment"] or "" for r in e["rounds"]])
