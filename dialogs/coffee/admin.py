"""Admins steer coffee pairing: /pair settings|preview|now|history and /lottery.

The dispatcher has resolved `turn.team` and checked the sender is its admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from statistics import mean
from typing import Any

from dialogs.coffee import rounds as pairing
from dialogs.core import forms, schedule_args
from dialogs.core.admins import team_of
from dialogs.core.local_time import zone_name
from dialogs.core.people import display, team_member_named
from dialogs.core.router import Turn
from dialogs.core.words import is_are, plural
from scheduler.periods import WEEKDAYS, ScheduleSpec, next_due
from storage.models import PairPool, PairRound, Schedule, Team, User

RECENT_ROUND = timedelta(hours=12)  # `/pair now` asks for "again" inside this
HISTORY_ROUNDS = 8
PREVIEW_GROUPS = 40  # groups listed by /pair preview before "and N more"
MAX_LOTTERY_WINNERS = 3  # the host plus winners make one group of at most 4
ON, OFF = ("on", "yes", "true", "1"), ("off", "no", "false", "0")
CADENCE_NAMES = {"weekly": "every week", "biweekly": "every 2 weeks", "monthly": "every month"}
MODES = {"everyone": False, "opt-in": True, "optin": True}

SETTINGS_HELP = (
    "Change with `/pair settings` and any of: `pairing=on|off`, "
    "`cadence=weekly|biweekly|monthly`, `day=monday`, `time=09:00`, "
    "`timezone=Europe/Berlin`, `size=2` (2 to 4), `history=12` (rounds without repeats, "
    "0 to 52), `cross_department=on|off`, `mode=everyone|opt-in`, "
    "`followup=5` (days, 1 to 14), `channel=here|none`, `groupchat=on|off` (a group "
    "chat per group for its intro, with Microsoft Graph)."
)


@dataclass
class Timing:
    enabled: bool
    cadence: str
    weekday: int
    local_time: str
    timezone: str


# --- /pair settings ---------------------------------------------------------------------
async def settings(turn: Turn) -> None:
    team = team_of(turn)
    pool = await turn.repos.pairing.ensure_pool(team.id, turn.now)
    schedule = await turn.repos.schedules.get(team.id, pairing.ROUND_JOB)
    timing = _timing(schedule, turn.user)
    changes = {k: v for k, v in turn.args.items() if k != "team"}
    if changes:
        errors = _apply(turn, pool, timing, changes)
        if errors:
            turn.say(
                "I couldn't change the settings:\n"
                + "\n".join(f"- {e}" for e in errors)
                + "\nNothing changed."
            )
            return
        pool.updated_at = turn.now
        schedule = await turn.repos.schedules.upsert(
            team.id,
            pairing.ROUND_JOB,
            timing.cadence,
            timing.weekday,
            timing.local_time,
            timing.timezone,
            timing.enabled,
            turn.now,
        )
        turn.say(
            "Saved. Changes apply from the next round.\n" + _describe(turn, team, pool, schedule)
        )
        return
    turn.say(_describe(turn, team, pool, schedule))


def _timing(schedule: Schedule | None, admin: User) -> Timing:
    if schedule is None:
        return Timing(False, "weekly", 0, "09:00", zone_name(admin.timezone_hint))
    return Timing(
        schedule.enabled,
        schedule.cadence,
        schedule.weekday,
        schedule.local_time,
        schedule.timezone,
    )


def _apply(turn: Turn, pool: PairPool, timing: Timing, changes: dict[str, str]) -> list[str]:
    """Validate every change first; apply only when all are valid."""
    setters: list[Any] = []
    errors: list[str] = []
    for key, raw in changes.items():
        if key in schedule_args.OPTIONS:
            continue
        parse = _PARSERS.get(key)
        if parse is None:
            errors.append(f"`{key}=` is not a setting. {SETTINGS_HELP}")
            continue
        try:
            setters.append(parse(turn, raw.strip()))
        except ValueError as exc:
            errors.append(f"`{key}=`: {exc}")
    current = schedule_args.Timing(
        timing.cadence, timing.weekday, timing.local_time, timing.timezone
    )
    when, problems = schedule_args.read(changes, current)
    errors += [f"`{p.option}=`: {p.message}" for p in problems]
    if not errors:
        for setter in setters:
            setter(pool, timing)
        timing.cadence, timing.weekday, timing.local_time = (
            when.cadence,
            when.weekday,
            when.local_time,
        )
        timing.timezone = when.timezone or timing.timezone
    return errors


def _on_off(raw: str) -> bool:
    word = raw.lower()
    if word in ON:
        return True
    if word in OFF:
        return False
    raise ValueError(f"use on or off, not '{raw}'")


def _number(raw: str, low: int, high: int, what: str) -> int:
    number = forms.whole(raw)
    if number is None or not low <= number <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, not '{raw}'")
    return number


def _set_pairing(turn: Turn, raw: str) -> Any:
    on = _on_off(raw)
    return lambda pool, t: setattr(t, "enabled", on)


def _set_size(turn: Turn, raw: str) -> Any:
    size = _number(raw, 2, 4, "group size")
    return lambda pool, t: setattr(pool, "group_size", size)


def _set_history(turn: Turn, raw: str) -> Any:
    rounds = _number(raw, 0, 52, "history")
    return lambda pool, t: setattr(pool, "history_rounds", rounds)


def _set_cross(turn: Turn, raw: str) -> Any:
    on = _on_off(raw)
    return lambda pool, t: setattr(pool, "cross_department", on)


def _set_mode(turn: Turn, raw: str) -> Any:
    if raw.lower() not in MODES:
        raise ValueError(f"use everyone (members are in unless they leave) or opt-in, not '{raw}'")
    opt_in = MODES[raw.lower()]
    return lambda pool, t: setattr(pool, "opt_in", opt_in)


def _set_followup(turn: Turn, raw: str) -> Any:
    days = _number(raw, 1, 14, "follow-up delay (days)")
    return lambda pool, t: setattr(pool, "followup_days", days)


def _set_channel(turn: Turn, raw: str) -> Any:
    word = raw.lower()
    if word in ("none", "off"):
        return lambda pool, t: _set_notice_channel(pool, None, None)
    if word != "here":
        raise ValueError("use `channel=here` (in the channel, @mentioning me) or `channel=none`")
    inbound = turn.inbound
    if inbound.conversation_type != "channel" or inbound.team_id is None:
        raise ValueError("`channel=here` only works in a team channel, @mentioning me")
    conversation = inbound.channel_id or inbound.conversation_id.split(";", 1)[0]
    name = inbound.channel_name or "this channel"
    return lambda pool, t: _set_notice_channel(pool, conversation, name)


def _set_notice_channel(pool: PairPool, conversation: str | None, name: str | None) -> None:
    pool.channel_ref, pool.channel_name = conversation, name


def _set_groupchat(turn: Turn, raw: str) -> Any:
    on = _on_off(raw)
    return lambda pool, t: setattr(pool, "group_chats", on)


_PARSERS = {
    "groupchat": _set_groupchat,
    "pairing": _set_pairing,
    "size": _set_size,
    "history": _set_history,
    "cross_department": _set_cross,
    "mode": _set_mode,
    "followup": _set_followup,
    "channel": _set_channel,
}


def _describe(turn: Turn, team: Team, pool: PairPool, schedule: Schedule | None) -> str:
    on = schedule is not None and schedule.enabled
    lines = [f"**Coffee pairing in {team.name}: {'on' if on else 'off'}**"]
    if schedule is not None:
        spec = ScheduleSpec(
            schedule.cadence,
            schedule.weekday,
            schedule.local_time,
            schedule.timezone,
            schedule.effective_from,
        )
        when = (
            f"{CADENCE_NAMES[schedule.cadence]} on {WEEKDAYS[schedule.weekday]} at "
            f"{schedule.local_time} ({schedule.timezone})"
        )
        upcoming = f"; next round {next_due(spec, turn.now).period}" if on else ""
        lines.append(f"- When: {when}{upcoming}")
    mode = "opt-in (members type `join coffee`)" if pool.opt_in else "everyone, unless they leave"
    lines += [
        f"- Group size: {pool.group_size}",
        f"- No repeats within the last {plural(pool.history_rounds, 'round')}",
        f"- Prefer other departments: {'on' if pool.cross_department else 'off'}",
        f"- Who takes part: {mode}",
        f"- Follow-up: {plural(pool.followup_days, 'day')} after each round",
        f"- Round notices: {_notice_line(pool)}",
        f"- Lottery: {_lottery_line(pool)}",
        f"- Group chats: {_chats_line(turn, pool)}",
    ]
    if not on:
        lines.append("Turn it on with `/pair settings pairing=on`.")
    lines.append(SETTINGS_HELP)
    return "\n".join(lines)


def _chats_line(turn: Turn, pool: PairPool) -> str:
    if not pool.group_chats:
        return "off (intros come 1:1)"
    if not turn.env.graph:
        return "on, but Microsoft Graph is not connected, so intros come 1:1"
    return "on (a group chat per group for its intro, where Graph allows; see `/graph status`)"


def _notice_line(pool: PairPool) -> str:
    if not pool.channel_ref:
        return "none (`channel=here` in a channel posts a short notice there each round)"
    return f"posted in {pool.channel_name or 'the chosen channel'}"


def _lottery_line(pool: PairPool) -> str:
    if not pool.lottery_winners or pool.lottery_host_id is None:
        return "off"
    return f"on, {plural(pool.lottery_winners, 'winner')} a round meet the host"


def _ago(hours: int) -> str:
    return "less than an hour ago" if hours < 1 else f"{plural(hours, 'hour')} ago"


# --- /pair preview, /pair now ------------------------------------------------------------
async def preview(turn: Turn) -> None:
    team = team_of(turn)
    pool = await turn.repos.pairing.ensure_pool(team.id, turn.now)
    schedule = await turn.repos.schedules.get(team.id, pairing.ROUND_JOB)
    last = await turn.repos.pairing.last_round(team.id)
    # The draw `/pair now` would make: the same seed and the same inputs.
    plan = await pairing.plan_round(turn.repos, team, pool, turn.now, _now_seed(team, last))
    text = _plan_text(plan, f"Preview for {team.name} (nothing was sent)")
    text += (
        "\n\nIf nothing changes before then (members, profiles, pauses, settings), "
        "`/pair now` makes exactly these groups."
    )
    next_period = _next_period(schedule, turn)
    if next_period is not None:
        text += " The next scheduled round draws its own groups."
    turn.say(text)


def _now_seed(team: Team, last: PairRound | None) -> int:
    """`/pair now`'s draw depends only on the round before it, so a preview can show it."""
    return pairing.round_seed(team.id, f"now:after{last.id if last else 0}")


def _next_period(schedule: Schedule | None, turn: Turn) -> str | None:
    if schedule is None or not schedule.enabled:
        return None
    spec = ScheduleSpec(
        schedule.cadence,
        schedule.weekday,
        schedule.local_time,
        schedule.timezone,
        schedule.effective_from,
    )
    return next_due(spec, turn.now).period


async def run_now(turn: Turn) -> None:
    team = team_of(turn)
    pool = await turn.repos.pairing.ensure_pool(team.id, turn.now)
    last = await turn.repos.pairing.last_round(team.id)
    if last is not None and turn.now - last.created_at < RECENT_ROUND and turn.rest != "again":
        hours = max(int((turn.now - last.created_at).total_seconds() // 3600), 0)
        turn.say(
            f"A round ran in {team.name} {_ago(hours)}. To make another one anyway, "
            "type `/pair now again`. Nothing was sent."
        )
        return
    # Keyed by the round it follows: two admins pressing at once make one round, not two.
    period = f"now:{turn.now:%Y-%m-%dT%H:%M:%S}:after{last.id if last else 0}"
    if await turn.repos.pairing.round_by_period(team.id, period) is not None:
        turn.say("A round was made this very second. Nothing more was sent.")
        return
    plan = await pairing.plan_round(turn.repos, team, pool, turn.now, _now_seed(team, last))
    await pairing.commit_round(turn.repos, plan, turn.now, period, "admin", graph=turn.env.graph)
    turn.result.queued += plan.placed + len(plan.unplaced) + len(plan.ghosts) + 1
    turn.say(_plan_text(plan, f"New round in {team.name}: intros are on their way"))


def _plan_text(plan: pairing.Plan, heading: str) -> str:
    lines = [f"**{heading}**"]
    if plan.lottery:
        host, *winners = plan.lottery
        lines.append(f"- Lottery: {display(host)} meets {_names(winners)}")
    for group in plan.groups[:PREVIEW_GROUPS]:
        lines.append("- " + _names(group))
    if len(plan.groups) > PREVIEW_GROUPS:
        lines.append(f"- … and {len(plan.groups) - PREVIEW_GROUPS} more groups")
    if not plan.groups and not plan.lottery:
        lines.append("- No groups: fewer than two members can take part.")
    lines.append(_counts(plan))
    if plan.unplaced:
        names = _names([u for u, _ in plan.unplaced])
        lines.append(f"Can't be placed this round: {names} (each gets a message saying why).")
    if plan.ghosts:
        lines.append(
            f"Paused for {pairing.GHOST_ROUNDS} unanswered follow-ups in a row: "
            f"{len(plan.ghosts)} (they get a friendly message)."
        )
    return "\n".join(lines)


def _counts(plan: pairing.Plan) -> str:
    skipped = ", ".join(
        f"{n} {pairing.SKIP_REASONS.get(reason, reason)}"
        for reason, n in sorted(plan.skipped.items())
        if reason in pairing.SKIP_REASONS
    )
    groups = len(plan.groups) + bool(plan.lottery)
    text = f"{plural(plan.placed, 'person')} in {plural(groups, 'group')}"
    text += f"; repeats within the history window: {plan.repeats}"
    return text + (f"; not taking part: {skipped}" if skipped else "")


# --- /pair history ------------------------------------------------------------------------
async def history(turn: Turn) -> None:
    team = team_of(turn)
    stats = await turn.repos.pairing.recent_stats(team.id, HISTORY_ROUNDS)
    if not stats:
        turn.say(f"No coffee rounds in {team.name} yet. `/pair now` makes one.")
        return
    lines = [f"**Recent coffee rounds in {team.name}** (answers are counts only)"]
    for s in stats:
        r = s.round
        how = "scheduled" if r.trigger == "schedule" else "by an admin"
        rating = f"; rating {mean(s.ratings):.1f} from {len(s.ratings)}" if s.ratings else ""
        unplaced = r.summary.get("unplaced", 0)
        lines.append(
            f"- {r.created_at:%Y-%m-%d} ({how}): {plural(s.groups, 'group')}, "
            f"{plural(s.seats, 'person')}; "
            f"met: {s.met['yes']} yes, {s.met['not_yet']} not yet, {s.met['no']} no"
            f"{rating}; repeats {r.summary.get('repeats', 0)}; unplaced {unplaced}"
        )
    turn.say("\n".join(lines))


# --- /lottery -----------------------------------------------------------------------------
async def lottery(turn: Turn) -> None:
    team = team_of(turn)
    pool = await turn.repos.pairing.ensure_pool(team.id, turn.now)
    if turn.rest.lower() == "off" and not turn.args.get("host"):
        pool.lottery_winners, pool.updated_at = 0, turn.now
        turn.say(f"The coffee lottery in {team.name} is off.")
        return
    if not turn.args and not turn.rest:
        await _lottery_status(turn, team, pool)
        return
    winners_raw = turn.args.get("winners", "1")
    try:
        winners = _number(winners_raw, 1, MAX_LOTTERY_WINNERS, "winners")
    except ValueError as exc:
        turn.say(f"{exc}. Nothing changed.")
        return
    host = await _host(turn, team)
    if host is None:
        return
    if pool.lottery_host_id != host.id or pool.lottery_since is None:
        pool.lottery_since = turn.now  # a new host: everyone gets a fresh turn
    pool.lottery_host_id, pool.lottery_winners, pool.updated_at = host.id, winners, turn.now
    turn.say(
        f"Coffee lottery on in {team.name}: each round {plural(winners, 'member')} "
        f"{is_are(winners)} drawn to meet "
        f"{display(host)}. Nobody wins twice before everyone taking part has had a turn. "
        "`/lottery off` stops it."
    )


async def _lottery_status(turn: Turn, team: Team, pool: PairPool) -> None:
    if not pool.lottery_winners or pool.lottery_host_id is None:
        turn.say(
            f"No coffee lottery in {team.name}. Start one with `/lottery host=@name winners=2`."
        )
        return
    host = await turn.repos.users.get(pool.lottery_host_id)
    since = pool.lottery_since or turn.now
    wins = await turn.repos.pairing.lottery_wins(team.id, pool.lottery_host_id, since)
    turn.say(
        f"Coffee lottery in {team.name}: {plural(pool.lottery_winners, 'winner')} a round meet "
        f"{display(host)}; {plural(len(wins), 'member')} {'has' if len(wins) == 1 else 'have'} "
        "had a turn so far. `/lottery off` stops it."
    )


async def _host(turn: Turn, team: Team) -> User | None:
    mentions = turn.inbound.mentions
    if len(mentions) == 1:
        user = await turn.repos.users.by_teams_id(mentions[0].id)
        if user is None:
            turn.say(f"I don't know {mentions[0].name or 'that person'} yet. Nothing changed.")
        return user
    query = (turn.args.get("host") or "").strip().lstrip("@")
    if not query:
        turn.say("Who hosts? Try `/lottery host=@name winners=2`. Nothing changed.")
        return None
    return await team_member_named(turn, team, query)


# --- helpers --------------------------------------------------------------------------------
def _names(users: list[User]) -> str:
    return ", ".join(display(u) for u in users)
