"""What members say about coffee chats 1:1: join, leave, status, don't-pair lists, and
their answer to a follow-up card."""

from __future__ import annotations

from typing import Any

from dialogs.coffee.rounds import ROUND_JOB, SKIP_REASONS, skip_reason
from dialogs.core import forms, members
from dialogs.core.local_time import today_of
from dialogs.core.people import display, member_teams, one_of
from dialogs.core.router import DataPart, Turn
from scheduler.periods import ScheduleSpec, next_due
from storage.models import Team, User

FOLLOWUP_ACTION = "pair_followup"

MAX_COMMENT = 500
MET = {"yes": "Yes", "not_yet": "Not yet", "no": "No"}


async def join(turn: Turn) -> None:
    teams = await _chosen_teams(turn)
    if not teams:
        return
    for team in teams:
        choice = await turn.repos.pairing.choice(team.id, turn.user.id, turn.now)
        choice.joined, choice.ghost_paused_at = True, None
        choice.misses_from, choice.updated_at = turn.now, turn.now
    extra = " You're opted out of everything, though: type `opt in` first." * turn.user.opted_out
    turn.say(f"You're in for coffee chats in {_team_names(teams)}. ☕{extra}")


async def leave(turn: Turn) -> None:
    teams = await _chosen_teams(turn)
    if not teams:
        return
    for team in teams:
        choice = await turn.repos.pairing.choice(team.id, turn.user.id, turn.now)
        choice.joined, choice.updated_at = False, turn.now
    turn.say(
        f"Done: no more coffee partners in {_team_names(teams)}. "
        "Type `join coffee` any time to come back."
    )


async def status(turn: Turn) -> None:
    teams = await _my_teams(turn)
    if not teams:
        turn.say("You're not in any team I'm part of, so there are no coffee chats for you yet.")
        return
    pools = await turn.repos.pairing.pools(t.id for t in teams)
    choices = await turn.repos.pairing.choices_of(turn.user.id)
    today = await today_of(turn.repos, turn.user, turn.now)
    lines = ["**Your coffee chats**"]
    for team in teams:
        pool = pools.get(team.id)
        schedule = await turn.repos.schedules.get(team.id, ROUND_JOB)
        if pool is None or schedule is None or not schedule.enabled:
            lines.append(f"- {team.name}: coffee chats are not running there")
            continue
        reason = skip_reason(turn.user, choices.get(team.id), pool, today)
        state = f"not taking part ({SKIP_REASONS[reason]})" if reason else "you're in"
        lines.append(f"- {team.name}: {state}; next round {_next_round(schedule, turn)}")
    lines.append('`join coffee` / `leave coffee` (add `team="Name"` for one team).')
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
    return f"{due.period} at {schedule.local_time} ({schedule.timezone})"


async def dont_pair(turn: Turn) -> None:
    other = await _person(turn, "don't pair me with")
    if other is None:
        return
    added = await turn.repos.pairing.add_dont_pair(turn.user.id, other.id, turn.now)
    first = "Got it" if added else "Already noted"
    turn.say(
        f"{first}: I'll never put you in a coffee group with {display(other)}. "
        "Nobody else can see this list; `my data` shows it and "
        f"`pair me again with {display(other)}` undoes it."
    )


async def allow_pair(turn: Turn) -> None:
    other = await _person(turn, "pair me again with")
    if other is None:
        return
    if await turn.repos.pairing.remove_dont_pair(turn.user.id, other.id):
        turn.say(f"Okay, {display(other)} can be your coffee partner again.")
    else:
        turn.say(f"{display(other)} wasn't on your don't-pair list. Nothing changed.")


async def answer_followup(turn: Turn) -> None:
    """The follow-up card's submit: validated here, since a card is no trust boundary."""
    value = turn.inbound.value
    group = forms.row_id(value.get("group"))
    seat = await turn.repos.pairing.seat(group, turn.user.id) if group is not None else None
    if seat is None:
        turn.say("I can't find that coffee chat of yours. Nothing was saved.")
        return
    if not await members.require(turn, seat.team_id):
        return
    met, rating, comment, problems = _followup_values(value)
    if problems:
        turn.say("I couldn't save that: " + "; ".join(problems) + ". Nothing was saved.")
        return
    again = seat.answered_at is not None and seat.met is not None
    seat.met, seat.rating, seat.comment, seat.answered_at = met, rating, comment, turn.now
    turn.say(_thanks(met, again))


def _followup_values(value: dict[str, Any]) -> tuple[str, int | None, str | None, list[str]]:
    problems = []
    met = value.get("met")
    if met not in MET:
        problems.append("please choose whether you met (yes, not yet or no)")
    raw_rating = value.get("rating")
    rating = None if raw_rating in (None, "") else forms.whole(raw_rating)
    if raw_rating not in (None, "") and (rating is None or not 1 <= rating <= 5):
        problems.append("the rating must be a whole number from 1 to 5")
    comment = forms.text_or_problem(value.get("comment"), MAX_COMMENT, "the comment", problems)
    return str(met), rating if met == "yes" else None, comment or None, problems


def _thanks(met: str, again: bool) -> str:
    prefix = "Updated. " if again else ""
    if met == "yes":
        return prefix + "Thanks! Glad you met. ☕"
    if met == "not_yet":
        return prefix + "Thanks for letting me know. There's still time: the Chat button helps."
    return prefix + "Thanks for telling me. Next round brings someone new."


# --- helpers ----------------------------------------------------------------------------
async def _my_teams(turn: Turn) -> list[Team]:
    return await member_teams(turn.repos, turn.user)


async def _chosen_teams(turn: Turn) -> list[Team]:
    teams = await _my_teams(turn)
    if not teams:
        turn.say("You're not in any team I'm part of yet. Nothing changed.")
        return []
    wanted = turn.args.get("team")
    if not wanted:
        return teams
    named = [t for t in teams if (t.name or "").lower() == wanted.lower()]
    if not named:
        turn.say(
            f"You're not in a team called '{wanted}'. Your teams: {_team_names(teams)}. "
            "Nothing changed."
        )
    return named


async def _person(turn: Turn, command: str) -> User | None:
    """The one person named by an @mention, `user=` or the words after the command."""
    mentions = turn.inbound.mentions
    if len(mentions) > 1:
        turn.say(f"Please name one person at a time: `{command} @name`. Nothing changed.")
        return None
    if mentions:
        found = await turn.repos.users.by_teams_id(mentions[0].id)
        candidates = [found] if found is not None else []
        query = mentions[0].name or "that person"
    else:
        query = (turn.args.get("user") or turn.rest).strip().lstrip("@")
        if not query:
            turn.say(f'Who? Try `{command} user="name or email"`. Nothing changed.')
            return None
        teams = [t.id for t in await _my_teams(turn)]
        candidates = await turn.repos.pairing.users_in_teams_matching(teams, query)
    candidates = [u for u in candidates if u.id != turn.user.id]
    none = f"I can't find '{query}' in your teams (or that's you). Nothing changed."
    return one_of(turn, query, candidates, none)


def _team_names(teams: list[Team]) -> str:
    return ", ".join(t.name or "a team" for t in teams)


# --- members' data -----------------------------------------------------------------------
async def export(turn: Turn) -> dict[str, Any]:
    """Their own coffee data: choices, don't-pair list, groups and their own answers."""
    repos, user = turn.repos, turn.user
    choices = await repos.pairing.choices_of(user.id)
    teams = await repos.teams.by_ids(choices)
    seats = await repos.pairing.seats_of(user.id)
    members = await repos.pairing.group_members(s.group_id for s, _, _ in seats)
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
