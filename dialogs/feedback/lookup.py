"""What admin commands of the feedback feature name: a program of the admin's team, and
a window of dates (`from=` and `to=`, both inclusive, as UTC days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dialogs.core import forms, i18n
from dialogs.core.admins import team_of
from dialogs.core.router import Turn
from dialogs.feedback.metrics import midnight
from storage.models import Program

_ = i18n.catalog(__package__)
MAX_WINDOW_DAYS = 3 * 366
COFFEE_DAYS = 84  # coffee reports and files: the last 12 weeks unless from= says


def coffee_default(today: date) -> date:
    return today - timedelta(days=COFFEE_DAYS - 1)


@dataclass(frozen=True)
class Window:
    first: date
    last: date  # inclusive

    @property
    def start(self) -> datetime:
        return midnight(self.first)

    @property
    def end(self) -> datetime:
        return midnight(self.last + timedelta(days=1))

    def before(self) -> Window:
        """The window of the same length just before (for trends)."""
        length = self.last - self.first + timedelta(days=1)
        return Window(self.first - length, self.first - timedelta(days=1))

    def __str__(self) -> str:
        return _("{first} to {last}", first=self.first.isoformat(), last=self.last.isoformat())


async def program_named(turn: Turn) -> Program | None:
    """The program a command names (`name=` or its words) in the command's team."""
    team = team_of(turn)
    name = " ".join((turn.args.get("name") or turn.rest).split())
    command = turn.command.name if turn.command else "/program report"  # i18n: not said
    if not name:
        turn.say(
            _("Which program? Add its name, e.g. `{command} Spring mentoring`.", command=command)
        )
        return None
    found = await turn.repos.programs.by_name([team.id], name)
    if not found:
        names = ", ".join(f"'{p.name}'" for p in await turn.repos.programs.of_team(team.id))
        turn.say(
            _(
                "No program called '{name}' in {team}. Programs: {names}. Nothing changed.",
                name=name,
                team=team.name,
                names=names,
            )
            if names
            else _(
                "No program called '{name}' in {team}. Nothing changed.", name=name, team=team.name
            )
        )
        return None
    return found[0]


def read_window(turn: Turn, default_first: date, raw_from: object, raw_to: object) -> Window | None:
    """`from=`/`to=` (YYYY-MM-DD), defaulting to `default_first` and today (UTC)."""
    today = turn.now.date()
    first = _day(turn, "from", raw_from, default_first)
    last = _day(turn, "to", raw_to, today)
    if first is None or last is None:
        return None
    if last < first:
        turn.say(
            _(
                "`to=` ({last}) is before `from=` ({first}). Nothing changed.",
                last=last,
                first=first,
            )
        )
        return None
    if (last - first).days > MAX_WINDOW_DAYS:
        turn.say(_("Pick at most three years at once (`from=` and `to=`). Nothing changed."))
        return None
    return Window(first, last)


def _day(turn: Turn, name: str, raw: object, default: date) -> date | None:
    if raw in (None, ""):
        return default
    found = forms.iso_date(raw)
    if found is None or not date(2000, 1, 1) <= found <= date(2100, 1, 1):
        turn.say(
            _(
                "`{name}=` must be a date as YYYY-MM-DD (you wrote '{raw}'). Nothing changed.",
                name=name,
                raw=raw,
            )
        )
        return None
    return found
