"""Languages: the catalogs and the language in force (dialogs/core/i18n.py), the rule for
a person's language (people.language_of), the `language` and `/team language` commands,
commands and weekdays typed in other languages, and cards in the reader's language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from dialogs.core import i18n
from dialogs.core.cards import Cards
from dialogs.core.people import language_of
from dialogs.core.schedule_args import weekday
from infra import catalogs
from storage.models import Team, User
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser

ANA = TeamsUser("ana", "Ana Lee")  # installs the bot: an admin
BEN = TeamsUser("ben", "Ben Okafor")
DATA = TeamsTeam("data", "Data Guild")

_ = i18n.catalog("dialogs.account")


def in_locale(activity: dict, locale: str | None) -> dict:
    activity["locale"] = locale
    return activity


async def say(bot, user, text, locale="en-US"):
    activity = in_locale(teams.personal_message(bot.service_url, user, text), locale)
    return await bot.send(activity)


async def user_row(bot, user) -> User:
    async with bot.db.unit() as repos:
        return await repos.users.by_teams_id(user.id)


# --- the catalogs themselves --------------------------------------------------------------


def test_every_catalog_is_compiled_and_no_translation_is_fuzzy_or_misplaced():
    """Structure, for every domain: no fuzzy entry, no translation whose placeholders
    differ from the English, no compiled file behind its .po. (Untranslated entries of
    the domains still being translated are the only problems allowed here.)"""
    found = [p for p in catalogs.problems() if ": untranslated: " not in p]
    assert found == []


def test_the_placeholder_check_sees_a_moved_renamed_or_dropped_placeholder():
    assert catalogs.placeholders("Hi {name}, see ${title} at %(when)s") == [
        "${title}",
        "%(when)s",
        "{name}",
    ]
    assert catalogs.placeholders("{n:,} people") == ["{n:,}"]
    assert catalogs.placeholders("Hallo {nom}") != catalogs.placeholders("Hi {name}")


def test_extraction_finds_code_messages_and_card_strings():
    template = catalogs.extract("dialogs.account")
    ids = {m.id for m in template if m.id}
    assert "you chose it" in ids  # _() in dialogs/account/language.py
    assert "Save profile" in ids  # an Action.Submit title in cards/profile_form.json
    assert "${title}" not in ids  # a placeholder alone is not a message


def test_unmarked_prose_is_found_and_marked_prose_is_not(tmp_path, monkeypatch):
    module = tmp_path / "fake.py"
    module.write_text(
        '"""A docstring is not said."""\n'
        "import logging\n"
        "from dialogs.core.i18n import catalog\n"
        "_ = catalog('dialogs.account')\n"
        "def f(turn, name):\n"
        "    logging.getLogger(__name__).info('a log line with words')\n"
        "    turn.say(_('Hello there, {name}', name=name))\n"
        "    turn.say(f'Not marked at all, {name}')\n"
        "    return {'opt out': 1}  # i18n: not said\n"
    )
    monkeypatch.setattr(catalogs, "owned_files", lambda domain: iter([module]))
    monkeypatch.setattr(catalogs, "ROOT", tmp_path)
    found = catalogs.unmarked("dialogs.account")
    assert len(found) == 1 and "Not marked at all" in found[0]


# Every domain has every message in the catalogs, translated in every language: no prose
# outside `_()` (infra/catalogs.py unmarked) and no problem at all in the catalogs. A new
# domain is complete from its first message too.
COMPLETE: tuple[str, ...] = i18n.DOMAINS


@pytest.mark.parametrize("domain", COMPLETE)
def test_a_complete_domain_has_every_message_translated(domain):
    assert catalogs.unmarked(domain) == []
    assert catalogs.problems((domain,)) == []


# --- the language in force ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("de-DE", "de"),
        ("de_AT", "de"),
        ("ES", "es"),
        ("fr-CA", "fr"),
        ("ja-JP", "ja"),
        ("en-GB", "en"),
        ("pt-BR", None),
        ("", None),
        (None, None),
    ],
)
def test_supported_reads_teams_locales(tag, code):
    assert i18n.supported(tag) == code


def test_speaking_translates_inside_and_restores_the_language_after():
    with i18n.speaking("de-DE"):
        assert _("you chose it") == "du hast sie gewählt"
        with i18n.speaking("ja"):
            assert _("you chose it") == "ご自身で選択"
        assert i18n.current() == "de"
    assert i18n.current() == "en" and _("you chose it") == "you chose it"
    with i18n.speaking("pt-BR"):  # a language Mentorbot does not write: English
        assert _("you chose it") == "you chose it"


def test_a_message_missing_from_a_catalog_is_said_in_english():
    with i18n.speaking("fr"):
        assert _("A sentence no catalog has, {x}", x=1) == "A sentence no catalog has, 1"


def test_language_of_follows_choice_then_teams_then_directory_then_team():
    team = Team(language="es")
    assert language_of(User(language="fr", locale="de-DE"), "ja-JP", team) == "fr"
    assert language_of(User(locale="de-DE"), "ja-JP", team) == "de"
    assert language_of(User(locale="pt-BR"), "ja-JP", team) == "ja"  # unsupported: next
    assert language_of(User(), "", team) == "es"
    assert language_of(User(), None, None) == "en"


def test_dates_weekdays_and_numbers_are_written_the_languages_way():
    at = datetime(2027, 3, 1, 14, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert i18n.when(at, "%d %b %Y") == "01 Mar 2027"  # English: exactly as before
    with i18n.speaking("ja"):
        assert i18n.when(at, "%A %d %B %Y") == "2027年3月1日月曜日"
        assert i18n.when(at, "%d %b") == "3月1日"
        assert i18n.weekday_name(2) == "水曜日"
    with i18n.speaking("de"):
        assert i18n.when(date(2027, 3, 1), "%A %d %B %Y") == "Montag, 1. März 2027"
        assert i18n.number(12345) == "12.345"
    with i18n.speaking("fr"):
        assert i18n.when(datetime(2027, 3, 1, tzinfo=UTC), "%d %b %Y") == "1 mars 2027"
        assert i18n.weekday_name(0) == "lundi"
    with pytest.raises(ValueError, match="no skeleton"):
        i18n.when(at, "%Y/%m")


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("monday", 0),
        ("Tue", 1),
        ("montag", 0),
        ("Mittwoch", 2),
        ("lunes", 0),
        ("miércoles", 2),
        ("lundi", 0),
        ("vendredi", 4),
        ("月曜日", 0),
        ("金", 4),
        ("someday", None),
        ("", None),
    ],
)
def test_weekdays_are_read_in_every_language(typed, day):
    assert weekday(typed) == day


def test_a_card_is_rendered_in_the_language_in_force_and_cached_per_language():
    account = Cards("dialogs.account")
    english = account.render("delete_confirm")
    with i18n.speaking("de"):
        german = account.render("delete_confirm")
    assert english["body"][0]["text"] == "Delete your data?"
    assert german["body"][0]["text"] == "Deine Daten löschen?"
    assert [a["title"] for a in german["actions"]] == ["Ja, meine Daten löschen", "Abbrechen"]
    assert german["actions"][0]["data"] == english["actions"][0]["data"]  # never translated
    assert account.render("delete_confirm") == english  # English again after


# --- end to end ----------------------------------------------------------------------------


async def test_a_german_teams_user_is_answered_in_german_and_can_choose_french(bot):
    [shown] = await say(bot, BEN, "sprache", locale="de-DE")
    assert shown.startswith("Ich schreibe dir auf Deutsch (deine Teams-Sprache)")
    [chosen] = await say(bot, BEN, "language fr", locale="de-DE")
    assert chosen.startswith("D'accord, désormais je vous écris en Français")
    assert (await user_row(bot, BEN)).language == "fr"
    # The choice wins over the Teams locale at the next message, also for a command
    # typed in yet another language.
    [again] = await say(bot, BEN, "idioma", locale="de-DE")
    assert again.startswith("Je vous écris en Français (vous l'avez choisie)")
    [auto] = await say(bot, BEN, "langue auto", locale="ja-JP")
    assert auto.startswith("わかりました。Teams の言語に戻します: 日本語")
    assert (await user_row(bot, BEN)).language is None


async def test_an_unknown_language_is_refused_and_changes_nothing(bot):
    await say(bot, BEN, "language de")
    [text] = await say(bot, BEN, "language klingon", locale="en-US")
    assert "I don't write 'klingon' (yet)" not in text  # said in German: the choice
    assert "'klingon'" in text and "Es wurde nichts geändert" in text
    assert (await user_row(bot, BEN)).language == "de"


async def test_commands_typed_in_other_languages_work_and_suggest_in_the_users_words(bot):
    english = await say(bot, BEN, "help")
    assert await say(bot, BEN, "hilfe", locale="de-DE") != []
    assert await say(bot, BEN, "ヘルプ", locale="ja-JP") != []
    assert await say(bot, BEN, "aide", locale="fr-FR") != []
    assert (await say(bot, BEN, "ayuda", locale="en-US")) == english  # same command


async def test_a_team_admin_sets_the_teams_default_and_a_member_may_not(bot):
    bot.connector.set_roster(DATA.id, [ANA.member(), BEN.member()], DATA.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, DATA))
    refused = await bot.send(teams.channel_message(bot.service_url, BEN, DATA, "/team language es"))
    assert "for admins" in refused[0]
    [done] = await bot.send(teams.channel_message(bot.service_url, ANA, DATA, "/team language es"))
    assert "The default language of Data Guild is now Español" in done
    # Ana never wrote to me 1:1 (no Teams locale known): the team's default is hers now.
    [bad] = await bot.send(teams.channel_message(bot.service_url, ANA, DATA, "/team language xx"))
    assert "'xx'" in bad and "No se ha cambiado nada" in bad
    async with bot.db.unit() as repos:
        team = await repos.teams.by_team_id(DATA.id)
        assert team.language == "es"


PROFILE = {
    "action": "profile_save",
    "role": "mentee",
    "skills_offer": "",
    "skills_want": "leadership",
    "goals": "",
    "interests": "",
    "department": "Data",
    "location": "Berlin",
    "timezone": "Europe/Berlin",
    "languages": "English",
    "meeting_format": "video",
    "meetings_per_month": "2",
}


async def submit(bot, user, value, locale="en-US"):
    activity = in_locale(teams.card_submit(bot.service_url, user, value), locale)
    return await bot.send(activity)


async def test_the_profile_card_chooses_the_language_and_an_older_card_keeps_it(bot):
    await say(bot, BEN, "hi")
    form = next(
        card for call in bot.connector.messages(BEN.personal_conversation) for card in call.cards
    )
    choice = _input(form, "app_language")
    assert choice["value"] == "auto"
    assert [c["value"] for c in choice["choices"]] == ["auto", "en", "de", "es", "fr", "ja"]

    await submit(bot, BEN, {**PROFILE, "app_language": "es"})
    assert (await user_row(bot, BEN)).language == "es"
    [shown] = await say(bot, BEN, "language")
    assert shown.startswith("Te escribo en Español (lo elegiste tú)")

    await submit(bot, BEN, PROFILE)  # a card from before the choice existed
    assert (await user_row(bot, BEN)).language == "es"
    [refused] = await submit(bot, BEN, {**PROFILE, "app_language": "tlh"})
    assert "Nothing was saved" in refused or "tlh" not in refused
    assert (await user_row(bot, BEN)).language == "es"
    await submit(bot, BEN, {**PROFILE, "app_language": "auto"})
    assert (await user_row(bot, BEN)).language is None


def _input(node, wanted):
    if isinstance(node, dict):
        if node.get("id") == wanted:
            return node
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            found = _input(item, wanted)
            if found is not None:
                return found
    return None
