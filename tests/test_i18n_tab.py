"""The tab in the reader's language: a signed-in person's pages in their language (the
same rule as the chat), pages before sign-in (refusals, privacy, terms) in the browser's
Accept-Language, an admin's own privacy text exactly as written."""

from __future__ import annotations

import html

from tests.conftest import start_bot
from tests.goalkit import MENTEE, say
from tests.tabkit import get, seed, sign_in


async def test_my_mentoring_is_in_the_members_chosen_language(bot):
    await seed(bot)
    tom = await sign_in(bot, MENTEE)
    _, english, _ = await get(bot, "/tab/me", tom)
    assert '<html lang="en"' in english and "Your open goals" in english
    await say(bot, MENTEE, "language ja")
    status, page, _ = await get(bot, "/tab/me", tom)
    page = html.unescape(page)
    assert status == 200 and '<html lang="ja"' in page
    assert "マイ メンタリング" in page and "進行中の目標" in page
    assert "Public speaking" in page  # the member's own words stay as written
    assert "Your open goals" not in page
    await say(bot, MENTEE, "language fr")
    _, page, _ = await get(bot, "/tab/me", tom)
    assert "Vos objectifs en cours" in html.unescape(page)


async def test_pages_before_sign_in_follow_the_browsers_language(bot, connector, clock, settings):
    status, page, _ = await get(bot, "/privacy", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert status == 200 and "<h1>Privacidad</h1>" in page and "Mentorbot guarda" in page
    weighted = {"Accept-Language": "en;q=0.3, de-DE;q=0.8, pt-BR"}
    _, page, _ = await get(bot, "/terms", headers=weighted)  # pt first, unsupported; then de
    assert "<h1>Nutzungsbedingungen</h1>" in page
    status, page, _ = await get(bot, "/tab/me", headers={"Accept-Language": "fr-CA"})
    assert status == 401 and '<html lang="fr"' in page
    status, page, _ = await get(bot, "/privacy")
    assert "<h1>Privacy</h1>" in page  # no header: English
    custom = settings.with_(privacy_text="Contoso's own words.")
    async with start_bot(custom, connector, clock) as other:
        _, page, _ = await get(other, "/privacy", headers={"Accept-Language": "de"})
    assert "Contoso&#39;s own words." in page and "<h1>Datenschutz</h1>" in page


async def test_the_admins_program_page_and_a_concern_notice_in_their_languages(bot):
    from tests.goalkit import ADMIN
    from tests.inbox import keyed

    ids = await seed(bot)
    await say(bot, ADMIN, "language de")
    ada = await sign_in(bot, ADMIN)
    status, page, _ = await get(bot, f"/tab/programs/{ids['program']}", ada)
    page = html.unescape(page)
    assert status == 200 and '<html lang="de"' in page
    assert "Teilnahme-Trichter" in page and "Bindungskurve" in page  # chart titles
    assert "braucht Aufmerksamkeit" in page and "ein Ziel ist blockiert" in page  # health
    assert ">needs a check-in<" not in page  # the key is a value only, shown translated
    # The report's section headings and the downloads' names and contents, in German too.
    assert ">Teilnahme<" in page and ">Participation<" not in page
    assert 'data-download="pairs">Paare <span class="muted">(eine Zeile pro Paar)' in page
    # The filter still takes the state's key.
    _, filtered, _ = await get(bot, f"/tab/programs/{ids['program']}?state=needs+a+check-in", ada)
    assert 'value="needs a check-in" selected' in filtered
    # Tom (English Teams) raises a concern: Ada is told in German, Tom in English.
    reply = await say(bot, MENTEE, "concern about=mentoring My mentor keeps cancelling")
    assert reply.startswith("Thank you. Your concern went to the admins")
    told = keyed(bot, ADMIN, "concern:")
    assert told and "hat in Growth Guild ein Anliegen gemeldet" in (told[0].text or "")
