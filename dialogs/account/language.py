"""The language I write in: `language` (see it, choose it, or follow Teams again) and an
admin's `/team language` (the team's default, for its channel and for members who never
chose one or wrote to me). The rule itself is dialogs/core/people.py `language_of`."""

from __future__ import annotations

from dialogs.core import i18n
from dialogs.core.admins import team_of
from dialogs.core.people import language_of_user
from dialogs.core.router import Turn

_ = i18n.catalog(__package__)

# What people type for a language, besides its code: its own name and the English one.
_NAMES = {
    "english": "en",
    "englisch": "en",
    "inglés": "en",
    "anglais": "en",
    "英語": "en",
    "deutsch": "de",
    "german": "de",
    "alemán": "de",
    "allemand": "de",
    "ドイツ語": "de",
    "español": "es",
    "espanol": "es",
    "spanish": "es",
    "spanisch": "es",
    "espagnol": "es",
    "スペイン語": "es",
    "français": "fr",
    "francais": "fr",
    "french": "fr",
    "französisch": "fr",
    "francés": "fr",
    "フランス語": "fr",
    "日本語": "ja",
    "japanese": "ja",
    "japanisch": "ja",
    "japonés": "ja",
    "japonais": "ja",
}
# Follow Teams (and the directory) again instead of a choice.
AUTO = frozenset({"auto", "automatic", "automatisch", "automático", "automatique", "自動"})


def chosen(text: str) -> str | None:
    """The language code a person typed ("de", "de-DE", "Deutsch", "german"), or None."""
    typed = text.strip().lower()
    return _NAMES.get(typed) or i18n.supported(typed)


def choices() -> str:
    return ", ".join(f"{name} (`{code}`)" for code, name in i18n.LANGUAGES.items())


async def language_command(turn: Turn) -> None:
    typed = turn.rest.strip()
    if not typed:
        await _show(turn)
        return
    if typed.lower() in AUTO:
        turn.user.language = None
        language = await language_of_user(turn.repos, turn.user)
        with i18n.speaking(language):
            turn.say(
                _(
                    "Okay, I follow your Teams language again: {language}. "
                    "Type `language` to see how I chose it.",
                    language=i18n.LANGUAGES[language],
                )
            )
        return
    code = chosen(typed)
    if code is None:
        turn.say(
            _(
                "I don't write {typed} (yet). I can write {choices}. Nothing changed.",
                typed=f"'{typed}'",
                choices=choices(),
            )
        )
        return
    turn.user.language = code
    with i18n.speaking(code):
        turn.say(
            _(
                "Okay, from now on I write to you in {language}. "
                "Type `language auto` to follow your Teams language again.",
                language=i18n.LANGUAGES[code],
            )
        )


async def _show(turn: Turn) -> None:
    current = i18n.current()
    if turn.user.language:
        why = _("you chose it")
    elif i18n.supported(turn.inbound.locale) or i18n.supported(turn.user.locale):
        why = _("your Teams language")
    else:
        why = _("the default")
    turn.say(
        _(
            "I write to you in {language} ({why}). To change it, type `language` and one "
            "of {choices}; `language auto` follows your Teams language.",
            language=i18n.LANGUAGES[current],
            why=why,
            choices=choices(),
        )
    )


async def team_language(turn: Turn) -> None:
    team = team_of(turn)
    typed = turn.rest.strip()
    if not typed:
        shown = i18n.LANGUAGES[team.language] if team.language else i18n.LANGUAGES["en"]
        turn.say(
            _(
                "The default language of {team} is {language}: I use it in the team's "
                "channel and for members who have not chosen a language or written to me. "
                "Change it with `/team language` and one of {choices}.",
                team=team.name,
                language=shown,
                choices=choices(),
            )
        )
        return
    code = chosen(typed)
    if code is None:
        turn.say(
            _(
                "I don't write {typed} (yet). I can write {choices}. Nothing changed.",
                typed=f"'{typed}'",
                choices=choices(),
            )
        )
        return
    team.language = code
    turn.say(
        _(
            "The default language of {team} is now {language}: channel posts and members "
            "who have not chosen a language or written to me get it.",
            team=team.name,
            language=i18n.LANGUAGES[code],
        )
    )
