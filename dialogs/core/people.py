"""Knowing who someone is: users from activities and rosters, memberships, names."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from dialogs.core import i18n
from dialogs.core.router import Turn
from dialogs.core.types import Inbound, Person
from storage.models import Membership, Team, User
from storage.repos import Repos

# last_seen_at is refreshed at most this often, so a busy user's turns stay read-only.
SEEN_RESOLUTION = timedelta(hours=1)
_ = i18n.catalog(__package__)


async def touch_sender(repos: Repos, inbound: Inbound, now: datetime) -> User:
    """The sender's row, created or refreshed; writes only when something changed."""
    user = await repos.users.by_teams_id(inbound.sender.id)
    if user is None:
        return await repos.users.add(_new_sender(inbound.sender, inbound, now))
    _refresh(user, inbound.sender, inbound.tenant_id, inbound.service_url)
    if inbound.is_personal:
        _set_if_changed(user, "personal_ref", inbound.conversation_ref)
        _set_if_changed(user, "timezone_hint", inbound.local_timezone or user.timezone_hint)
        _set_if_changed(user, "locale", inbound.locale or user.locale)
    if user.unreachable_at is not None:
        user.unreachable_at = None  # they wrote to us: the app is back
    if user.last_seen_at is None or now - user.last_seen_at > SEEN_RESOLUTION:
        user.last_seen_at = now
    return user


async def upsert_people(
    repos: Repos, people: tuple[Person, ...], inbound: Inbound, now: datetime
) -> list[User]:
    return await upsert_members(repos, people, inbound.tenant_id, inbound.service_url, now)


async def upsert_members(
    repos: Repos,
    people: tuple[Person, ...],
    tenant_id: str | None,
    service_url: str,
    now: datetime,
) -> list[User]:
    """Users for people a roster or an event named (created, or their names refreshed)."""
    known = await repos.users.by_teams_ids(p.id for p in people)
    users = []
    for person in people:
        user = known.get(person.id)
        if user is None:
            user = _listed_user(person, tenant_id, service_url, now)
            repos.session.add(user)
        else:
            _refresh(user, person, tenant_id, service_url)
        users.append(user)
    await repos.flush()
    return users


async def join(repos: Repos, team: Team, users: list[User], now: datetime) -> list[User]:
    """Make users active members; returns those who were not active members before."""
    memberships = await repos.members.for_users(team.id, [u.id for u in users])
    joined = []
    for user in users:
        membership = memberships.get(user.id)
        if membership is None:
            repos.members.add(
                Membership(team_id=team.id, user_id=user.id, active=True, joined_at=now)
            )
            joined.append(user)
        elif not membership.active:
            membership.active, membership.left_at = True, None
            joined.append(user)
    await repos.flush()
    return joined


async def leave(repos: Repos, team: Team, user_ids: set[int], now: datetime) -> int:
    memberships = await repos.members.for_team(team.id)
    left = 0
    for user_id, membership in memberships.items():
        if user_id in user_ids and membership.active:
            membership.active, membership.left_at = False, now
            left += 1
    return left


def _listed_user(person: Person, tenant_id: str | None, service_url: str, now: datetime) -> User:
    """Someone known from a roster or an event, who has not written to the bot."""
    return User(
        tenant_id=tenant_id,
        teams_id=person.id,
        aad_object_id=person.aad_object_id,
        name=person.name,
        email=person.email,
        upn=person.upn,
        service_url=service_url,
        paused=False,
        opted_out=False,
        first_seen_at=now,
    )


def _new_sender(person: Person, inbound: Inbound, now: datetime) -> User:
    """Someone who just wrote to the bot (in 1:1, the chat is theirs to keep)."""
    personal = inbound.is_personal
    return User(
        tenant_id=inbound.tenant_id,
        teams_id=person.id,
        aad_object_id=person.aad_object_id,
        name=person.name,
        email=person.email,
        upn=person.upn,
        service_url=inbound.service_url,
        personal_ref=inbound.conversation_ref if personal else None,
        timezone_hint=inbound.local_timezone if personal else None,
        locale=inbound.locale if personal else None,
        paused=False,
        opted_out=False,
        first_seen_at=now,
        last_seen_at=now,
    )


def _refresh(user: User, person: Person, tenant_id: str | None, service_url: str) -> None:
    for attr, value in (
        ("name", person.name),
        ("aad_object_id", person.aad_object_id),
        ("email", person.email),
        ("upn", person.upn),
        ("tenant_id", tenant_id),
        ("service_url", service_url),
    ):
        if value:
            _set_if_changed(user, attr, value)


def _set_if_changed(user: User, attr: str, value: object) -> None:
    if getattr(user, attr) != value:
        setattr(user, attr, value)


def display(user: User | None) -> str:
    if user is None:
        return _("someone")
    return user.name or user.email or user.upn or _("a member")


def listed(users: list[User]) -> str:
    """Names in plain words: "Ana", "Ana and Ben", "Ana, Ben and Cy"."""
    names = [display(u) for u in users]
    if len(names) <= 1:
        return "".join(names)
    return _("{names} and {last}", names=", ".join(names[:-1]), last=names[-1])


def one_of(turn: Turn, query: str, found: list[User], none: str) -> User | None:
    """The single person a name or email found; otherwise say why (`none` when nobody
    matched) and return None."""
    if len(found) == 1:
        return found[0]
    if not found:
        turn.say(none)
    else:
        names = ", ".join(display(u) for u in found[:5])
        turn.say(
            _(
                "'{query}' matches several people ({names}); please be more specific.",
                query=query,
                names=names,
            )
        )
    return None


async def team_member_named(turn: Turn, team: Team, query: str) -> User | None:
    """The one active member of `team` whose name, email or UPN contains `query`."""
    found = await turn.repos.users.in_team_matching(team.id, query)
    none = _("No member of {team} matches '{query}'. Nothing changed.", team=team.name, query=query)
    return one_of(turn, query, found, none)


async def member_teams(repos: Repos, user: User) -> list[Team]:
    """The active teams the person is an active member of."""
    return [t for m, t in await repos.members.of_user(user.id) if m.active and t.active]


def language_of(
    user: User | None, directory_language: str | None = None, team: Team | None = None
) -> str:
    """THE rule for the language a person is written to in: the one they chose (the
    `language` command, the profile card), else the Teams locale of their last 1:1
    activity, else their preferred language in the directory (Microsoft Graph), else the
    team's default (an admin's `/team language`), else English."""
    return i18n.pick(
        user.language if user else None,
        user.locale if user else None,
        directory_language,
        team.language if team else None,
    )


async def languages_of(
    repos: Repos, users: Iterable[User], team: Team | None = None
) -> dict[int, str]:
    """language_of for many people at once (a job writing to a team): one query for the
    directory's languages of those without a choice or a Teams locale of their own."""
    listed = list(users)
    unsure = [u.id for u in listed if i18n.supported(u.language or u.locale) is None]
    entries = await repos.directory.entries(unsure) if unsure else {}
    return {
        u.id: language_of(u, entries[u.id].language if u.id in entries else None, team)
        for u in listed
    }


async def language_of_user(repos: Repos, user: User, team: Team | None = None) -> str:
    """language_of for one person, reading the directory only when it decides."""
    return (await languages_of(repos, [user], team))[user.id]
