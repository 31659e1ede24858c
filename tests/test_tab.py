"""The Teams tab over HTTP, on both databases: sign-in with the chat's one-time link, the
admin's dashboard and program page with the metrics functions' numbers (the date range
changes them), CSV buttons, coffee chats, My mentoring, concerns, privacy and terms, the
response headers; and every refusal (401/403 with a friendly page, nothing leaked)."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from dialogs.feedback import metrics
from dialogs.feedback.lookup import Window
from dialogs.feedback.report import HEADLINES, program_report_metrics
from settings import Settings
from tests.conftest import FAST_DELIVERY, start_bot
from tests.goalkit import say, user_id
from tests.inbox import keyed
from tests.tabkit import (
    ADMIN,
    ELSE_MENTEE,
    MENTEE,
    MENTOR,
    OLGA,
    OTHER,
    chart_rows,
    csrf_of,
    get,
    link_for,
    metric_cells,
    post,
    seed,
    sign_in,
)

NOTHING_LEAKED = ("Secret Elsewhere Program", "Elsewhere Inc", "Spring mentoring", "Tom Mentee")


async def expected(bot, program_id: int, window: Window) -> dict[str, str]:
    """The headline numbers as the chat report computes them, shown the same way."""
    async with bot.db.unit() as repos:
        program = await repos.programs.get(program_id)
        now, _ = await program_report_metrics(repos, program, window)
    wanted = {key for keys in HEADLINES.values() for key in keys}
    return {m.label: metrics.shown(m) for m in now if m.key in wanted}


async def test_the_chat_link_signs_an_admin_in_once_and_the_program_page_has_the_metrics(bot):
    ids = await seed(bot)
    path = await link_for(bot, ADMIN)
    async with bot.session.get(bot.url + path, allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/tab/dashboard"
        cookie_header = resp.headers["Set-Cookie"]
        cookie = resp.cookies["__Host-mentorbot-tab"].value
    for flag in ("HttpOnly", "Secure", "SameSite=None", "Path=/"):
        assert flag in cookie_header, cookie_header
    # The link works once.
    status, page, _ = await get(bot, path)
    assert status == 401 and "no longer works" in page

    status, page, headers = await get(bot, "/tab/dashboard", cookie)
    assert status == 200 and "Growth Guild" in page and "Spring mentoring" in page
    assert "Elsewhere" not in page  # Olga's team and program
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors" in csp
    assert "https://teams.microsoft.com" in csp and "https://*.cloud.microsoft" in csp
    assert "'unsafe-inline'" not in csp and "script-src 'self' 'nonce-" in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in page and headers["Cache-Control"] == "no-store"
    assert "<script>" not in page  # no inline script at all

    status, page, _ = await get(bot, f"/tab/programs/{ids['program']}", cookie)
    assert status == 200
    window = Window(bot.now().date() - timedelta(days=40), bot.now().date())
    want = await expected(bot, ids["program"], window)
    shown = metric_cells(page)
    assert {k: shown[k] for k in want} == want
    assert want["Enrolled"] == "2" and want["Sessions per pair a month"] != "—"
    assert chart_rows(page, "funnel") == [("Invited", "4"), ("Enrolled", "2"), ("Matched", "2")]
    for key in ("sessions", "cadence", "goals", "satisfaction", "recommend", "retention"):
        assert f'data-chart="{key}"' in page and f'id="chart-{key}-t"' in page
    assert "<desc" in page and 'role="img"' in page
    # Match health: Tom has a blocked goal.
    assert "needs a check-in" in page and "a goal is blocked" in page


async def test_the_date_range_changes_the_numbers(bot):
    ids = await seed(bot)
    cookie = await sign_in(bot, ADMIN)
    before_start = (bot.now() - timedelta(days=100)).date()
    last = (bot.now() - timedelta(days=50)).date()
    status, page, _ = await get(
        bot, f"/tab/programs/{ids['program']}?from={before_start}&to={last}", cookie
    )
    assert status == 200
    want = await expected(bot, ids["program"], Window(before_start, last))
    shown = metric_cells(page)
    assert {k: shown[k] for k in want} == want
    assert shown["Enrolled"] == "0" and f'value="{before_start}"' in page
    status, page, _ = await get(bot, f"/tab/programs/{ids['program']}?from=2027-13-01", cookie)
    assert status == 400 and "2027-01-31" in page


async def test_csv_buttons_download_the_exports(bot):
    ids = await seed(bot)
    cookie = await sign_in(bot, ADMIN)
    _, page, _ = await get(bot, f"/tab/programs/{ids['program']}", cookie)
    csrf = csrf_of(page)
    status, _, headers = await post(
        bot, f"/tab/programs/{ids['program']}/export", cookie, {"csrf": csrf, "what": "pairs"}
    )
    assert status == 303 and headers["Location"].startswith("/exports/")
    status, body, headers = await get(bot, headers["Location"])
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert "Mia Mentor" in body and "Tom Mentee" in body
    # Without the form's token (another site posting it): refused, no link made.
    status, page, _ = await post(
        bot, f"/tab/programs/{ids['program']}/export", cookie, {"what": "pairs"}
    )
    assert status == 403 and "/exports/" not in page
    # Another team's program, even with a good token.
    status, page, _ = await post(
        bot, f"/tab/programs/{ids['other_program']}/export", cookie, {"csrf": csrf, "what": "pairs"}
    )
    assert status == 403 and "Secret" not in page
    status, _, headers = await post(
        bot, f"/tab/teams/{ids['team']}/export", cookie, {"csrf": csrf, "what": "metrics"}
    )
    assert status == 303
    status, body, _ = await get(bot, headers["Location"])
    assert status == 200 and "met_rate" in body


async def test_coffee_page_shows_the_coffee_metrics(bot):
    ids = await seed(bot)
    cookie = await sign_in(bot, ADMIN)
    status, page, _ = await get(bot, f"/tab/teams/{ids['team']}/coffee", cookie)
    assert status == 200 and "Coffee chats in Growth Guild" in page
    assert "Rounds" in metric_cells(page)
    status, page, _ = await get(bot, f"/tab/teams/{ids['other_team']}/coffee", cookie)
    assert status == 403 and "Elsewhere" not in page


async def test_icebreakers_answers_per_question_over_the_weeks(bot):
    from storage.models import IcebreakerAnswer, IcebreakerPost

    ids = await seed(bot)
    now = bot.now()  # Saturday 21 November 2026
    people = [await user_id(bot, p) for p in (MENTOR, MENTEE, OTHER)]
    async with bot.db.unit() as repos:
        for n, (days, question, answered) in enumerate(
            ((16, "Best book this year?", 3), (9, "Favourite snack?", 1), (2, "Dream trip?", 0))
        ):
            post = IcebreakerPost(
                team_id=ids["team"],
                period=f"p{n}",
                trigger="schedule",
                question_key=f"b{n}",
                question_text=question,
                category="fun",
                cycle=1,
                outbox_key=f"icebreaker:test{n}",
                due_at=now - timedelta(days=days),
                posted_at=now - timedelta(days=days),
            )
            repos.session.add(post)
            await repos.session.flush()
            for user in people[:answered]:
                at = now - timedelta(days=days - 1)
                repos.session.add(
                    IcebreakerAnswer(
                        post_id=post.id,
                        team_id=ids["team"],
                        user_id=user,
                        text="secret words",
                        share=False,
                        source="card",
                        created_at=at,
                        updated_at=at,
                    )
                )
    ada = await sign_in(bot, ADMIN)
    _, home, _ = await get(bot, "/tab/dashboard", ada)
    path = f"/tab/teams/{ids['team']}/icebreakers"
    assert path in home
    status, page, _ = await get(bot, f"{path}?from=2026-10-26&to=2026-11-21", ada)
    assert status == 200 and "secret words" not in page
    assert chart_rows(page, "icebreaker_answers") == [
        ("Week of 26 Oct 2026", "0"),
        ("Week of 02 Nov 2026", "3"),
        ("Week of 09 Nov 2026", "1"),
        ("Week of 16 Nov 2026", "0"),
    ]
    assert chart_rows(page, "icebreaker-questions", "list") == [
        ("Best book this year?", "3"),
        ("Favourite snack?", "1"),
        ("Dream trip?", "0"),
    ]
    status, page, _ = await get(bot, f"{path}?from=2026-11-10", ada)
    assert chart_rows(page, "icebreaker-questions", "list") == [
        ("Favourite snack?", "1"),
        ("Dream trip?", "0"),
    ]
    olga = await sign_in(bot, OLGA)
    status, page, _ = await get(bot, path, olga)
    assert status == 403 and "Favourite" not in page


async def test_programs_side_by_side(bot):
    ids = await seed(bot)
    cookie = await sign_in(bot, ADMIN)
    status, page, _ = await get(bot, f"/tab/teams/{ids['team']}/history", cookie)
    assert status == 200 and "Spring mentoring" in page and "Sessions per pair a month" in page
    # The row's numbers are the metrics functions' over the program's own run.
    from dialogs.dashboard.pages import HISTORY

    async with bot.db.unit() as repos:
        program = await repos.programs.get(ids["program"])
        run = Window(program.starts_on, min(program.ends_on, bot.now().date()))
        end = metrics.program_end(program.ends_on, program.closed_at)
        (facts,) = await repos.feedback.program_facts(program, [(run.start, run.end)], end)
        by = {m.key: m for m in metrics.program_metrics(facts, metrics.k_of(None))}
    row = re.search(r"Spring mentoring</a></th>((?:<td>.*?</td>)+)</tr>", page).group(1)
    cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
    assert cells == [metrics.shown(by[key]) for key in HISTORY]
    assert cells[0] == "2" and cells[1] == "2"  # enrolled, matched
    status, page, _ = await get(bot, f"/tab/teams/{ids['other_team']}/history", cookie)
    assert status == 403 and "Secret" not in page


async def test_refusals_are_friendly_and_leak_nothing(bot):
    ids = await seed(bot)
    program = f"/tab/programs/{ids['program']}"
    # No session at all.
    for path in ("/tab/dashboard", "/tab/me", program, f"/tab/teams/{ids['team']}/coffee"):
        status, page, _ = await get(bot, path)
        assert status == 401 and "sign in" in page.lower(), path
        assert not any(word in page for word in NOTHING_LEAKED)
    status, page, _ = await get(bot, program, "x" * 43)  # a forged cookie
    assert status == 401
    # An expired link.
    path = await link_for(bot, ADMIN)
    bot.clock.advance(minutes=11)
    status, page, _ = await get(bot, path)
    assert status == 401 and "no longer works" in page
    status, page, _ = await get(bot, "/tab/start/not-a-token")
    assert status == 401
    # Another team's admin: the same page for a foreign id as for one that does not exist.
    olga = await sign_in(bot, OLGA)
    status, foreign, _ = await get(bot, program, olga)
    assert status == 403 and not any(word in foreign for word in NOTHING_LEAKED)
    status, missing, _ = await get(bot, "/tab/programs/99999", olga)
    assert status == 403 and _unnonced(missing) == _unnonced(foreign)
    status, page, _ = await get(bot, "/tab/dashboard", olga)
    assert status == 200 and "Secret Elsewhere Program" in page and "Growth Guild" not in page
    # A member asking for admin pages.
    tom = await sign_in(bot, MENTEE)
    for path in ("/tab/dashboard", program, f"/tab/teams/{ids['team']}/coffee"):
        status, page, _ = await get(bot, path, tom)
        assert status == 403 and "My mentoring" in page, path
        assert "Public speaking" not in page and "Mia Mentor" not in page
    # Sessions end: after 8 hours the cookie is refused.
    bot.clock.advance(hours=8, minutes=1)
    status, _, _ = await get(bot, "/tab/me", tom)
    assert status == 401


async def test_my_mentoring_shows_only_the_members_own(bot):
    await seed(bot)
    tom = await sign_in(bot, MENTEE)
    status, page, _ = await get(bot, "/tab/me", tom)
    assert status == 200
    assert "Mia Mentor" in page and "Spring mentoring" in page
    assert "Public speaking" in page and "60%" in page and "Learn SQL" in page
    assert "goal edit" in page and "checkin settings" in page
    # The next check-in is the real schedule's, in words the chat uses too.
    assert "Check-ins start when you add your first goal" in page
    await say(bot, MENTEE, "checkin settings cadence=biweekly day=thursday time=08:30")
    chat = await say(bot, MENTEE, "checkin settings")
    when = re.search(
        r"every other Thursday at 08:30 \(Europe/Berlin, from Teams\); "
        r"next: Thursday \d\d \w+ \d{4}",
        chat,
    )
    assert when, chat
    _, page, _ = await get(bot, "/tab/me", tom)
    assert when.group(0) in html.unescape(page)
    mia = await sign_in(bot, MENTOR)
    status, page, _ = await get(bot, "/tab/me", mia)
    assert status == 200 and "Tom Mentee" in page
    assert "Public speaking" not in page  # Tom's goals are Tom's (not shared)
    eve = await sign_in(bot, OTHER)
    status, page, _ = await get(bot, "/tab/me", eve)
    assert status == 200 and "No mentorship right now" in page and "Tom" not in page


async def test_a_concern_reaches_only_the_programs_admins_until_handled(bot):
    ids = await seed(bot)
    reply = await say(bot, MENTEE, "concern about=mentoring My mentor keeps cancelling")
    assert "admins of Growth Guild only" in reply
    assert "Only your team's admins" in await say(bot, MENTEE, "concern hi")
    await bot.settle()
    assert keyed(bot, ADMIN, "concern:")  # Ada (the installer) is told 1:1
    assert not keyed(bot, OLGA, "concern:")
    ada = await sign_in(bot, ADMIN)
    program = f"/tab/programs/{ids['program']}"
    _, page, _ = await get(bot, program, ada)
    assert "My mentor keeps cancelling" in page and "Tom Mentee" in page
    _, home, _ = await get(bot, "/tab/dashboard", ada)
    assert "1 open concern" in home
    olga = await sign_in(bot, OLGA)
    _, page, _ = await get(bot, "/tab/dashboard", olga)
    assert "cancelling" not in page and "open concern" not in page
    concern_id = _concern_id(await get(bot, program, ada))
    # Olga cannot mark it handled.
    status, _, _ = await post(
        bot, f"/tab/concerns/{concern_id}/handled", olga, {"csrf": csrf_of(page)}
    )
    assert status == 403
    _, page, _ = await get(bot, program, ada)
    status, _, headers = await post(
        bot,
        f"/tab/concerns/{concern_id}/handled",
        ada,
        {"csrf": csrf_of(page), "back": program},
    )
    assert status == 303 and headers["Location"] == program
    await bot.settle()
    told = keyed(bot, MENTEE, "concernhandled:")
    assert len(told) == 1 and "handled the concern" in (told[0].text or "")
    _, page, _ = await get(bot, program, ada)
    assert "My mentor keeps cancelling" not in page
    # Pressed again: nothing more is sent.
    await post(bot, f"/tab/concerns/{concern_id}/handled", ada, {"csrf": csrf_of(page)})
    await bot.settle()
    assert len(keyed(bot, MENTEE, "concernhandled:")) == 1
    assert ELSE_MENTEE  # (Olga's team has its own people, who see none of this)


async def test_a_concern_about_a_mentorship_never_reaches_an_admin_who_is_in_it(bot):
    ids = await seed(bot)
    mia = await user_id(bot, MENTOR)
    async with bot.db.unit() as repos:
        await repos.admins.add(ids["team"], mia, None, bot.now())  # Mia mentors Tom
    reply = await say(bot, MENTEE, "concern about=mentoring My mentor keeps cancelling")
    assert "admins of Growth Guild only" in reply
    await bot.settle()
    assert keyed(bot, ADMIN, "concern:") and not keyed(bot, MENTOR, "concern:")
    program = f"/tab/programs/{ids['program']}"
    mia_tab = await sign_in(bot, MENTOR)
    _, page, _ = await get(bot, program, mia_tab)
    assert "Growth Guild" in page and "cancelling" not in page
    _, home, _ = await get(bot, "/tab/dashboard", mia_tab)
    assert "open concern" not in home
    ada = await sign_in(bot, ADMIN)
    concern_id = _concern_id(await get(bot, program, ada))
    status, _, _ = await post(
        bot, f"/tab/concerns/{concern_id}/handled", mia_tab, {"csrf": csrf_of(page)}
    )
    assert status == 403
    # A concern about the team in general reaches Mia like any admin.
    await say(bot, MENTEE, "concern The room bookings are confusing")
    await bot.settle()
    assert keyed(bot, MENTOR, "concern:")

    # When every admin is in the mentorship, nothing is stored or sent, and Tom is told.
    async with bot.db.unit() as repos:
        await repos.admins.remove(ids["team"], await user_id(bot, ADMIN))
        team = await repos.teams.get(ids["team"])
        team.installer_id = mia
    async with bot.db.unit() as repos:
        before = len(await repos.tab.open_concerns([ids["team"]]))
    reply = await say(bot, MENTEE, "concern about=mentoring Still cancelling")
    assert "part of your mentorship" in reply and "Nothing was sent" in reply
    async with bot.db.unit() as repos:
        assert len(await repos.tab.open_concerns([ids["team"]])) == before


def _unnonced(page: str) -> str:
    return re.sub(r'nonce="[^"]+"', "", page)


def _concern_id(response: tuple[int, str, dict[str, str]]) -> int:
    page = response[1]
    return int(page.split('data-concern="')[1].split('"')[0])


async def test_privacy_and_terms_are_served_and_can_be_overridden(bot, connector, clock, settings):
    status, page, headers = await get(bot, "/privacy")
    assert (
        status == 200
        and "my data" in page
        and "frame-ancestors" in headers["Content-Security-Policy"]
    )
    status, page, _ = await get(bot, "/terms")
    assert status == 200 and "Terms of use" in page
    custom = settings.with_(privacy_text="Contoso's own <b>privacy</b> words.\n\nSecond.")
    async with start_bot(custom, connector, clock) as other:
        status, page, _ = await get(other, "/privacy")
    assert status == 200 and "Contoso&#39;s own &lt;b&gt;privacy&lt;/b&gt; words." in page
    assert "<p>Second.</p>" in page


async def test_the_teams_library_and_the_stylesheet_are_served_by_the_app(bot):
    status, body, _ = await get(bot, "/tab/static/vendor/MicrosoftTeams.min.js")
    assert status == 200 and "microsoftTeams" in body[:400] and len(body) > 200_000
    status, body, _ = await get(bot, "/tab/static/tab.css")
    assert status == 200 and '[data-theme="contrast"]' in body
    assert Settings  # (settings are exercised in the SSO tests)
    assert FAST_DELIVERY


async def test_sessions_of_many_windows_equal_each_windows_own_read(bot):
    """The batched read behind the monthly charts against the plain one-window read."""
    ids = await seed(bot)
    now = bot.now()
    windows = [
        (now - timedelta(days=d), now - timedelta(days=d) + timedelta(days=span))
        for d, span in ((60, 70), (40, 10), (35, 1), (31, 30), (16, 5), (5, 20))
    ]
    async with bot.db.unit() as repos:
        feedback = repos.feedback
        for program_end in (now - timedelta(days=20), now + timedelta(days=100)):
            batched = await feedback._sessions_of_windows(ids["program"], windows, program_end)
            plain = [
                await feedback._sessions(ids["program"], s, e, program_end) for s, e in windows
            ]
            assert batched == plain
            assert any(rows for rows in plain)


async def test_an_insights_button_runs_its_chat_command_with_the_same_checks(bot):
    """Ten days on, Mia and Tom are 26 days quiet: the insight's button nudges them (the
    chat's `/program nudge`), once per quiet spell; foreign sites, other teams' admins,
    members and unknown buttons change nothing."""
    ids = await seed(bot)
    bot.clock.advance(days=10)
    program = f"/tab/programs/{ids['program']}"
    ada = await sign_in(bot, ADMIN)
    _, page, _ = await get(bot, program, ada)
    assert 'data-insight="nudge"' in page and "1 pair quiet for 21+ days" in page
    assert "Nudge quiet pairs</button>" in page
    csrf, act = csrf_of(page), f"{program}/act"
    # Refused, nothing sent: another site's form (even with the token), no token, a
    # button nobody offers, another team's admin, a member.
    status, page, _ = await post(
        bot, act, ada, {"csrf": csrf, "key": "nudge"}, headers={"Origin": "https://evil.example"}
    )
    assert status == 403 and "another site" in page
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
        status, page, _ = await post(bot, act, ada, {"csrf": csrf, "key": "nudge"}, headers)
        assert status == 403 and "another site" in page
    status, _, _ = await post(bot, act, ada, {"key": "nudge"})
    assert status == 403
    status, page, _ = await post(bot, act, ada, {"csrf": csrf, "key": "delete_all"})
    assert status == 400 and "Nothing changed" in page
    olga = await sign_in(bot, OLGA)
    _, olga_page, _ = await get(bot, "/tab/dashboard", olga)
    status, page, _ = await post(bot, act, olga, {"csrf": csrf_of(olga_page), "key": "nudge"})
    assert status == 403 and "Spring" not in page
    tom = await sign_in(bot, MENTEE)
    _, tom_page, _ = await get(bot, "/tab/me", tom)
    status, _, _ = await post(bot, act, tom, {"csrf": csrf_of(tom_page), "key": "nudge"})
    assert status == 403
    await bot.settle()
    assert not keyed(bot, MENTEE, "pairnudge:") and not keyed(bot, MENTOR, "pairnudge:")
    # Pressed by Ada, from the tab itself.
    same_site = {"Origin": bot.url, "Sec-Fetch-Site": "same-origin"}
    status, page, _ = await post(bot, act, ada, {"csrf": csrf, "key": "nudge"}, same_site)
    assert status == 200 and "Nudged 1 quiet pair in &#39;Spring mentoring&#39;" in page
    assert "/program nudge Spring mentoring" in page
    await bot.settle()
    assert len(keyed(bot, MENTEE, "pairnudge:")) == 1 and len(keyed(bot, MENTOR, "pairnudge:")) == 1
    # Again: the same spell was nudged already; the chat command says the same.
    status, page, _ = await post(bot, act, ada, {"csrf": csrf, "key": "nudge"})
    assert status == 200 and "had their nudge for this quiet spell already" in page
    assert "had their nudge" in await say(bot, ADMIN, "/program nudge Spring mentoring")
    await bot.settle()
    assert len(keyed(bot, MENTEE, "pairnudge:")) == 1
    # Other buttons run their commands too: matching in a program nobody waits in.
    status, page, _ = await post(bot, act, ada, {"csrf": csrf, "key": "match_run"})
    assert status == 200 and "Matching in &#39;Spring mentoring&#39;" in page


def test_insights_are_at_most_five_with_their_commands():
    from dialogs.dashboard.insights import program_insights

    found = program_insights(
        "Spring",
        {"not_matched_yet": 7, "left": 1},
        3,
        2,
        {"day 30": 0.22, "halfway": 0.9, "end of the program": 0.4},
        1,
        4,
    )
    assert len(found) == 5
    assert found[0].key == "" and found[0].action == ""  # concerns: on the page itself
    assert found[1].text.startswith("7 participants not matched yet")
    assert (found[1].action, found[1].key) == ("/match run Spring", "match_run")
    assert found[2].action == "/match review Spring"
    assert found[3].key == "nudge" and found[3].action == "/program nudge Spring"
    assert found[4].key == "remind" and found[4].action == "/survey remind Spring"
    assert "22 % (day 30), 40 % (end of the program)" in found[4].text
    assert "halfway" not in found[4].text
    declined = program_insights("S", {"declined_or_expired": 2}, 0, 0, {}, 0, 0)
    assert [(i.key, i.action) for i in declined] == [("invite", "/program invite S")]
    assert program_insights("S", {}, 0, 0, {"day 30": 0.9}, 0, 0) == []


def test_match_health_rules():
    from dialogs.dashboard import health

    assert health.verdict("agreeing", None, None, False).state == health.TOO_EARLY
    assert health.verdict("active", True, 25, False).reason == "quiet for 25 days"
    assert health.verdict("active", True, 3, True).state == health.CHECK_IN
    assert health.verdict("active", None, 3, False).state == health.TOO_EARLY
    assert health.verdict("active", False, 3, False).reason == "meeting less often than agreed"
    assert health.verdict("active", True, 20.9, False).state == health.ON_TRACK


async def test_facts_of_many_windows_equal_each_windows_own_reads(database_url):
    """The page's one-statement-per-table reads (check-ins, goals, answers, invites, team
    size) against the plain one-window reads, on a seeded year with people enrolling and
    leaving the team through it."""
    from bench import metrics as seeded
    from dialogs.dashboard.pages import buckets
    from storage import Database
    from storage.models import Enrolment, Membership, Survey

    data = seeded.build(60, 3)
    for n, row in enumerate(data.tables[Enrolment][::4]):
        row["created_at"] = seeded.at(seeded.START + timedelta(days=25 * n + 3))
    for n, row in enumerate(data.tables[Membership]):
        row["left_at"] = seeded.at(seeded.START + timedelta(days=6 * n + 9)) if n % 5 else None
    db = Database(database_url)
    try:
        await db.migrate()
        await seeded.load(db, data)
        whole = Window(seeded.START, seeded.END + timedelta(days=40))
        spans = [whole, whole.before(), *buckets(whole), Window(whole.first, whole.first)]
        windows = [(w.start, w.end) for w in spans]
        async with db.unit() as repos:
            program = await repos.programs.get(1)
            end = metrics.program_end(program.ends_on, program.closed_at)
            facts = await repos.feedback.program_facts(program, windows, end)
            feedback, where = repos.feedback, Survey.program_id == program.id
            for f, (start, stop) in zip(facts, windows, strict=True):
                assert sorted(f.goals) == sorted(await feedback._goals(program.id, start, stop))
                checkins = await feedback._checkins(program.id, start, stop)
                assert (f.checkins_sent, f.checkins_answered) == checkins
                plain = await feedback._answers(
                    where, start, stop, ("mid", "end", "progress", "after")
                )
                assert sorted(f.answers, key=repr) == sorted(plain, key=repr)
                assert f.invites == await feedback._invites(where, start, stop)
                assert f.invited == await feedback._team_members_at(program.team_id, stop)
                assert f.sessions == await feedback._sessions(program.id, start, stop, end)
        monthly = facts[2:-1]
        assert len({f.invited for f in monthly}) > 2  # people left through the year
        assert len({f.checkins_sent for f in monthly}) > 2
        for kind, months in (("goals", 6), ("answers", 2), ("invites", 3)):
            assert sum(bool(getattr(f, kind)) for f in monthly) >= months, kind
        assert len({r.moment for f in monthly for r in f.invites}) > 1  # per moment
    finally:
        await db.dispose()


async def test_survey_response_rates_per_moment_and_the_reminder_button(settings, connector, clock):
    """A session's survey reached Tom and Mia; the page gives its response rate by
    moment, and the insight's button brings their one reminder forward (never a second);
    Eve, enrolled and without a proposal, is listed by name with why she waits."""
    from datetime import UTC, datetime

    from storage.models import Enrolment
    from tests.feedbackkit import SURVEY_JOBS, answer, reminders, survey_cards, tick
    from tests.goalkit import TEAM, install, mentorship, submit

    clock.now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    async with start_bot(settings, connector, clock, jobs=SURVEY_JOBS) as bot:
        await install(bot, MENTOR, MENTEE, OTHER)
        ship = await mentorship(bot)
        form = {"action": "notes_save", "pair": f"m{ship}", "summary": "Talked about the talk"}
        assert "Notes saved" in await submit(bot, MENTEE, form)
        await tick(bot, clock.now + timedelta(minutes=15))
        await tick(bot, clock.now + timedelta(days=1, hours=8))  # both mornings passed
        assert survey_cards(bot, MENTEE) and survey_cards(bot, MENTOR)
        async with bot.db.unit() as repos:
            team = await repos.teams.by_team_id(TEAM.id)
            (program,) = await repos.programs.by_name([team.id], "Spring mentoring")
            eve = await repos.users.by_teams_id(OTHER.id)
            repos.session.add(
                Enrolment(
                    program_id=program.id,
                    user_id=eve.id,
                    role="mentee",
                    wants="",
                    active=True,
                    priority=False,
                    created_at=clock.now,
                    updated_at=clock.now,
                )
            )
        ada = await sign_in(bot, ADMIN)
        path = f"/tab/programs/{program.id}"
        _, page, _ = await get(bot, path, ada)
        assert chart_rows(page, "response-rates", "list") == [("after a session", "0 %")]
        assert "Surveys answered by 0 % (after a session) — send a reminder" in page
        people = chart_rows(page, "unmatched-people", "list")
        assert people == [("Eve Elsewhere", "mentee")]
        assert "<td>no proposal yet</td>" in page
        assert not reminders(bot, MENTEE) and not reminders(bot, MENTOR)
        status, page, _ = await post(
            bot, f"{path}/act", ada, {"csrf": csrf_of(page), "key": "remind"}
        )
        assert status == 200 and "Reminding 2 people" in page
        await bot.settle()
        assert len(reminders(bot, MENTEE)) == 1 and len(reminders(bot, MENTOR)) == 1
        again = await say(bot, ADMIN, "/survey remind Spring mentoring")
        assert "Nobody to remind" in again
        await bot.settle()
        assert len(reminders(bot, MENTEE)) == 1
        (card,) = survey_cards(bot, MENTEE)[:1]
        await answer(bot, MENTEE, card, q_useful="4", q_next_step="yes", q_more_of="x")
        _, page, _ = await get(bot, path, ada)
        assert chart_rows(page, "response-rates", "list") == [("after a session", "50 %")]


async def test_match_health_filters_sorts_and_counts_each_state_by_month(bot):
    from dialogs.dashboard import health
    from dialogs.dashboard.pages import buckets

    ids = await seed(bot)
    ada = await sign_in(bot, ADMIN)
    path = f"/tab/programs/{ids['program']}?from=2026-09-01&to=2026-11-21"
    _, page, _ = await get(bot, path, ada)
    assert 'data-form="health"' in page and "Tom Mentee" in _health_table(page)
    # The chart's table: the states at each month's end, as health.states_at_end counts.
    window = Window(date(2026, 9, 1), date(2026, 11, 21))
    months = buckets(window)
    async with bot.db.unit() as repos:
        program = await repos.programs.get(ids["program"])
        end = metrics.program_end(program.ends_on, program.closed_at)
        facts = await repos.feedback.program_facts(program, [(w.start, w.end) for w in months], end)
    want = [health.states_at_end(f, bot.now()) for f in facts]
    table = re.search(r'data-chart="health">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r'<th scope="row">(.*?)</th>((?:<td>.*?</td>)+)</tr>', table)
    got = [re.findall(r"<td>(.*?)</td>", cells) for _, cells in rows]
    assert [r[0] for r in rows] == ["Sep 2026", "Oct 2026", "Nov 2026"]
    assert got == [[str(w[s]) for s in health.STATES] + [str(sum(w.values()))] for w in want]
    assert sum(want[0].values()) == 0 and sum(want[1].values()) == 1  # made on 12 Oct
    assert 'class="bar s' in page
    # Filtered: Tom's blocked goal makes them "needs a check-in", not "on track".
    _, page, _ = await get(bot, path + "&state=on+track&sort=mentor", ada)
    assert "Tom Mentee" not in _health_table(page)
    assert "No running mentorship is on track." in page
    assert '<option value="on track" selected>' in page
    assert '<option value="mentor" selected>' in page
    _, page, _ = await get(bot, path + "&state=needs+a+check-in&sort=quiet", ada)
    assert "Tom Mentee" in _health_table(page)
    _, page, _ = await get(bot, path + "&state=%3Cscript%3E&sort=nonsense", ada)
    assert "Tom Mentee" in _health_table(page) and "<script>" not in page
    assert '<option value="" selected>' in page


def _health_table(page: str) -> str:
    return re.search(r'data-list="health">(.*?)</table>', page, re.S).group(1)


def test_a_pairs_state_at_a_months_end_follows_the_rule():
    from dataclasses import replace
    from datetime import UTC, datetime

    from dialogs.dashboard import health
    from storage.repos.feedback import PairRow, ProgramFacts, ProgramInfo, SessionRow

    def at(day: int, month: int = 3) -> datetime:
        return datetime(2027, month, day, tzinfo=UTC)

    pairs = [
        PairRow(1, 10, 20, "active", at(1, 2), at(2, 2), None, None),  # met in March
        PairRow(2, 11, 21, "active", at(1, 2), at(2, 2), None, None),  # quiet since 1 Mar
        PairRow(3, 12, 22, "agreeing", at(20), None, None, None),  # not confirmed
        PairRow(4, 13, 23, "active", at(25), at(26), None, None),  # started late in March
        PairRow(5, 14, 24, "ended", at(1, 2), at(2, 2), at(10), "ended"),  # ended: left out
        PairRow(6, 15, 25, "active", at(2, 4), at(3, 4), None, None),  # made in April
    ]
    facts = ProgramFacts(
        program=ProgramInfo(1, 1, "P", date(2027, 1, 1), date(2027, 12, 31), "biweekly", None),
        start=at(1),
        end=at(1, 4),
        program_end=at(31, 12),
        invited=0,
        participants=[],
        pairs=pairs,
        sessions=[
            SessionRow(1, 2, 5, 0, 0, at(25)),
            SessionRow(2, 0, 3, 0, 0, at(1)),
        ],
        proposals=[],
        goals=[],
        checkins_sent=0,
        checkins_answered=0,
        answers=[],
        invites=[],
        continued=[],
    )
    assert health.states_at_end(facts, at(1, 5)) == {
        health.ON_TRACK: 1,
        health.CHECK_IN: 1,
        health.TOO_EARLY: 2,
    }
    # February without a session: the three pairs running then (the one that ended on
    # 10 March among them) were 27 days quiet at its end.
    february = replace(facts, start=at(1, 2), end=at(1), sessions=[])
    assert health.states_at_end(february, at(1, 5)) == {
        health.ON_TRACK: 0,
        health.CHECK_IN: 3,
        health.TOO_EARLY: 0,
    }
