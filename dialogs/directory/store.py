"""What the directory's answers mean for the people the bot knows.

The sync worker (bot/graph/sync.py) asks Graph and hands each answer here, in one unit
of work per page or batch. Only members the bot knows get an entry (a delta round lists
the whole tenant; everyone else is skipped, so nobody else's data is kept). Department
and manager stay as the directory says; a job title change is kept (old, new, when) only
for people whose profile agrees to it counting in program outcomes; time zone and
language fill the profile until the person corrects them there. A feature whose
permission goes missing is told to the tenant's team admins once, when it goes missing,
not on every refusal.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from dialogs.core import i18n, outbox
from dialogs.core.graph import (
    FEATURES,
    Batched,
    DeltaPage,
    DirectoryUser,
    GraphError,
    Mailbox,
    what_of,
)
from dialogs.core.i18n import N_
from dialogs.core.people import languages_of
from storage.models import DirectoryEntry, JobTitleChange, User
from storage.repos import Repos

_ = i18n.catalog(__package__)

# A Graph feature refused for a missing permission is tried again after this long.
CHATS_RETRY = timedelta(hours=24)
MISSING = N_(
    "Microsoft Graph refused {what} in your organisation: the app needs the application "
    "permission **{permission}**. Until an administrator grants it (with admin consent), "
    "this part works without Graph. `/graph status` shows every feature."
)


async def store_delta(
    repos: Repos, tenant_id: str, page: DeltaPage, *, full: bool, now: datetime
) -> int:
    """One delta page; `full`: the first round, where a missing manager means none.
    Returns how many known members it described."""
    return await store_users(repos, tenant_id, page.users, full=full, now=now)


async def store_users(
    repos: Repos, tenant_id: str, users: Iterable[DirectoryUser], *, full: bool, now: datetime
) -> int:
    listed = list(users)
    known = await repos.directory.members_by_aad(tenant_id, (u.aad_id for u in listed))
    entries = await repos.directory.entries(u.id for u in known.values())
    agreed = await repos.directory.title_consents(u.id for u in known.values())
    described = []
    for found in listed:
        user = known.get(found.aad_id)
        if user is None:
            continue
        entry = entries.get(user.id) or _new_entry(repos, user)
        entries[user.id] = entry
        before = entry.job_title if entry.directory_at is not None else ""
        _apply(entry, found, full, now)
        if user.id in agreed:
            _note_title(repos, entry, before, now)
        described.append(entry)
    await _mirror(repos, described)
    return len(described)


async def store_mailboxes(
    repos: Repos, tenant_id: str, batched: Batched[Mailbox], now: datetime
) -> None:
    users = await repos.directory.users_by_aad(tenant_id, [*batched.found, *batched.failed])
    entries = await repos.directory.entries(u.id for u in users.values())
    touched = []
    for aad_id, user in users.items():
        entry = entries.get(user.id)
        if entry is None:
            continue
        box = batched.found.get(aad_id)
        if box is not None:
            _apply_mailbox(entry, box)
        elif batched.failed[aad_id].status in (403, 429) or batched.failed[aad_id].status >= 500:
            continue  # not read: asked again next time
        entry.mailbox_at = now  # read, or no mailbox (404): not asked again until changed
        touched.append(entry)
    await _mirror(repos, touched)


def _note_title(repos: Repos, entry: DirectoryEntry, before: str, now: datetime) -> None:
    """A job title the directory changed (not its first reading, nor a title emptied):
    kept for the outcomes' career change, only for people who agreed."""
    if before and entry.job_title and entry.job_title != before and entry.removed_at is None:
        repos.directory.add_title_change(
            JobTitleChange(
                user_id=entry.user_id, old_title=before, new_title=entry.job_title, changed_at=now
            )
        )


def _new_entry(repos: Repos, user: User) -> DirectoryEntry:
    entry = DirectoryEntry(
        user_id=user.id,
        tenant_id=user.tenant_id,
        aad_object_id=user.aad_object_id or "",
        department="",
        job_title="",
        office="",
        language="",
        manager_aad_id="",
        timezone="",
        work_days=[],
        work_start="",
        work_end="",
        work_zone="",
        zone_by_person=False,
        language_by_person=False,
    )
    repos.directory.add(entry)
    return entry


def _apply(entry: DirectoryEntry, found: DirectoryUser, full: bool, now: datetime) -> None:
    entry.directory_at = now
    if found.removed:
        entry.removed_at = now
        return
    entry.removed_at = None
    for name, value in (
        ("department", found.department),
        ("job_title", found.job_title),
        ("office", found.office),
    ):
        if value is not None:
            setattr(entry, name, value[:200])
    if found.language is not None and not entry.language_by_person:
        entry.language = found.language[:20]
    if found.manager_aad_id is not None:
        entry.manager_aad_id = found.manager_aad_id[:64]
    elif full:
        entry.manager_aad_id = ""


def _apply_mailbox(entry: DirectoryEntry, box: Mailbox) -> None:
    if box.zone and not entry.zone_by_person:
        entry.timezone = box.zone
    if box.language and not entry.language and not entry.language_by_person:
        entry.language = box.language[:20]
    if box.hours is not None:
        entry.work_days = list(box.hours.days)
        entry.work_start, entry.work_end = box.hours.start, box.hours.end
        entry.work_zone = box.hours.zone or box.zone or ""


async def _mirror(repos: Repos, entries: list[DirectoryEntry]) -> None:
    """The directory's values into existing profiles: department always (the directory's
    word), time zone unless the person corrected it, language only into an empty list."""
    profiles = await repos.profiles.of_users(e.user_id for e in entries)
    for entry in entries:
        profile = profiles.get(entry.user_id)
        if profile is None or entry.removed_at is not None:
            continue
        if entry.department:
            profile.department = entry.department[:100]
        if entry.timezone and not entry.zone_by_person:
            profile.timezone = entry.timezone
        if entry.language and not profile.languages and not entry.language_by_person:
            profile.languages = [entry.language]


# -- features and their permissions -----------------------------------------------------
async def record(
    repos: Repos, tenant_id: str, feature: str, error: GraphError | None, now: datetime
) -> None:
    """What a call of `feature` said: working, missing its permission (admins told once
    per stretch of missing), or failing for another reason (throttled, down)."""
    row = await repos.directory.feature(tenant_id, feature, now)
    row.checked_at = now
    if error is None:
        row.state, row.detail, row.missing_since = "working", "", None
    elif error.status == 403:
        if row.missing_since is None:
            row.missing_since = now
            await _tell_admins(repos, tenant_id, feature, now)
        row.state, row.detail = "missing", FEATURES[feature][0]
    elif row.state != "missing":
        # Data, worded for the reader by /graph status (dialogs/directory/status.py).
        row.state, row.detail = "failing", f"Graph answered {error.status}"  # i18n: not said


async def _tell_admins(repos: Repos, tenant_id: str, feature: str, now: datetime) -> None:
    permission = FEATURES[feature][0]
    told: set[int] = set()
    for team in await repos.directory.teams_of_tenant(tenant_id):
        admins = [a for a in await repos.admins.reachable_of_team(team.id) if a.id not in told]
        languages = await languages_of(repos, admins, team)
        for admin in admins:
            told.add(admin.id)
            with i18n.speaking(languages[admin.id]):
                text = _(MISSING, what=what_of(feature), permission=permission)
            key = outbox.key("graphmissing", feature, user=admin.id, at=now.isoformat())
            await outbox.queue(
                repos, outbox.to_user(key, admin.id, text=text, team_id=team.id), now
            )


async def chats_allowed(repos: Repos, tenant_id: str | None, now: datetime) -> bool:
    """Whether to ask Graph for group chats (coffee groups, mentor pairs) in a tenant:
    not while the permission of either step (creating the chat, installing the bot
    there) is known to be missing, until a day has passed (then asked again: an admin
    may have granted it)."""
    if not tenant_id:
        return False
    features = await repos.directory.features(tenant_id)
    for name in ("chats", "chat_app"):
        row = features.get(name)
        if row is not None and row.state == "missing" and now - row.checked_at < CHATS_RETRY:
            return False
    return True
