"""The Teams tab's pages as data (the admin dashboard and My mentoring), their sign-in
links, match health, insights, and concerns. bot/tab/ serves and renders them."""

from __future__ import annotations

from typing import Any

from dialogs.core import i18n
from dialogs.core.i18n import N_
from dialogs.core.router import Arg, Command, DataPart, Feature, Topic, Turn
from dialogs.dashboard import access, concerns

_ = i18n.catalog(__package__)


async def dashboard(turn: Turn) -> None:
    if turn.env.tab_sso:
        turn.say(
            _(
                "Open the **Dashboard** tab (admins) or **My mentoring** at the top of our "
                "chat. Teams signs you in."
            )
        )
        return
    token = access.new_link(turn.repos, turn.user, turn.now)
    turn.say(
        _(
            "Your sign-in link (works once, for {minutes} minutes, for you only): {link}",
            minutes=access.LINK_MINUTES,
            link=f"{turn.env.public_url}/tab/start/{token}",
        )
    )


async def _export(turn: Turn) -> Any:
    return [
        {"raised": c.created_at.isoformat(), "text": c.text, "handled": bool(c.handled_at)}
        for c in await turn.repos.tab.concerns_by(turn.user.id)
    ]


async def _erase(turn: Turn) -> None:
    await turn.repos.tab.erase_user(turn.user.id)


FEATURE = Feature(
    "dashboard",
    commands=(
        Command("dashboard", N_("open the dashboard and My mentoring (a sign-in link)"), dashboard),
        Command(
            "concern",
            N_("tell your team's admins privately about a concern"),
            concerns.raise_concern,
            usage=N_("<what worries you> [about=mentoring]"),
            args=(
                Arg("about", N_("mentoring: about your mentorship")),
                Arg("team", N_("which team's admins, when you are in several")),
            ),
            free_text=True,
            menu=False,
        ),
    ),
    help=Topic(
        ("dashboard", "concern"),
        N_("📊 Dashboard"),
        N_(
            "`dashboard` for a sign-in link to My mentoring (admins: the programs' numbers); "
            "`concern <text> [about=mentoring]` tells your team's admins privately, and you "
            "hear when it is handled."
        ),
    ),
    data=(
        DataPart(
            "concerns",
            _export,
            _erase,
            words=lambda rows: [r["text"] for r in rows],
        ),
    ),
)
