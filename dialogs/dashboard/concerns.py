"""`concern <text>` in the 1:1 chat: a private concern for the admins of the person's team
(`about=mentoring`: about their mentorship, for that program's team). It reaches only those
admins (a message 1:1, and the dashboard's action list until one marks it handled); the
person is told when it is."""

from __future__ import annotations

from dialogs.core import forms, i18n, outbox
from dialogs.core.people import language_of_user, languages_of, member_teams
from dialogs.core.router import Turn
from storage.models import Concern, Team, User
from storage.repos import Repos

MAX_CHARS = 1000
_ = i18n.catalog(__package__)


async def raise_concern(turn: Turn) -> None:
    try:
        text = forms.text(turn.rest, MAX_CHARS)
    except forms.FormError as exc:
        turn.say(_("Your concern {problem}. Nothing was sent.", problem=exc))
        return
    if len(text) < 5:
        turn.say(
            _(
                "Tell me what worries you after the word, e.g. `concern My mentor keeps "
                "cancelling` (add `about=mentoring` if it is about your mentorship). "
                "Only your team's admins will see it."
            )
        )
        return
    about = (turn.args.get("about") or "").strip().lower()
    target = await _target(turn, about == "mentoring")
    if target is None:
        return
    team, program_id, mentorship_id, involved = target
    # A concern about a mentorship never reaches an admin who is in it.
    recipients = [a for a in await _admins(turn.repos, team) if a.id not in involved]
    if not recipients:
        turn.say(
            _(
                "Every admin of {team} is part of your mentorship, so I can't pass this on "
                "privately. Nothing was sent. Send it without `about=mentoring` and add "
                '`team="Team name"` to reach another team\'s admins.',
                team=team.name,
            )
        )
        return
    concern = await turn.repos.tab.add_concern(
        Concern(
            team_id=team.id,
            program_id=program_id,
            mentorship_id=mentorship_id,
            user_id=turn.user.id,
            text=text,
            created_at=turn.now,
        )
    )
    languages = await languages_of(turn.repos, recipients, team)
    for admin in recipients:
        with i18n.speaking(languages[admin.id]):
            text = _(
                "{who} raised a concern in {team}. Open Mentorbot's Dashboard (or type "
                "`dashboard`) to read it and mark it handled.",
                who=turn.user.name or _("A member"),
                team=team.name,
            )
        await outbox.queue(
            turn.repos,
            outbox.to_user(
                outbox.key("concern", concern=concern.id, user=admin.id),
                admin.id,
                team_id=team.id,
                text=text,
            ),
            turn.now,
        )
    turn.say(
        _(
            "Thank you. Your concern went to the admins of {team} only; I'll tell you "
            "when one of them has handled it.",
            team=team.name,
        )
    )


async def _target(
    turn: Turn, about_mentoring: bool
) -> tuple[Team, int | None, int | None, frozenset[int]] | None:
    """The team, program and mentorship it is about, and who is in that mentorship."""
    repos = turn.repos
    if about_mentoring:
        ships = await repos.programs.mentorships_of(turn.user.id)
        for ship in ships:
            program = await repos.programs.get(ship.program_id)
            team = await repos.teams.get(program.team_id) if program else None
            if team is not None and team.active:
                return team, ship.program_id, ship.id, frozenset((ship.mentor_id, ship.mentee_id))
        turn.say(_("You have no mentorship running. Send it without `about=mentoring`."))
        return None
    teams = await member_teams(repos, turn.user)
    wanted = (turn.args.get("team") or "").lower()
    if wanted:
        teams = [t for t in teams if (t.name or "").lower() == wanted]
    if len(teams) == 1:
        return teams[0], None, None, frozenset()
    if not teams:
        turn.say(_("I can't find a team of yours for that. Nothing was sent."))
    else:
        names = ", ".join(f"'{t.name}'" for t in teams)
        turn.say(
            _(
                'Which team\'s admins? Add `team="Team name"` ({names}). Nothing was sent.',
                names=names,
            )
        )
    return None


async def _admins(repos: Repos, team: Team) -> list[User]:
    admins = {u.id: u for u in await repos.admins.of_team(team.id)}
    if team.installer_id and team.installer_id not in admins:
        installer = await repos.users.get(team.installer_id)
        if installer is not None:
            admins[installer.id] = installer
    return [u for u in admins.values() if u.erased_at is None]


async def handled_message(
    repos: Repos, concern_id: int, user_id: int, team_id: int, team: str
) -> outbox.Message:
    """The raiser's notice, in their language."""
    user = await repos.users.get(user_id)
    language = await language_of_user(repos, user) if user is not None else None
    with i18n.speaking(language):
        text = _(
            "An admin of {team} has handled the concern you raised. Thank you for telling us.",
            team=team,
        )
    return outbox.to_user(
        outbox.key("concernhandled", concern=concern_id), user_id, team_id=team_id, text=text
    )
