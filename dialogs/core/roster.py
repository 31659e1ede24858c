"""What a roster import does with each page of a team's member list, and at the end.

An install answers at once; bot/roster_import.py then reads the roster from Teams in
pages (the I/O) and hands each page here (the meaning), in one unit of work per page
together with the page's continuation token, so a crash resumes after the last stored
page. When the last page is in, members the roster no longer lists have left, and the
team's admins hear that everyone is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dialogs.core import i18n, outbox
from dialogs.core.people import join, languages_of, leave, upsert_members
from dialogs.core.types import Person
from storage.models import RosterImport, Team
from storage.repos import Repos

_ = i18n.catalog(__package__)


@dataclass(frozen=True)
class Page:
    people: tuple[Person, ...]
    continuation: str | None  # None: this was the last page


async def store_page(
    repos: Repos, job: RosterImport, team: Team, page: Page, now: datetime
) -> bool:
    """Store one page and where to go on; True when the import is finished."""
    users = await upsert_members(repos, page.people, team.tenant_id, team.service_url, now)
    await join(repos, team, users, now)
    await repos.roster_imports.mark_listed(job.id, team.id, (u.id for u in users))
    job.pages += 1
    job.members += len(users)
    job.continuation = page.continuation
    job.last_error = None
    if page.continuation:
        return False
    await _finish(repos, job, team, now)
    return True


async def _finish(repos: Repos, job: RosterImport, team: Team, now: datetime) -> None:
    gone = await repos.roster_imports.unlisted(job.id, team.id)
    await leave(repos, team, gone, now)
    job.status, job.finished_at, job.claimed_by, job.lease_until = "done", now, None, None
    if job.pages < 2:
        return  # one page: in before anyone has read the welcome; no news worth a message
    count = await repos.members.active_count(team.id)
    admins = await repos.admins.reachable_of_team(team.id)
    languages = await languages_of(repos, admins, team)
    for admin in admins:
        with i18n.speaking(languages[admin.id]):
            text = _.ngettext(
                "The one member of {team} is in: I can pair them for coffee, run "
                "icebreakers and programs there now. Say `/help` to see what you can steer, "
                "and `/team welcome` to greet every member 1:1 (members who joined before me "
                "got only the channel post).",
                "All {n} members of {team} are in: I can pair them for coffee, run "
                "icebreakers and programs there now. Say `/help` to see what you can steer, "
                "and `/team welcome` to greet every member 1:1 (members who joined before me "
                "got only the channel post).",
                count,
                team=team.name or _("your team"),
            )
        message = outbox.to_user(
            outbox.key("rosterdone", job.id, user=admin.id), admin.id, text=text, team_id=team.id
        )
        await outbox.queue(repos, message, now)


async def give_up(repos: Repos, job: RosterImport, team: Team, reason: str, now: datetime) -> None:
    """The import failed for good: say so to the admins (the reason is Teams' status)."""
    job.status, job.finished_at, job.last_error = "failed", now, reason[:1000]
    job.claimed_by, job.lease_until = None, None
    admins = await repos.admins.reachable_of_team(team.id)
    languages = await languages_of(repos, admins, team)
    for admin in admins:
        with i18n.speaking(languages[admin.id]):
            text = _(
                "I could not read the member list of {team} from Teams ({reason}). Members "
                "who write to me or join the team from now on are added as usual; to try the "
                "whole list again, remove the app from the team and add it back.",
                team=team.name or _("your team"),
                reason=reason.split(":")[0],
            )
        message = outbox.to_user(
            outbox.key("rosterfailed", job.id, user=admin.id), admin.id, text=text, team_id=team.id
        )
        await outbox.queue(repos, message, now)


def restart(job: RosterImport, reason: str) -> None:
    """Teams no longer knows the continuation token: read from the first page again
    (pages already stored stay; storing them twice changes nothing)."""
    job.continuation, job.last_error = None, reason[:1000]
