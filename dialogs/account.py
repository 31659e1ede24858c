"""What every user can do 1:1: onboarding, profile, help, pause, opt out, their data."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dialogs import goals, icebreakers
from dialogs import profile as profile_mod
from dialogs.cards import render
from dialogs.people import display
from dialogs.router import Command, Turn
from storage.models import User

# A card's text stays well under Teams' 80 KB message limit.
MAX_EXPORT_CHARS = 60_000


async def start_onboarding(turn: Turn) -> None:
    turn.user.onboarding_sent_at = turn.now
    name = turn.user.name.split()[0] if turn.user.name else "there"
    turn.say(
        f"Hi {name}! I'm Mentorbot. I connect people for mentoring and coffee chats. "
        "Tell me a little about yourself to get started (type `help` any time)."
    )
    turn.result.show(profile_mod.form_card(None, turn.user.timezone_hint, "Your profile"))


async def show_help(turn: Turn) -> None:
    table = turn.env.table
    lines = ["Here's what you can say to me 1:1:"]
    lines += [
        f"- **{c.title}**: {c.summary}" for c in table.visible("anyone", "personal") if not c.slash
    ]
    lines.append("Team admins: type **/help** for admin commands.")
    turn.say("\n".join(lines))


async def show_admin_help(turn: Turn) -> None:
    table = turn.env.table
    lines = ["Admin commands (1:1 with me, or @mention me in a team channel):"]
    lines += [f"- **{c.title}**: {c.summary}" + _options(c) for c in table.visible("admin")]
    lines.append('In a 1:1 chat, add `team="Team name"` when you admin more than one team.')
    turn.say("\n".join(lines))


def _options(command: Command) -> str:
    if not command.args:
        return ""
    return " (options: " + "; ".join(f"`{a.name}=` {a.help}" for a in command.args) + ")"


async def show_profile(turn: Turn) -> None:
    current = await turn.repos.profiles.get(turn.user.id)
    if current is None:
        turn.say("You haven't set up your profile yet. Here's the form:")
        turn.result.show(profile_mod.form_card(None, turn.user.timezone_hint, "Your profile"))
        return
    turn.result.show(profile_mod.view_card(current, turn.user.timezone_hint))


async def save_profile(turn: Turn) -> None:
    values, errors = profile_mod.validate(turn.inbound.value)
    if errors:
        turn.say(
            "I couldn't save your profile. Please fix:\n"
            + "\n".join(f"- {e}" for e in errors)
            + "\n\nNothing was saved."
        )
        return
    created = await turn.repos.profiles.save(turn.user.id, values, turn.now)
    turn.say(
        "Profile updated."
        if not created
        else "Thanks, your profile is saved! Type `profile` to see or change it, "
        "`help` for everything else."
    )


async def pause(turn: Turn) -> None:
    words = turn.rest.split()
    if not words:
        turn.user.paused, turn.user.paused_until = True, None
        turn.say("Paused. I won't pair you or send you check-ins until you type `resume`.")
        return
    if len(words) != 2 or words[0].lower() != "until":
        turn.say(
            "To pause for a while, type `pause` or `pause until YYYY-MM-DD` "
            "(for example `pause until 2026-12-31`)."
        )
        return
    until = _parse_date(words[1])
    today = _today(turn)
    if until is None:
        turn.say(
            f"'{words[1]}' isn't a date I can read. Use YYYY-MM-DD, "
            "for example `pause until 2026-12-31`. Nothing changed."
        )
    elif until <= today:
        turn.say(
            f"{until.isoformat()} is not in the future (today is {today.isoformat()}). "
            "Pick a later date. Nothing changed."
        )
    else:
        turn.user.paused, turn.user.paused_until = True, until
        turn.say(
            f"Paused until {until.isoformat()}. I'll pick up again the day after; "
            "type `resume` to come back sooner."
        )


async def resume(turn: Turn) -> None:
    was_paused = is_paused(turn.user, _today(turn))
    turn.user.paused, turn.user.paused_until = False, None
    was_paused |= bool(await turn.repos.pairing.clear_ghost_pauses(turn.user.id, turn.now))
    turn.say("Welcome back! You're active again." if was_paused else "You're already active.")


async def opt_out(turn: Turn) -> None:
    turn.user.opted_out = True
    turn.say(
        "You're opted out: no pairings, check-ins or nudges from me. "
        "Your profile stays; type `opt in` to come back or `delete my data` to remove it."
    )


async def opt_in(turn: Turn) -> None:
    already = not turn.user.opted_out
    turn.user.opted_out = False
    turn.say("You're already in." if already else "You're back in. Welcome!")


async def my_data(turn: Turn) -> None:
    export = await export_user(turn)
    text = json.dumps(export, indent=2, ensure_ascii=False, default=str)
    if len(text) > MAX_EXPORT_CHARS:
        text = text[:MAX_EXPORT_CHARS] + "\n… (cut here to fit a Teams message)"
    summary = [
        {"title": "Profile", "value": "yes" if export["profile"] else "not set up"},
        {"title": "Teams", "value": str(len(export["teams"]))},
        {"title": "Icebreaker answers", "value": str(len(export["icebreakers"]["answers"]))},
        {"title": "Goals", "value": str(len(export["goals_and_checkins"]["goals"]))},
        {"title": "Status", "value": export["account"]["status"]},
    ]
    turn.result.show(render("my_data", summary=summary, json=f"```\n{text}\n```"))


async def export_user(turn: Turn) -> dict[str, Any]:
    user, repos = turn.user, turn.repos
    current = await repos.profiles.get(user.id)
    memberships = await repos.members.of_user(user.id)
    admin_of = {t.id for t in await repos.admins.teams_of(user.id)}
    coffee = await _coffee_export(turn)
    return {
        "account": {
            "name": user.name,
            "email": user.email,
            "user_principal_name": user.upn,
            "teams_user_id": user.teams_id,
            "aad_object_id": user.aad_object_id,
            "tenant_id": user.tenant_id,
            "time_zone_from_teams": user.timezone_hint,
            "locale": user.locale,
            "status": status(user, _today(turn)),
            "paused_until": user.paused_until,
            "first_seen": user.first_seen_at,
            "last_seen": user.last_seen_at,
        },
        "profile": profile_mod.as_dict(current) if current else None,
        "teams": [
            {
                "team": t.name,
                "member": m.active,
                "joined": m.joined_at,
                "left": m.left_at,
                "admin": t.id in admin_of or t.installer_id == user.id,
            }
            for m, t in memberships
        ],
        "coffee": coffee,
        "mentoring": await _mentoring_export(turn),
        "icebreakers": await icebreakers.export(repos, user.id),
        "goals_and_checkins": await goals.export(repos, user.id),
    }


async def _mentoring_export(turn: Turn) -> dict[str, Any]:
    """Their enrolments and mentorships, with their own private end reasons only."""
    repos, user = turn.repos, turn.user
    enrolments = await repos.programs.enrolments_of(user.id)
    mentorships = await repos.programs.mentorships_of(user.id, live_only=False)
    programs = {
        p.id: p
        for p in [
            await repos.programs.get(i)
            for i in {e.program_id for e in enrolments} | {m.program_id for m in mentorships}
        ]
        if p
    }
    people = await repos.users.by_ids(
        {m.mentor_id for m in mentorships} | {m.mentee_id for m in mentorships}
    )
    return {
        "enrolments": [
            {
                "program": programs[e.program_id].name if e.program_id in programs else None,
                "role": e.role,
                "what_i_want": e.wants,
                "capacity": e.capacity,
                "active": e.active,
            }
            for e in enrolments
        ],
        "mentorships": [
            {
                "program": programs[m.program_id].name if m.program_id in programs else None,
                "mentor": display(people.get(m.mentor_id)),
                "mentee": display(people.get(m.mentee_id)),
                "status": m.status,
                "started": m.started_at,
                "ended": m.ended_at,
                "my_reason_for_ending": m.end_reason if m.ended_by_id == user.id else None,
            }
            for m in mentorships
        ],
    }


async def _coffee_export(turn: Turn) -> dict[str, Any]:
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


async def ask_delete(turn: Turn) -> None:
    turn.result.show(render("delete_confirm"))


async def confirm_delete(turn: Turn) -> None:
    await erase(turn)
    turn.say(
        "Done. I've deleted your profile and personal data and won't message you again. "
        "If you ever write to me again, we'll start fresh."
    )


async def cancel_delete(turn: Turn) -> None:
    turn.say("Okay, nothing was deleted.")


async def erase(turn: Turn) -> None:
    """Remove personal data; the row stays, anonymous, so team counts stay true."""
    user, repos = turn.user, turn.repos
    await repos.profiles.delete(user.id)
    await repos.pairing.erase_user(user.id)
    await repos.programs.erase_user(user.id, turn.now)
    await repos.admins.remove_user(user.id)
    await repos.outbox.drop_for_user(user.id)
    await icebreakers.erase_user(turn)
    await goals.erase_user(turn)
    for attr in (
        "teams_id",
        "aad_object_id",
        "name",
        "email",
        "upn",
        "personal_ref",
        "timezone_hint",
        "locale",
        "paused_until",
        "service_url",
        "last_seen_at",
    ):
        setattr(user, attr, None)
    user.opted_out, user.paused, user.erased_at = True, False, turn.now


def is_paused(user: User, today: date) -> bool:
    return user.paused and (user.paused_until is None or today <= user.paused_until)


def status(user: User, today: date) -> str:
    if user.opted_out:
        return "opted out"
    if is_paused(user, today):
        return f"paused until {user.paused_until}" if user.paused_until else "paused"
    return "active"


def _today(turn: Turn) -> date:
    return local_date(turn.user, turn.now)


def local_date(user: User, now: datetime) -> date:
    """The date where the user is (Teams' time zone hint), else the UTC date."""
    tz = user.timezone_hint
    try:
        zone = ZoneInfo(tz) if tz else None
    except (KeyError, ValueError):
        zone = None
    return now.astimezone(zone).date() if zone else now.date()


def _parse_date(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None
