"""CSV exports, delivered as short-lived download links served by the app.

`/program export <program> what=pairs|participants|metrics|feedback [from= to=]`,
`/pair export [what=pairs|metrics] [from= to=]` and the report card's buttons answer, in
the admin's 1:1 chat only, with a card whose button opens
`<PUBLIC_URL>/exports/<token>`. The token is 256 random bits; only its SHA-256 is stored,
with the admin, the team, the program, the file and the window. The link:
- expires `LINK_MINUTES` after it was made (410 after that);
- is bound to the admin: the file is made when the link is opened, only while that
  person still administers the team (403 otherwise), from the data as it is then and
  under the privacy rules of csvfiles.py;
- is unknown (404) when forged, malformed, or deleted with the admin's data.
Why a link and not Teams' file consent card: it works the same in every client and
scope, needs no file permission in the manifest and no upload session, and the file is
never stored. Whoever holds a link can use it until it expires, so it goes only to the
admin's own chat, lives minutes, and holds only aggregates and names admins see anyway.
"""

from __future__ import annotations

import re
from datetime import datetime

from dialogs.core import forms, i18n
from dialogs.core.admins import administers, is_admin, team_of
from dialogs.core.downloads import LINK_MINUTES, Download, Refused, expiry, hash_token, new_token
from dialogs.core.people import language_of_user
from dialogs.core.router import Turn
from dialogs.feedback import csvfiles, metrics
from dialogs.feedback.cards import CARDS
from dialogs.feedback.lookup import Window, coffee_default, program_named, read_window
from dialogs.feedback.report import coffee_report_metrics, program_report_metrics
from storage.models import ExportLink, Program, Team, User
from storage.repos import Repos

_ = i18n.catalog(__package__)
N_ = i18n.N_
EXPORT_ACTION = "feedback_export"
PROGRAM_FILES = {
    "pairs": N_("one row per pair"),
    "participants": N_("one row per participant"),
    "metrics": N_("one row per metric"),
    "feedback": N_("one row per survey question"),
}
COFFEE_FILES = {"pairs": N_("one row per coffee group"), "metrics": N_("one row per metric")}
# The file in a link card's title: "⬇️ Pairs of Spring mentoring, ...".
FILE_TITLES = {
    "pairs": N_("Pairs"),
    "participants": N_("Participants"),
    "metrics": N_("Metrics"),
    "feedback": N_("Feedback"),
}


def _what(turn: Turn, raw: object, files: dict[str, str]) -> str | None:
    what = str(raw or "").strip().lower()
    if what in files:
        return what
    options = "; ".join(f"`what={k}` ({_(v)})" for k, v in files.items())  # i18n: not said
    turn.say(_("Which file? {options}. Nothing changed.", options=options))
    return None


async def program_export(turn: Turn) -> None:
    program = await program_named(turn)
    if program is None:
        return
    what = _what(turn, turn.args.get("what"), PROGRAM_FILES)
    window = read_window(turn, program.starts_on, turn.args.get("from"), turn.args.get("to"))
    if what is not None and window is not None:
        await _offer(turn, team_of(turn), program, what, window)


async def coffee_export(turn: Turn) -> None:
    what = _what(turn, turn.args.get("what") or "pairs", COFFEE_FILES)
    first = coffee_default(turn.now.date())
    window = read_window(turn, first, turn.args.get("from"), turn.args.get("to"))
    if what is not None and window is not None:
        await _offer(turn, team_of(turn), None, what, window)


async def export_from_card(turn: Turn) -> None:
    """A report card's CSV button: checked like the command (a card is no trust boundary)."""
    value = turn.inbound.value if isinstance(turn.inbound.value, dict) else {}
    program, team = await _card_scope(turn, value)
    if team is None or not await is_admin(turn, team, turn.user):
        turn.say(_("I can't find that report among the teams you admin. Nothing changed."))
        return
    files = PROGRAM_FILES if program else COFFEE_FILES
    what = _what(turn, value.get("what"), files)
    default = program.starts_on if program else coffee_default(turn.now.date())
    window = read_window(turn, default, value.get("from"), value.get("to"))
    if what is not None and window is not None:
        await _offer(turn, team, program, what, window)


async def _card_scope(turn: Turn, value: dict[str, object]) -> tuple[Program | None, Team | None]:
    repos = turn.repos
    if "program" in value:
        program_id = forms.row_id(value.get("program"))
        program = await repos.programs.get(program_id) if program_id else None
        team = await repos.teams.get(program.team_id) if program else None
        return program, team
    team_id = forms.row_id(value.get("team"))
    return None, await repos.teams.get(team_id) if team_id else None


def make_link(
    repos: Repos,
    user: User,
    team: Team,
    program: Program | None,
    what: str,
    window: Window,
    now: datetime,
) -> str:
    """A new link's token (the caller has checked that `user` administers `team`); the
    dashboard's CSV buttons make theirs here too."""
    token = new_token()
    repos.feedback.add_link(
        ExportLink(
            token_hash=hash_token(token),
            user_id=user.id,
            team_id=team.id,
            program_id=program.id if program else None,
            what=what,
            range_from=window.first,
            range_to=window.last,
            created_at=now,
            expires_at=expiry(now),
            downloads=0,
        )
    )
    return token


async def _offer(
    turn: Turn, team: Team, program: Program | None, what: str, window: Window
) -> None:
    token = make_link(turn.repos, turn.user, team, program, what, window, turn.now)
    expires = expiry(turn.now)
    subject = program.name if program else _("coffee chats in {team}", team=team.name)
    turn.result.show(
        CARDS.render(
            "export_link",
            title=_(
                "⬇️ {file} of {subject}, {window}",
                file=_(FILE_TITLES[what]),
                subject=subject,
                window=str(window),
            ),
            about=_(
                "The link works for {minutes} minutes (until {time} UTC) and "
                "only while you admin {team}. The file is made when you open it; "
                "answers behind fewer than k people are withheld.",
                minutes=LINK_MINUTES,
                time=i18n.when(expires, "%H:%M"),
                team=team.name,
            ),
            url=f"{turn.env.public_url}/exports/{token}",
        )
    )


# --- the download (bot/exports.py serves it) --------------------------------------------------
async def download(repos: Repos, admins: frozenset[str], link: ExportLink) -> Download:
    """The CSV behind a live link (core.downloads.find), made now for an admin who still
    admins the team; `Refused` with an HTTP status otherwise."""
    user = await repos.users.get(link.user_id)
    team = await repos.teams.get(link.team_id) if link.team_id is not None else None
    allowed = (
        user is not None
        and user.erased_at is None
        and team is not None
        and team.active
        and await administers(repos, admins, team, user)
    )
    # The file (and a refusal) speaks the language of the admin who asked for it: headers,
    # labels, wording; the data programs read stays as it is.
    language = await language_of_user(repos, user, team) if user is not None else None
    with i18n.speaking(language):
        if not allowed:
            raise Refused(403, _("This link was made for an admin who no longer admins the team."))
        assert team is not None
        found = await _file(repos, link, team)
    await repos.feedback.count_download(link.id)
    return found


async def _file(repos: Repos, link: ExportLink, team: Team) -> Download:
    window = Window(link.range_from, link.range_to)
    stamp = f"{window.first.isoformat()}_{window.last.isoformat()}"
    if link.program_id is None:
        body = await _coffee_file(repos, team, link.what, window)
        return Download(f"coffee-{_slug(team.name or 'team')}-{link.what}-{stamp}.csv", body)
    program = await repos.programs.get(link.program_id)
    if program is None or program.team_id != team.id:
        raise Refused(404, _("The program of this link is gone."))
    body = await _program_file(repos, program, link.what, window)
    return Download(f"{_slug(program.name)}-{link.what}-{stamp}.csv", body)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "export"


async def _program_file(repos: Repos, program: Program, what: str, window: Window) -> str:
    if what == "metrics":
        now, before = await program_report_metrics(repos, program, window)
        return csvfiles.metric_rows(now, before)
    if what == "feedback":
        return await _feedback_file(repos, program, window)
    (facts,) = await repos.feedback.program_facts(
        program, [(window.start, window.end)], _end(program)
    )
    ids = {p.user_id for p in facts.participants}
    ids |= {u for p in facts.pairs for u in (p.mentor_id, p.mentee_id)}
    people = await repos.users.by_ids(ids)
    if what == "pairs":
        return csvfiles.pairs(facts, people)
    return csvfiles.participants(facts, people)


async def _feedback_file(repos: Repos, program: Program, window: Window) -> str:
    feedback = repos.feedback
    settings = await feedback.program_settings(program.id)
    k = metrics.k_of(settings.min_answers if settings else None)
    start, end = window.start, window.end
    return csvfiles.feedback(
        await feedback.program_templates_used(program.id, start, end),
        await feedback.question_answers(program.id, start, end),
        await feedback.written_answers(program.id, start, end),
        await feedback.stories(program.id, start, end),
        k,
    )


async def _coffee_file(repos: Repos, team: Team, what: str, window: Window) -> str:
    if what == "metrics":
        now, before = await coffee_report_metrics(repos, team, window)
        return csvfiles.metric_rows(now, before)
    facts = await repos.feedback.coffee_facts(team.id, window.start, window.end)
    people = await repos.users.by_ids({s.user_id for s in facts.seats})
    return csvfiles.coffee_groups(facts, people)


def _end(program: Program) -> datetime:
    return metrics.program_end(program.ends_on, program.closed_at)
