"""Coffee chats in a team: one round (who takes part, lottery, groups, intros, people who
could not be placed, ghost pauses) and the follow-ups after it.

A round is planned (pure reads plus the algorithm) and then committed: the round, its
groups and every message it sends are written in one transaction, the caller's unit
(the scheduler's claim, or an admin's `/pair now` turn). The outbox then delivers.

Every message to one member (an intro, "no partner this round", a ghost pause, a
follow-up) is in that member's language (people.language_of), rendered once per
recipient; what a group or a channel reads together (a group chat's intro, the round's
notice) is in the team's default language. A starter is chosen by its English text (the
seed decides it whatever the languages) and said through the catalog.
"""

from __future__ import annotations

import random
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from dialogs.coffee import grouping as algo
from dialogs.core import i18n, outbox
from dialogs.core.cards import Cards
from dialogs.core.i18n import N_
from dialogs.core.links import chat_link, handle, meeting_link
from dialogs.core.local_time import is_paused, local_day, zone_of
from dialogs.core.people import display, languages_of, listed
from dialogs.core.profiles import shared_fields
from dialogs.directory.store import chats_allowed
from scheduler.types import JobContext
from storage.models import (
    GroupChat,
    PairChoice,
    PairPool,
    PairRound,
    PairSeat,
    Profile,
    Team,
    User,
)
from storage.repos import Repos

_ = i18n.catalog(__package__)
CARDS = Cards("dialogs.coffee")
ROUND_JOB = "pairing"
FOLLOWUP_JOB = "pairing_followups"
GHOST_ROUNDS = 3  # unanswered follow-ups in a row before a member is paused
# A follow-up that could not go out within this long after it was due is skipped.
FOLLOWUP_GRACE = timedelta(days=7)

SKIP_REASONS = {
    "erased": N_("deleted their data"),
    "opted_out": N_("opted out"),
    "paused": N_("paused"),
    "unreachable": N_("unreachable (removed or blocked the app)"),
    "ghost": N_("paused after unanswered follow-ups"),
    "not_joined": N_("not joined (opt-in mode)"),
    "left": N_("left coffee chats here"),
}

# Conversation starters for intros; one per group, chosen by the round's seed.
STARTERS = (
    N_("What's something you learned recently that surprised you?"),
    N_("Which part of your work would you happily do all day?"),
    N_("What did you want to be when you were ten?"),
    N_("What's a small habit that made your week better?"),
    N_("Which tool or trick saves you the most time?"),
    N_("What's the best piece of advice you've been given at work?"),
    N_("If you could swap jobs with anyone here for a day, whose would it be?"),
    N_("What are you looking forward to this month?"),
    N_("What's a book, show or podcast you'd recommend, and why?"),
    N_("What's a skill you'd learn if you had a free month?"),
    N_("Where's the most interesting place you've worked from?"),
    N_("What's a problem you solved lately that you're proud of?"),
    N_("How did you end up in your current role?"),
    N_("What does a great day at work look like for you?"),
    N_("What's something most people here don't know about you?"),
    N_("Which project would you start tomorrow if you had the time?"),
)

UNPLACED_TEXT = {
    "alone": N_("you were the only member available this round"),
    "all_excluded": N_(
        "nobody available this round could be grouped with you "
        "(don't-pair preferences, yours or theirs)"
    ),
    "no_compatible_group": N_(
        "no group could take you without breaking a don't-pair preference (yours or theirs)"
    ),
}


@dataclass
class Plan:
    """Who meets whom in one round, before anything is written."""

    team: Team
    pool: PairPool
    seed: int
    groups: list[list[User]] = field(default_factory=list)
    lottery: list[User] = field(default_factory=list)  # the host first, then the winners
    unplaced: list[tuple[User, str]] = field(default_factory=list)  # (user, code)
    ghosts: list[User] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    repeats: int = 0
    profiles: dict[int, Profile] = field(default_factory=dict)
    # Graph connected (set when the round commits): intros offer "Find a time".
    graph: bool = False

    @property
    def placed(self) -> int:
        return sum(len(g) for g in self.groups) + len(self.lottery)

    def summary(self) -> dict[str, Any]:
        sizes = Counter(len(g) for g in self.groups)
        return {
            "placed": self.placed,
            "groups": len(self.groups) + (1 if self.lottery else 0),
            "group_sizes": {str(k): v for k, v in sorted(sizes.items())},
            "repeats": self.repeats,
            "lottery_winners": max(len(self.lottery) - 1, 0),
            "unplaced": len(self.unplaced),
            "ghost_paused": len(self.ghosts),
            "skipped": dict(self.skipped),
        }


def round_seed(team_id: int, period: str) -> int:
    """Stable per round: replaying a round (a retried job) makes the same groups."""
    return zlib.crc32(f"{team_id}:{period}".encode()) & 0x7FFFFFFF  # fits an INTEGER column


# --- planning -------------------------------------------------------------------------
async def plan_round(repos: Repos, team: Team, pool: PairPool, now: datetime, seed: int) -> Plan:
    plan = Plan(team, pool, seed)
    choices = await repos.pairing.choices(team.id)
    members = await repos.pairing.active_member_users(team.id)
    profiles = await repos.pairing.member_profiles(team.id)
    eligible: list[User] = []
    for user in members:
        zone = zone_of(user, p.timezone if (p := profiles.get(user.id)) else None)
        reason = skip_reason(user, choices.get(user.id), pool, local_day(zone, now))
        if reason:
            plan.skipped[reason] += 1
        else:
            eligible.append(user)
    plan.ghosts = await _ghosts(repos, team, eligible, choices)
    ghost_ids = {u.id for u in plan.ghosts}
    eligible = [u for u in eligible if u.id not in ghost_ids]
    plan.profiles = {u.id: profiles[u.id] for u in eligible if u.id in profiles}
    taking_part = {u.id for u in eligible}
    rules = {
        user: others
        for user, others in (await repos.pairing.dont_pair_in_team(team.id)).items()
        if user in taking_part
    }
    history = await repos.pairing.history(team.id, pool.history_rounds)
    plan.lottery = await _draw(repos, plan, eligible, rules, history)
    drawn = {u.id for u in plan.lottery}
    _group(plan, [u for u in eligible if u.id not in drawn], rules, history)
    return plan


def skip_reason(user: User, choice: PairChoice | None, pool: PairPool, today: date) -> str:
    """Why a team member is left out of this round ("" when they take part); `today` is
    the member's own local date."""
    if user.teams_id is None or user.erased_at is not None:
        return "erased"
    if user.opted_out:
        return "opted_out"
    if is_paused(user, today):
        return "paused"
    if user.unreachable_at is not None:
        return "unreachable"
    if choice is not None and choice.ghost_paused_at is not None:
        return "ghost"
    if pool.opt_in and (choice is None or not choice.joined):
        return "not_joined"
    if choice is not None and not choice.joined:
        return "left"
    return ""


async def _ghosts(
    repos: Repos, team: Team, eligible: list[User], choices: dict[int, PairChoice]
) -> list[User]:
    """Members whose last GHOST_ROUNDS follow-ups here all went unanswered."""
    recent = await repos.pairing.recent_followups(team.id, GHOST_ROUNDS)
    ghosts = []
    for user in eligible:
        seats = recent.get(user.id, [])
        since = choices[user.id].misses_from if user.id in choices else None
        counted = [s for s in seats if since is None or (s.followup_at or since) >= since]
        if len(counted) == GHOST_ROUNDS and all(s.answered_at is None for s in counted):
            ghosts.append(user)
    return ghosts


async def _draw(
    repos: Repos,
    plan: Plan,
    eligible: list[User],
    rules: dict[int, set[int]],
    history: list[list[list[int]]],
) -> list[User]:
    pool = plan.pool
    host_id = pool.lottery_host_id
    if not pool.lottery_winners or host_id is None:
        return []
    by_id = {u.id: u for u in eligible}
    host = by_id.get(host_id)
    if host is None:
        plan.skipped["lottery_host_away"] += 1
        return []
    blocked = rules.get(host_id, set()) | {u for u, others in rules.items() if host_id in others}
    candidates = [str(u.id) for u in eligible if u.id != host_id and u.id not in blocked]
    since = pool.lottery_since or datetime.min.replace(tzinfo=plan.team.installed_at.tzinfo)
    wins = await repos.pairing.lottery_wins(plan.team.id, host_id, since)
    drawn = algo.draw_lottery(
        candidates,
        {str(k): v for k, v in wins.items()},
        pool.lottery_winners,
        plan.seed,
        _as_str(rules),
        _as_str(_partners(history)),
    )
    return [host, *(by_id[int(i)] for i in drawn)] if drawn else []


def _partners(history: list[list[list[int]]]) -> dict[int, set[int]]:
    met: dict[int, set[int]] = {}
    for past in history:
        for group in past:
            for member in group:
                met.setdefault(member, set()).update(m for m in group if m != member)
    return met


def _as_str(links: dict[int, set[int]]) -> dict[str, frozenset[str]]:
    return {str(k): frozenset(str(v) for v in vs) for k, vs in links.items()}


def _group(
    plan: Plan, people: list[User], rules: dict[int, set[int]], history: list[list[list[int]]]
) -> None:
    pool = plan.pool
    members = [
        algo.Member(
            str(u.id),
            department=_department(plan.profiles.get(u.id)),
            dont_pair=frozenset(str(o) for o in rules.get(u.id, ())),
        )
        for u in people
    ]
    result = algo.make_groups(
        members,
        [[[str(i) for i in g] for g in past] for past in history],
        group_size=pool.group_size,
        seed=plan.seed,
        window=pool.history_rounds,
        prefer_cross_department=pool.cross_department,
    )
    by_id = {str(u.id): u for u in people}
    plan.groups = [[by_id[i] for i in g] for g in result.groups]
    plan.unplaced = [(by_id[u.id], u.code) for u in result.unplaced]
    plan.repeats = result.summary.repeats


def _department(profile: Profile | None) -> str | None:
    return (profile.department.strip().lower() or None) if profile else None


# --- committing -----------------------------------------------------------------------
async def commit_round(
    repos: Repos, plan: Plan, now: datetime, period: str, trigger: str, *, graph: bool = False
) -> PairRound:
    """Write the round and queue every message it sends, in the caller's transaction.
    With group chats on (and Graph connected, `graph`), a group's intro is recorded for
    the Graph worker (bot/graph/chats.py) instead: it makes the group's chat and posts
    the intro there, or sends these same 1:1 intros when Graph may not."""
    team = plan.team
    pair_round = await repos.pairing.add_round(
        PairRound(
            team_id=team.id,
            period=period,
            trigger=trigger,
            seed=plan.seed,
            summary=plan.summary(),
            created_at=now,
        )
    )
    rng = random.Random(plan.seed)
    groups = [(members, False, rng.choice(STARTERS)) for members in plan.groups]
    if plan.lottery:
        groups.append((plan.lottery, True, rng.choice(STARTERS)))
    group_ids = await repos.pairing.add_groups(
        pair_round, [([u.id for u in members], lottery) for members, lottery, _s in groups]
    )
    plan.graph = graph
    chats = graph and plan.pool.group_chats and await chats_allowed(repos, team.tenant_id, now)
    # Everyone the round writes to, in their own language: one query for them all.
    told = [u for members, _l, _s in groups for u in members]
    told += [u for u, _c in plan.unplaced] + plan.ghosts
    languages = await languages_of(repos, told, team)
    # One statement for every message of the round (not one per member), in the order
    # they were always queued: intros group by group, unplaced, ghosts, the notice.
    messages: list[outbox.Message] = []
    for group_id, (members, lottery, starter) in zip(group_ids, groups, strict=True):
        intros = _intros(plan, pair_round, group_id, members, lottery, starter, languages)
        if chats and team.tenant_id and all(u.aad_object_id for u in members):
            with i18n.speaking(team.language):
                chat = _group_chat(
                    plan, pair_round, group_id, members, lottery, starter, intros, now
                )
            repos.directory.add_chat(chat)
        else:
            messages += intros
    for user, code in plan.unplaced:
        with i18n.speaking(languages[user.id]):
            messages.append(_unplaced(team, pair_round, user, code))
    await repos.pairing.ghost_pause(team.id, [u.id for u in plan.ghosts], now)
    for user in plan.ghosts:
        with i18n.speaking(languages[user.id]):
            messages.append(_ghost_message(team, pair_round, user))
    with i18n.speaking(team.language):  # the channel reads it together
        notice = _notice(plan, pair_round)
    if notice is not None:
        messages.append(notice)
    await outbox.queue_many(repos, messages, now)
    return pair_round


def _group_chat(
    plan: Plan,
    pair_round: PairRound,
    group_id: int,
    members: list[User],
    lottery: bool,
    starter: str,
    intros: list[outbox.Message],
    now: datetime,
) -> GroupChat:
    """The group's own chat, in the language in force (the caller says the team's); its
    fallback is the 1:1 intros, each already in its recipient's language."""
    team = plan.team
    name = team.name or _("your team")
    names = listed(members)
    intro = {
        "key": outbox.key("pairchat", round=pair_round.id, group=group_id),
        "text": _("Coffee lottery in {team} this round: {names}.", team=name, names=names)
        if lottery
        else _("Your coffee chat in {team} this round: {names}.", team=name, names=names),
        "card": chat_intro_card(plan, members, lottery, starter, group_id),
    }
    return GroupChat(
        kind="coffee",
        ref_id=group_id,
        team_id=team.id,
        tenant_id=team.tenant_id or "",
        state="pending",
        payload={
            "topic": _("Coffee chat ({team})", team=name)[:250],
            "members": [u.aad_object_id for u in members],
            "intro": intro,
            "fallback": [
                {"key": m.key, "user_id": m.user_id, "team_id": m.team_id, "payload": m.payload()}
                for m in intros
            ],
        },
        attempts=0,
        created_at=now,
        updated_at=now,
    )


def chat_intro_card(
    plan: Plan, members: list[User], lottery: bool, starter: str, group_id: int = 0
) -> dict[str, Any]:
    """The intro posted once in the group's own chat: everyone, what each shares."""
    team = plan.team.name or _("your team")
    reachable = [h for h in (handle(u) for u in members) if h]
    names = listed(members)
    title = (
        _("🎟️ Coffee lottery in {team}: {names}", team=team, names=names)
        if lottery
        else _("☕ Coffee chat in {team}: {names}", team=team, names=names)
    )
    said = _(starter)
    return CARDS.render(
        "pair_intro",
        title=title,
        partners=[_partner_block(u, plan.profiles.get(u.id), None) for u in members],
        starter=said,
        meeting_url=meeting_link(reachable, _("Coffee chat ({team})", team=team), said),
        in_chat=bool(reachable),
        **_find_time(plan, members, group_id),
    )


def _notice(plan: Plan, pair_round: PairRound) -> outbox.Message | None:
    """A short post in the pool's chosen channel, when an admin chose one (in the
    language in force: the caller says the team's)."""
    channel = plan.pool.channel_ref
    if not channel or not plan.placed:
        return None
    groups = len(plan.groups) + bool(plan.lottery)
    text = _(
        "☕ A new coffee round in {team}: {people} in {groups}. "
        "Your partners are in your chat with me.",
        team=plan.team.name,
        people=_.ngettext("{n} person", "{n} people", plan.placed),
        groups=_.ngettext("{n} group", "{n} groups", groups),
    )
    if plan.pool.opt_in:
        text += " " + _("Want in next time? Chat with me and type `join coffee`.")
    return outbox.to_team(
        outbox.key("pairnotice", round=pair_round.id), plan.team.id, text=text, channel=channel
    )


def _intros(
    plan: Plan,
    pair_round: PairRound,
    group_id: int,
    members: list[User],
    lottery: bool,
    starter: str,
    languages: dict[int, str],
) -> list[outbox.Message]:
    """One intro per member, each in that member's own language."""
    intros = []
    for user in members:
        others = [u for u in members if u.id != user.id]
        with i18n.speaking(languages.get(user.id)):
            intros.append(
                outbox.to_user(
                    outbox.key("pairintro", round=pair_round.id, user=user.id),
                    user.id,
                    text=_intro_text(plan.team, others, lottery),
                    card=intro_card(plan, user, others, lottery, starter, group_id),
                    team_id=plan.team.id,
                )
            )
    return intros


def _intro_text(team: Team, others: list[User], lottery: bool) -> str:
    names = listed(others)
    if lottery:
        return _(
            "Coffee lottery in {team}: you're meeting {names} this round.",
            team=team.name,
            names=names,
        )
    return _("Your coffee chat in {team} this round: {names}.", team=team.name, names=names)


def _unplaced(team: Team, pair_round: PairRound, user: User, code: str) -> outbox.Message:
    why = UNPLACED_TEXT.get(code)
    text = _(
        "No coffee partner for you in {team} this round, sorry: {why}. "
        "You're still in, and I'll try again next round.",
        team=team.name,
        why=_(why) if why else _("I couldn't find a group for you"),
    )
    return outbox.to_user(
        outbox.key("pairunplaced", round=pair_round.id, user=user.id),
        user.id,
        text=text,
        team_id=team.id,
    )


def _ghost_message(team: Team, pair_round: PairRound, user: User) -> outbox.Message:
    text = _(
        "You haven't answered my last {n} coffee follow-ups in {team}, "
        "so I've paused your coffee chats there (no hard feelings!). "
        "Type `join coffee` or `resume` whenever you'd like partners again.",
        n=GHOST_ROUNDS,
        team=team.name,
    )
    return outbox.to_user(
        outbox.key("pairghost", round=pair_round.id, user=user.id),
        user.id,
        text=text,
        team_id=team.id,
    )


# --- the intro card ---------------------------------------------------------------------
def intro_card(
    plan: Plan, user: User, others: list[User], lottery: bool, starter: str, group_id: int = 0
) -> dict[str, Any]:
    """One member's intro, in the language in force (the caller says the member's)."""
    mine = plan.profiles.get(user.id)
    partners = [_partner_block(u, plan.profiles.get(u.id), mine) for u in others]
    links = [handle(u) for u in others]
    reachable = [h for h in links if h]
    team = plan.team.name or _("your team")
    said = _(starter)
    topic = _("Coffee chat ({team})", team=team)
    return CARDS.render(
        "pair_intro",
        title=_intro_title(plan, user, others, lottery, team),
        partners=partners,
        starter=said,
        chat_url=chat_link(reachable, topic, _("Hi! {starter}", starter=said)),
        meeting_url=meeting_link(reachable, topic, said),
        has_links=bool(reachable),
        no_links=not reachable,
        **_find_time(plan, [user, *others], group_id),
    )


def _find_time(plan: Plan, members: list[User], group_id: int) -> dict[str, Any]:
    """The "Find a time" button (slots in everyone's working hours, one calendar event: mentoring's
    meetings serve coffee groups too) when Graph is connected and everyone has an
    address; else the Schedule deep link is all there is."""
    able = plan.graph and bool(group_id) and all(handle(u) for u in members)
    return {"find_time": able, "group": group_id}


def _intro_title(plan: Plan, user: User, others: list[User], lottery: bool, team: str) -> str:
    if not lottery:
        return _("☕ Your coffee chat in {team}: meet {names}", team=team, names=listed(others))
    if plan.lottery and plan.lottery[0].id == user.id:
        return _(
            "🎟️ Coffee lottery in {team}: this round you meet {names}",
            team=team,
            names=listed(others),
        )
    return _(
        "🎟️ You won the coffee lottery in {team}: meet {name}",
        team=team,
        name=listed(others[:1]),
    )


def _partner_block(partner: User, theirs: Profile | None, mine: Profile | None) -> dict[str, Any]:
    shared = shared_fields(theirs)
    facts = [{"title": t, "value": v} for t, v in _shared_facts(theirs, shared)]
    items: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": f"**{display(partner)}**", "wrap": True}
    ]
    if facts:
        items.append({"type": "FactSet", "facts": facts})
    common = common_ground(display(partner), theirs, shared, mine)
    if common:
        items.append({"type": "TextBlock", "text": common, "wrap": True, "isSubtle": True})
    return {"type": "Container", "separator": True, "items": items}


def _shared_facts(profile: Profile | None, shared: list[str]) -> list[tuple[str, str]]:
    if profile is None:
        return []
    facts = []
    if "department" in shared and profile.department:
        facts.append((_("Department"), profile.department))
    if "location" in shared and profile.location:
        facts.append((_("Location"), profile.location))
    if "interests" in shared and profile.interests:
        facts.append((_("Interests"), ", ".join(profile.interests)))
    if "skills" in shared and profile.skills_offer:
        facts.append((_("Can help with"), ", ".join(profile.skills_offer)))
    if "skills" in shared and profile.skills_want:
        facts.append((_("Wants to grow"), ", ".join(profile.skills_want)))
    if "goals" in shared and profile.goals:
        facts.append((_("Goals"), profile.goals[:300]))
    return facts


def common_ground(
    name: str, theirs: Profile | None, shared: list[str], mine: Profile | None
) -> str:
    """What the recipient shares with a partner, from fields the partner chose to share."""
    if theirs is None or mine is None:
        return ""
    first = name.split()[0]
    notes = []
    if "interests" in shared:
        both = _overlap(mine.interests, theirs.interests)
        if both:
            notes.append(_("you both like {things}", things=", ".join(both)))
    if "skills" in shared:
        offers = _overlap(theirs.skills_offer, mine.skills_want)
        if offers:
            notes.append(
                _(
                    "{name} can help with {skills}, which you want to grow",
                    name=first,
                    skills=", ".join(offers),
                )
            )
        wants = _overlap(mine.skills_offer, theirs.skills_want)
        if wants:
            notes.append(
                _("you could help {name} with {skills}", name=first, skills=", ".join(wants))
            )
    return _("In common: {notes}.", notes="; ".join(notes)) if notes else ""


def _overlap(a: list[str], b: list[str]) -> list[str]:
    wanted = {x.lower() for x in b}
    return [x for x in a if x.lower() in wanted]


# --- scheduled work -----------------------------------------------------------------------
async def scheduled_round(ctx: JobContext) -> None:
    """The "pairing" team job: one round per scheduled period."""
    repos, team_id = ctx.repos, ctx.team_id
    assert team_id is not None
    team = await repos.teams.get(team_id)
    if team is None or not team.active:
        return
    if await repos.pairing.round_by_period(team_id, ctx.period) is not None:
        return  # already made (e.g. by a job run whose claim row was lost); never twice
    pool = await repos.pairing.ensure_pool(team_id, ctx.now)
    plan = await plan_round(repos, team, pool, ctx.now, round_seed(team_id, ctx.period))
    graph = bool(getattr(ctx.env, "graph", False))
    await commit_round(repos, plan, ctx.now, ctx.period, "schedule", graph=graph)


async def send_followups(ctx: JobContext) -> None:
    """The "pairing_followups" global job: "did you meet?" once the pool's delay passed,
    each in its member's own language."""
    repos, now = ctx.repos, ctx.now
    oldest = now - timedelta(days=60)
    due = await repos.pairing.followups_due(now, oldest)
    members = await repos.pairing.group_members({seat.group_id for seat, _r, _p in due})
    users = await repos.users.by_ids({u for ids in members.values() for u in ids})
    teams = await repos.teams.by_ids({seat.team_id for seat, _r, _p in due})
    asked: list[tuple[PairSeat, PairRound, User, Team]] = []
    for seat, pair_round, pool in due:
        seat.followup_at = now  # settled either way: never considered again
        user, team = users.get(seat.user_id), teams.get(seat.team_id)
        late = now - (pair_round.created_at + timedelta(days=pool.followup_days))
        if user is None or team is None or not _followable(user, team) or late > FOLLOWUP_GRACE:
            # Not asked, so it is no miss for ghost pausing (which counts unanswered asks).
            seat.answered_at = seat.answered_at or now
            continue
        asked.append((seat, pair_round, user, team))
    languages = await _languages_by_team(repos, [(user, team) for _s, _r, user, team in asked])
    for seat, pair_round, user, team in asked:
        others = [users[u] for u in members[seat.group_id] if u != seat.user_id and u in users]
        with i18n.speaking(languages[team.id, user.id]):
            ask = outbox.to_user(
                outbox.key("pairfollow", round=pair_round.id, user=user.id),
                user.id,
                card=followup_card(team, seat, others),
                team_id=team.id,
            )
        await outbox.queue(repos, ask, now)


async def _languages_by_team(
    repos: Repos, people: list[tuple[User, Team]]
) -> dict[tuple[int, int], str]:
    """Each (team, member)'s language, one directory query per team (the team's default
    is the fallback, so it is asked per team)."""
    by_team: dict[int, tuple[Team, dict[int, User]]] = {}
    for user, team in people:
        by_team.setdefault(team.id, (team, {}))[1][user.id] = user
    found: dict[tuple[int, int], str] = {}
    for team, those in by_team.values():
        for user_id, language in (await languages_of(repos, those.values(), team)).items():
            found[team.id, user_id] = language
    return found


def _followable(user: User, team: Team) -> bool:
    return team.active and user.teams_id is not None and not user.opted_out


def followup_card(team: Team, seat: PairSeat, others: list[User]) -> dict[str, Any]:
    """The "did you meet?" card, in the language in force (the caller says the member's)."""
    question = (
        _("Did you meet {names}?", names=listed(others))
        if others
        else _("Did you meet your coffee partner?")
    )
    return CARDS.render(
        "pair_followup",
        question=question,
        team=team.name or _("your team"),
        group=seat.group_id,
    )
