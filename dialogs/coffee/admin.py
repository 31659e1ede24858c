"""Admins steer coffee pairing: /pair settings|preview|now|history and /lottery.

The dispatcher has resolved `turn.team` and checked the sender is its admin. Replies are
in the admin's language (the turn's); dates and weekdays too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import mean
from typing import Any

from dialogs.coffee import rounds as pairing
from dialogs.core import forms, i18n, schedule_args
from dialogs.core.admins import team_of
from dialogs.core.i18n import N_
from dialogs.core.local_time import zone_name
from dialogs.core.people import display, team_member_named
from dialogs.core.router import Turn
from scheduler.periods import ScheduleSpec, next_due
from storage.models import PairPool, PairRound, Schedule, Team, User

_ = i18n.catalog(__package__)
RECENT_ROUND = timedelta(hours=12)  # `/pair now` asks for "again" inside this
HISTORY_ROUNDS = 8
PREVIEW_GROUPS = 40  # groups listed by /pair preview before "and N more"
MAX_LOTTERY_WINNERS = 3  # the host plus winners make one group of at most 4
ON, OFF = ("on", "yes", "true", "1"), ("off", "no", "false", "0")
# When rounds run: "every week on Monday at 09:00 (Europe/Berlin)", one message per cadence.
CADENCE_WHEN = {
    "weekly": N_("every week on {weekday} at {time} ({zone})"),
    "biweekly": N_("every 2 weeks on {weekday} at {time} ({zone})"),
    "monthly": N_("every month on {weekday} at {time} ({zone})"),
}
MODES = {"everyone": False, "opt-in": True, "optin": True}

SETTINGS_HELP = N_(
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
                _(
                    "I couldn't change the settings:\n{problems}\nNothing changed.",
                    problems="\n".join(f"- {e}" for e in errors),
                )
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
            _(
                "Saved. Changes apply from the next round.\n{settings}",
                settings=_describe(turn, team, pool, schedule),
            )
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
            errors.append(_("`{key}=` is not a setting. {help}", key=key, help=_(SETTINGS_HELP)))
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
    raise ValueError(_("use on or off, not '{raw}'", raw=raw))


def _number(raw: str, low: int, high: int, what: str) -> int:
    """`what` is the setting's name in English (N_), said in the admin's language."""
    number = forms.whole(raw)
    if number is None or not low <= number <= high:
        raise ValueError(
            _(
                "{what} must be a whole number from {low} to {high}, not '{raw}'",
                what=_(what),
                low=low,
                high=high,
                raw=raw,
            )
        )
    return number


def _set_pairing(turn: Turn, raw: str) -> Any:
    on = _on_off(raw)
    return lambda pool, t: setattr(t, "enabled", on)


def _set_size(turn: Turn, raw: str) -> Any:
    size = _number(raw, 2, 4, N_("group size"))
    return lambda pool, t: setattr(pool, "group_size", size)


def _set_history(turn: Turn, raw: str) -> Any:
    rounds = _number(raw, 0, 52, N_("history"))
    return lambda pool, t: setattr(pool, "history_rounds", rounds)


def _set_cross(turn: Turn, raw: str) -> Any:
    on = _on_off(raw)
    return lambda pool, t: setattr(pool, "cross_department", on)


def _set_mode(turn: Turn, raw: str) -> Any:
    if raw.lower() not in MODES:
        raise ValueError(
            _("use everyone (members are in unless they leave) or opt-in, not '{raw}'", raw=raw)
        )
    opt_in = MODES[raw.lower()]
    return lambda pool, t: setattr(pool, "opt_in", opt_in)


def _set_followup(turn: Turn, raw: str) -> Any:
    days = _number(raw, 1, 14, N_("follow-up delay (days)"))
    return lambda pool, t: setattr(pool, "followup_days", days)


def _set_channel(turn: Turn, raw: str) -> Any:
    word = raw.lower()
    if word in ("none", "off"):
        return lambda pool, t: _set_notice_channel(pool, None, None)
    if word != "here":
        raise ValueError(_("use `channel=here` (in the channel, @mentioning me) or `channel=none`"))
    inbound = turn.inbound
    if inbound.conversation_type != "channel" or inbound.team_id is None:
        raise ValueError(_("`channel=here` only works in a team channel, @mentioning me"))
    conversation = inbound.channel_id or inbound.conversation_id.split(";", 1)[0]
    name = inbound.channel_name or _("this channel")
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
    lines = [
        _("**Coffee pairing in {team}: on**", team=team.name)
        if on
        else _("**Coffee pairing in {team}: off**", team=team.name)
    ]
    if schedule is not None:
        spec = ScheduleSpec(
            schedule.cadence,
            schedule.weekday,
            schedule.local_time,
            schedule.timezone,
            schedule.effective_from,
        )
        when = _(
            CADENCE_WHEN[schedule.cadence],
            weekday=i18n.weekday_name(schedule.weekday),
            time=schedule.local_time,
            zone=schedule.timezone,
        )
        if on:
            upcoming = _day(next_due(spec, turn.now).period)
            lines.append(_("- When: {when}; next round {day}", when=when, day=upcoming))
        else:
            lines.append(_("- When: {when}", when=when))
    mode = (
        _("opt-in (members type `join coffee`)")
        if pool.opt_in
        else _("everyone, unless they leave")
    )
    lines += [
        _("- Group size: {size}", size=pool.group_size),
        _.ngettext(
            "- No repeats within the last {n} round",
            "- No repeats within the last {n} rounds",
            pool.history_rounds,
        ),
        _("- Prefer other departments: on")
        if pool.cross_department
        else _("- Prefer other departments: off"),
        _("- Who takes part: {mode}", mode=mode),
        _.ngettext(
            "- Follow-up: {n} day after each round",
            "- Follow-up: {n} days after each round",
            pool.followup_days,
        ),
        _("- Round notices: {notices}", notices=_notice_line(pool)),
        _("- Lottery: {lottery}", lottery=_lottery_line(pool)),
        _("- Group chats: {chats}", chats=_chats_line(turn, pool)),
    ]
    if not on:
        lines.append(_("Turn it on with `/pair settings pairing=on`."))
    lines.append(_(SETTINGS_HELP))
    return "\n".join(lines)


def _day(period: str) -> str:
    """A round's date (its period key, "2026-11-23") as the reader writes dates."""
    return i18n.when(date.fromisoformat(period), "%Y-%m-%d")


def _chats_line(turn: Turn, pool: PairPool) -> str:
    if not pool.group_chats:
        return _("off (intros come 1:1)")
    if not turn.env.graph:
        return _("on, but Microsoft Graph is not connected, so intros come 1:1")
    return _("on (a group chat per group for its intro, where Graph allows; see `/graph status`)")


def _notice_line(pool: PairPool) -> str:
    if not pool.channel_ref:
        return _("none (`channel=here` in a channel posts a short notice there each round)")
    return _("posted in {channel}", channel=pool.channel_name or _("the chosen channel"))


def _lottery_line(pool: PairPool) -> str:
    if not pool.lottery_winners or pool.lottery_host_id is None:
        return _("off")
    return _.ngettext(
        "on, {n} winner a round meet the host",
        "on, {n} winners a round meet the host",
        pool.lottery_winners,
    )


def _ago(hours: int) -> str:
    if hours < 1:
        return _("less than an hour ago")
    return _.ngettext("{n} hour ago", "{n} hours ago", hours)


# --- /pair preview, /pair now ------------------------------------------------------------
async def preview(turn: Turn) -> None:
    team = team_of(turn)
    pool = await turn.repos.pairing.ensure_pool(team.id, turn.now)
    schedule = await turn.repos.schedules.get(team.id, pairing.ROUND_JOB)
    last = await turn.repos.pairing.last_round(team.id)
    # The draw `/pair now` would make: the same seed and the same inputs.
    plan = await pairing.plan_round(turn.repos, team, pool, turn.now, _now_seed(team, last))
    text = _plan_text(plan, _("Preview for {team} (nothing was sent)", team=team.name))
    text += "\n\n" + _(
        "If nothing changes before then (members, profiles, pauses, settings), "
        "`/pair now` makes exactly these groups."
    )
    next_period = _next_period(schedule, turn)
    if next_period is not None:
        text += " " + _("The next scheduled round draws its own groups.")
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
            _(
                "A round ran in {team} {ago}. To make another one anyway, "
                "type `/pair now again`. Nothing was sent.",
                team=team.name,
                ago=_ago(hours),
            )
        )
        return
    # Keyed by the round it follows: two admins pressing at once make one round, not two.
    period = f"now:{turn.now:%Y-%m-%dT%H:%M:%S}:after{last.id if last else 0}"  # i18n: not said
    if await turn.repos.pairing.round_by_period(team.id, period) is not None:
        turn.say(_("A round was made this very second. Nothing more was sent."))
        return
    plan = await pairing.plan_round(turn.repos, team, pool, turn.now, _now_seed(team, last))
    await pairing.commit_round(turn.repos, plan, turn.now, period, "admin", graph=turn.env.graph)
    turn.result.queued += plan.placed + len(plan.unplaced) + len(plan.ghosts) + 1
    turn.say(_plan_text(plan, _("New round in {team}: intros are on their way", team=team.name)))


def _plan_text(plan: pairing.Plan, heading: str) -> str:
    lines = [f"**{heading}**"]
    if plan.lottery:
        host, *winners = plan.lottery
        lines.append(
            _("- Lottery: {host} meets {names}", host=display(host), names=_names(winners))
        )
    for group in plan.groups[:PREVIEW_GROUPS]:
        lines.append("- " + _names(group))
    if len(plan.groups) > PREVIEW_GROUPS:
        lines.append(_("- … and {n} more groups", n=len(plan.groups) - PREVIEW_GROUPS))
    if not plan.groups and not plan.lottery:
        lines.append(_("- No groups: fewer than two members can take part."))
    lines.append(_counts(plan))
    if plan.unplaced:
        names = _names([u for u, _code in plan.unplaced])
        lines.append(
            _("Can't be placed this round: {names} (each gets a message saying why).", names=names)
        )
    if plan.ghosts:
        lines.append(
            _(
                "Paused for {rounds} unanswered follow-ups in a row: "
                "{n} (they get a friendly message).",
                rounds=pairing.GHOST_ROUNDS,
                n=len(plan.ghosts),
            )
        )
    return "\n".join(lines)


def _counts(plan: pairing.Plan) -> str:
    skipped = ", ".join(
        _("{n} {reason}", n=n, reason=_(pairing.SKIP_REASONS[reason]))
        for reason, n in sorted(plan.skipped.items())
        if reason in pairing.SKIP_REASONS
    )
    groups = len(plan.groups) + bool(plan.lottery)
    people = _.ngettext("{n} person", "{n} people", plan.placed)
    grouped = _.ngettext("{n} group", "{n} groups", groups)
    if skipped:
        return _(
            "{people} in {groups}; repeats within the history window: {repeats}; "
            "not taking part: {skipped}",
            people=people,
            groups=grouped,
            repeats=plan.repeats,
            skipped=skipped,
        )
    return _(
        "{people} in {groups}; repeats within the history window: {repeats}",
        people=people,
        groups=grouped,
        repeats=plan.repeats,
    )


# --- /pair history ------------------------------------------------------------------------
async def history(turn: Turn) -> None:
    team = team_of(turn)
    stats = await turn.repos.pairing.recent_stats(team.id, HISTORY_ROUNDS)
    if not stats:
        turn.say(_("No coffee rounds in {team} yet. `/pair now` makes one.", team=team.name))
        return
    lines = [_("**Recent coffee rounds in {team}** (answers are counts only)", team=team.name)]
    for s in stats:
        r = s.round
        values = {
            "day": i18n.when(r.created_at, "%Y-%m-%d"),
            "how": _("scheduled") if r.trigger == "schedule" else _("by an admin"),
            "groups": _.ngettext("{n} group", "{n} groups", s.groups),
            "people": _.ngettext("{n} person", "{n} people", s.seats),
            "yes": s.met["yes"],
            "not_yet": s.met["not_yet"],
            "no": s.met["no"],
            "repeats": r.summary.get("repeats", 0),
            "unplaced": r.summary.get("unplaced", 0),
        }
        if s.ratings:
            line = _(
                "- {day} ({how}): {groups}, {people}; "
                "met: {yes} yes, {not_yet} not yet, {no} no; "
                "rating {rating} from {rated}; repeats {repeats}; unplaced {unplaced}",
                rating=i18n.number(mean(s.ratings), 1),
                rated=len(s.ratings),
                **values,
            )
        else:
            line = _(
                "- {day} ({how}): {groups}, {people}; "
                "met: {yes} yes, {not_yet} not yet, {no} no; "
                "repeats {repeats}; unplaced {unplaced}",
                **values,
            )
        lines.append(line)
    turn.say("\n".join(lines))


# --- /lottery -----------------------------------------------------------------------------
async def lottery(turn: Turn) -> None:
    team = team_of(turn)
    pool = await turn.repos.pairing.ensure_pool(team.id, turn.now)
    if turn.rest.lower() == "off" and not turn.args.get("host"):
        pool.lottery_winners, pool.updated_at = 0, turn.now
        turn.say(_("The coffee lottery in {team} is off.", team=team.name))
        return
    if not turn.args and not turn.rest:
        await _lottery_status(turn, team, pool)
        return
    winners_raw = turn.args.get("winners", "1")
    try:
        winners = _number(winners_raw, 1, MAX_LOTTERY_WINNERS, N_("winners"))
    except ValueError as exc:
        turn.say(_("{problem}. Nothing changed.", problem=exc))
        return
    host = await _host(turn, team)
    if host is None:
        return
    if pool.lottery_host_id != host.id or pool.lottery_since is None:
        pool.lottery_since = turn.now  # a new host: everyone gets a fresh turn
    pool.lottery_host_id, pool.lottery_winners, pool.updated_at = host.id, winners, turn.now
    turn.say(
        _.ngettext(
            "Coffee lottery on in {team}: each round {n} member is drawn to meet {host}. "
            "Nobody wins twice before everyone taking part has had a turn. "
            "`/lottery off` stops it.",
            "Coffee lottery on in {team}: each round {n} members are drawn to meet {host}. "
            "Nobody wins twice before everyone taking part has had a turn. "
            "`/lottery off` stops it.",
            winners,
            team=team.name,
            host=display(host),
        )
    )


async def _lottery_status(turn: Turn, team: Team, pool: PairPool) -> None:
    if not pool.lottery_winners or pool.lottery_host_id is None:
        turn.say(
            _(
                "No coffee lottery in {team}. Start one with `/lottery host=@name winners=2`.",
                team=team.name,
            )
        )
        return
    host = await turn.repos.users.get(pool.lottery_host_id)
    since = pool.lottery_since or turn.now
    wins = await turn.repos.pairing.lottery_wins(team.id, pool.lottery_host_id, since)
    turn.say(
        _.ngettext(
            "Coffee lottery in {team}: {winners} a round meet {host}; "
            "{n} member has had a turn so far. `/lottery off` stops it.",
            "Coffee lottery in {team}: {winners} a round meet {host}; "
            "{n} members have had a turn so far. `/lottery off` stops it.",
            len(wins),
            team=team.name,
            winners=_.ngettext("{n} winner", "{n} winners", pool.lottery_winners),
            host=display(host),
        )
    )


async def _host(turn: Turn, team: Team) -> User | None:
    mentions = turn.inbound.mentions
    if len(mentions) == 1:
        user = await turn.repos.users.by_teams_id(mentions[0].id)
        if user is None:
            who = mentions[0].name or _("that person")
            turn.say(_("I don't know {name} yet. Nothing changed.", name=who))
        return user
    query = (turn.args.get("host") or "").strip().lstrip("@")
    if not query:
        turn.say(_("Who hosts? Try `/lottery host=@name winners=2`. Nothing changed."))
        return None
    return await team_member_named(turn, team, query)


# --- helpers --------------------------------------------------------------------------------
def _names(users: list[User]) -> str:
    return ", ".join(display(u) for u in users)
