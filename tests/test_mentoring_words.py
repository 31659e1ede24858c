"""Mentoring in words people understand, and admins in control, end to end on both
databases: reasons addressed to whoever reads them, no weak criterion offered as a
reason, a plain summary for admins, the real reason for whoever has no mentor, full
mentors never asked, requests passed on when seats fill up, rejections with a reason,
and pairing, moving and undoing by hand."""

from __future__ import annotations

import json

from dialogs.mentoring import runs as mentoring
from scheduler import JobContext
from storage.models import MatchProposal, Mentorship
from tests.fakes import teams
from tests.inbox import count, keyed, submits
from tests.test_programs import ADMIN, MENTEES, MENTORS, channel, setup, submit

MIA, MAX = MENTORS
TOM, TIA, TED, TUI = MENTEES


def card_text(message) -> str:
    return json.dumps(message.cards)


async def profile(bot, user, **changes):
    base = {
        "action": "profile_save",
        "timezone": "Europe/Berlin",
        "meeting_format": "video",
        "meetings_per_month": "2",
        "max_mentees": "2",
        "languages": "English",
    }
    from tests.test_programs import PROFILES

    await submit(bot, user, base | PROFILES[user.key] | changes)


async def enrol(bot, user, capacity="2"):
    return await submit(
        bot,
        user,
        {"action": "enrol_save", "program": 1, "role": "mentor", "wants": "grow"}
        | {"capacity": capacity, "experience_years": "12"},
    )


def put_cards(bot) -> list[str]:
    return [json.dumps(c.cards) for c in bot.connector.calls if c.method == "PUT" and c.cards]


# --- words -----------------------------------------------------------------------------
async def test_each_side_reads_about_the_other_and_weak_criteria_are_no_reason(bot):
    await setup(bot, capacity="1", mentors=[MIA], mentees=[TOM])
    await profile(bot, TOM, timezone="America/New_York")  # 6 hours from Berlin: no reason
    text = await channel(bot, ADMIN, "/match run Spring mentoring")
    assert "1 new pair introduced" in text and "Total score" not in text
    assert "Average fit: " in text and "% match" not in text
    await bot.settle()
    tom_card = card_text(keyed(bot, TOM, "agreement:")[0])
    mia_card = card_text(keyed(bot, MIA, "agreement:")[0])
    assert "Mia Mentor offers SQL and Python, which you want to grow" in tom_card
    assert "Tom Mentee wants to grow SQL and Python, which you offer" in mia_card
    assert "which you want to grow" not in mia_card  # never the mentee's words to the mentor
    for card in (tom_card, mia_card):
        assert "hours apart" not in card and "goals both mention" not in card
        assert "you both speak English" in card
    assert "Mia Mentor has 10 more years of experience than you" in tom_card
    assert "you have 10 more years of experience than Tom Mentee" in mia_card


async def test_admins_read_about_both_and_a_rejection_keeps_the_reason(bot):
    await setup(bot, mode="approve", capacity="2", mentees=[TOM, TIA])
    text = await channel(bot, ADMIN, "/match run Spring mentoring")
    assert "2 proposals wait for you" in text and "Weakest pair: " in text
    review = await channel(bot, ADMIN, "/match review Spring mentoring")
    assert "Mia Mentor can help Tom Mentee with SQL and Python" in review
    assert "Max Mentor can help Tia Mentee with leadership" in review
    assert "which you" not in review
    tom_line = next(line for line in review.splitlines() if "Tom Mentee" in line)
    tom_proposal = int(tom_line.split("#")[1].split(":")[0])
    # A reason is asked for, and nothing changes without one.
    asked = await channel(bot, ADMIN, f"/match reject {tom_proposal}")
    assert "Add a reason" in asked and "Nothing changed" in asked
    assert await count(bot, MatchProposal, MatchProposal.status == "rejected") == 0
    done = await channel(bot, ADMIN, f"/match reject {tom_proposal} Mia is his manager's peer")
    assert "Rejected 1 proposal." in done and "back in the pool" in done
    # The next run proposes Tom again, with someone else, and the admins see why.
    assert "1 proposal waits for you" in await channel(bot, ADMIN, "/match run Spring mentoring")
    review = await channel(bot, ADMIN, "/match review Spring mentoring")
    tom_line = next(line for line in review.splitlines() if "Tom Mentee" in line)
    assert "Max Mentor mentors Tom Mentee" in tom_line  # never Mia again
    assert "(rejected with someone else before: Mia is his manager's peer)" in tom_line
    assert await count(bot, MatchProposal, MatchProposal.note == "Mia is his manager's peer") == 1


async def test_plurals_are_right_in_the_admin_replies(bot):
    await setup(bot, mode="approve", capacity="1", mentees=[TOM])
    await channel(bot, ADMIN, "/match run Spring mentoring")
    assert "Approved 1 proposal." in await channel(
        bot, ADMIN, "/match approve all Spring mentoring"
    )
    text = await channel(bot, ADMIN, "/program close Spring mentoring")
    assert "1 mentorship ended" in text and "3 participants were thanked" in text
    assert "(s)" not in text


# --- the unmatched ---------------------------------------------------------------------
async def test_the_unmatched_and_the_admins_hear_the_real_reason(bot):
    await setup(bot, capacity="1", mentees=[TOM, TED, TUI])
    await profile(bot, TIA, languages="Japanese")
    reply = await submit(
        bot, TIA, {"action": "enrol_save", "program": 1, "role": "mentee", "wants": "grow"}
    )
    assert "as a mentee" in reply
    await channel(bot, ADMIN, "/match weights Spring mentoring languages=10")
    text = await channel(bot, ADMIN, "/match run Spring mentoring")
    assert "Not matched: 2" in text
    assert "Tia Mentee: no mentor speaks Japanese, which the program requires" in text
    await bot.settle()
    (to_tia,) = keyed(bot, TIA, "unmatched:")
    assert "no mentor speaks Japanese, which the program requires" in to_tia.text
    waiting = [u for u in (TOM, TED, TUI) if keyed(bot, u, "unmatched:")]
    assert len(waiting) == 1
    assert "the two mentors who fit you are full" in keyed(bot, waiting[0], "unmatched:")[0].text
    assert f"{waiting[0].name}: the two mentors who fit {waiting[0].name} are full" in text


# --- flow ------------------------------------------------------------------------------
def ask_button(bot, user, first_name):
    """The data of the "Ask <first name>" button on the user's suggestions card."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit" and node.get("title") == f"Ask {first_name}":
                found.append(node["data"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(keyed(bot, user, "suggestions:")[0].cards)
    (data,) = found
    return data


async def test_a_full_mentor_is_never_asked(bot):
    await setup(bot, mode="choose", capacity="1", mentees=[TOM, TED])
    await channel(bot, ADMIN, "/match run Spring mentoring")
    await bot.settle()
    assert "I've asked Mia Mentor" in await submit(bot, TOM, ask_button(bot, TOM, "Mia"))
    # Mia's one seat is held by Tom's request: Ted is told, and Mia is not asked twice.
    reply = await submit(bot, TED, ask_button(bot, TED, "Mia"))
    assert "Mia Mentor's mentoring seats have filled up since I suggested them" in reply
    assert "Still free among your suggestions: Max Mentor" in reply
    await bot.settle()
    (request,) = keyed(bot, MIA, "request:")
    assert "Tom Mentee wants to grow SQL and Python, which you offer" in card_text(request)
    assert "Mia Mentor offers" not in card_text(request)
    assert "I've asked Max Mentor" in await submit(bot, TED, ask_button(bot, TED, "Max"))


async def test_requests_beyond_a_mentors_seats_pass_on_before_they_answer(bot):
    await setup(bot, mode="choose", capacity="2", mentees=[TOM, TED])
    await channel(bot, ADMIN, "/match run Spring mentoring")
    await bot.settle()
    for user in (TOM, TED):
        assert "I've asked Mia Mentor" in await submit(bot, user, ask_button(bot, user, "Mia"))
    await bot.settle()
    assert len(keyed(bot, MIA, "request:")) == 2
    # Mia now takes one mentee at a time: the newest request passes on at once.
    assert "as a mentor" in await enrol(bot, MIA, capacity="1")
    await bot.settle()
    (passed,) = keyed(bot, TED, "passedon:")
    assert "Mia Mentor has no free seat any more, so I've asked your next choice" in passed.text
    cards = put_cards(bot)
    assert any("Ted Mentee's request in 'Spring mentoring' was passed on" in c for c in cards)
    assert await count(bot, MatchProposal, MatchProposal.status == "requested") == 2


# --- by hand ---------------------------------------------------------------------------
async def test_admins_pair_and_move_by_hand_within_seats_and_with_must_have_warnings(bot):
    await setup(bot, mode="approve", capacity="1", mentees=[TOM, TIA])
    await channel(bot, ADMIN, "/match weights Spring mentoring skills=10")
    await bot.settle()
    shown = (await bot.send(teams.personal_message(bot.service_url, ADMIN, "/help program")))[0]
    for words in ("/match pair", "/match move", "/match undo", "with your reason"):
        assert words in shown, words
    bad = await channel(bot, ADMIN, "/match pair Nobody Here Spring mentoring")
    assert "couldn't tell the mentee and the mentor apart" in bad and "Nothing changed" in bad
    assert "Which program?" in await channel(bot, ADMIN, "/match pair Tom Mia Autumn")
    # Tia wants leadership, which Mia does not offer: allowed, with a warning.
    text = await channel(bot, ADMIN, "/match pair Tia Mia Spring mentoring")
    assert "Paired Tia Mentee with Mia Mentor" in text
    assert "breaks the program's must-have (skills)" in text
    full = await channel(bot, ADMIN, '/match pair mentee="Tom Mentee" mentor=Mia Spring mentoring')
    assert "Mia Mentor has no free mentoring seat" in full and "Nothing changed" in full
    assert "already has a mentor, Mia Mentor" in await channel(
        bot, ADMIN, "/match pair Tia Max Spring mentoring"
    )
    moved = await channel(bot, ADMIN, "/match move Tia Max Spring mentoring")
    assert "Moved Tia Mentee from Mia Mentor to Max Mentor" in moved
    assert "must-have" not in moved and "paired or asked before" not in moved
    # Back to Mia, whose pair with Tia ended: made, with a warning.
    back = await channel(bot, ADMIN, "/match move Tia Mia Spring mentoring")
    assert "Moved Tia Mentee from Max Mentor to Mia Mentor" in back
    assert "They were paired or asked before in this program" in back
    await bot.settle()
    assert (
        "an admin has paired you with a new mentor" in keyed(bot, TIA, "mentorshipended:")[0].text
    )
    to_tia = card_text(keyed(bot, TIA, "agreement:")[1])  # her second: with Max
    assert "Max Mentor offers leadership" in to_tia and "Max Mentor can help" not in to_tia
    assert await count(bot, Mentorship, Mentorship.status == "agreeing") == 1


async def test_undo_takes_the_last_run_back_until_someone_confirms(bot):
    await setup(bot, capacity="1", mentees=[TOM, TIA])
    text = await channel(bot, ADMIN, "/match run Spring mentoring")
    assert "`/match undo Spring mentoring`" in text
    await bot.settle()
    undone = await channel(bot, ADMIN, "/match undo Spring mentoring")
    assert "2 introductions taken back" in undone
    await bot.settle()
    withdrawn = [c for c in put_cards(bot) if "this introduction was taken back" in c]
    assert len(withdrawn) == 4  # both sides of both pairs: their agreement cards
    assert await count(bot, Mentorship, Mentorship.status == "agreeing") == 0
    assert "no matching run to undo" in await channel(bot, ADMIN, "/match undo Spring mentoring")
    # The same pairs may be made again; once one side confirms, undo is refused.
    assert "2 new pairs introduced" in await channel(bot, ADMIN, "/match run Spring mentoring")
    await bot.settle()
    (data,) = submits(keyed(bot, TOM, "agreement:")[-1], "agreement_confirm")
    assert "confirms too" in await submit(bot, TOM, data | {"channel": "video"})
    refused = await channel(bot, ADMIN, "/match undo Spring mentoring")
    assert "can't be undone: Tom Mentee already answered" in refused
    assert await count(bot, Mentorship, Mentorship.status == "agreeing") == 2


async def test_a_request_not_yet_delivered_is_taken_back_unseen(bot):
    await setup(bot, mode="choose", capacity="2", mentees=[TOM, TED])
    await channel(bot, ADMIN, "/match run Spring mentoring")
    await bot.settle()
    asks = {user.key: ask_button(bot, user, "Mia") for user in (TOM, TED)}
    # The delivery worker pauses: what the next turns queue waits in the outbox, unseen.
    await bot.delivery.stop()
    for user in (TOM, TED):
        (reply,) = await bot.send(teams.card_submit(bot.service_url, user, asks[user.key]))
        assert "I've asked Mia Mentor" in reply
    enrol_again = {"action": "enrol_save", "program": 1, "role": "mentor", "wants": "grow"}
    await bot.send(teams.card_submit(bot.service_url, MIA, enrol_again | {"capacity": "1"}))
    async with bot.db.unit() as repos:
        names = {u.id: u.name for u in (await repos.users.by_ids(range(1, 20))).values()}
        asked = {
            (names[p.mentee_id], names[p.mentor_id]): p
            for p in await repos.programs.open_proposals(1)
            if p.status == "requested"
        }
        keys = {row.idempotency_key for row in await repos.outbox.all()}
    assert set(asked) == {(TOM.name, MIA.name), (TED.name, MAX.name)}
    assert f"request:{asked[TOM.name, MIA.name].id}" in keys  # still waiting to go out
    withdrawn = [k for k in keys if k.startswith("request:")]
    assert len(withdrawn) == 2  # Ted's request to Mia is gone: she will never see it
    assert not [k for k in keys if k.startswith("requestpassed:")]  # nothing to update
    bot.delivery.start()
    await bot.settle()
    assert "I've asked your next choice, Max Mentor" in keyed(bot, TED, "passedon:")[0].text
    (to_mia,) = keyed(bot, MIA, "request:")  # Tom's only
    assert "Tom Mentee would like you as their mentor" in card_text(to_mia)
    assert "Ted Mentee would like you" in card_text(keyed(bot, MAX, "request:")[0])


async def test_admins_hear_what_the_deadline_run_did_and_why_anyone_was_left_out(bot):
    await setup(bot, capacity="1", mentors=[MIA], mentees=[TOM, TED])
    async with bot.db.unit() as repos:
        (await repos.programs.get(1)).enrol_by = bot.now().date()
    bot.clock.advance(days=1)
    async with bot.db.unit() as repos:
        await mentoring.match_at_deadline(JobContext(repos, None, "d", bot.now(), bot.now()))
    bot.delivery.wake()
    await bot.settle()
    (notice,) = keyed(bot, ADMIN, "deadlinerun:")
    assert "Matching ran at the enrolment deadline" in notice.text
    assert "1 new pair introduced" in notice.text and "Average fit: " in notice.text
    left = next(u for u in (TOM, TED) if keyed(bot, u, "unmatched:"))
    assert f"{left.name}: the mentor who fits {left.name} is full" in notice.text
    assert "the mentor who fits you is full" in keyed(bot, left, "unmatched:")[0].text


async def test_undo_in_approve_mode_closes_the_proposals_nobody_saw(bot):
    await setup(bot, mode="approve", capacity="1", mentees=[TOM, TIA])
    await channel(bot, ADMIN, "/match run Spring mentoring")
    before = {u.key: len(keyed(bot, u, "")) for u in (*MENTORS, TOM, TIA)}
    assert "2 proposals taken back" in await channel(bot, ADMIN, "/match undo Spring mentoring")
    assert await count(bot, MatchProposal, MatchProposal.status == "proposed") == 0
    assert "No proposals wait" in await channel(bot, ADMIN, "/match review Spring mentoring")
    await bot.settle()
    assert {u.key: len(keyed(bot, u, "")) for u in (*MENTORS, TOM, TIA)} == before
    assert "2 proposals wait for you" in await channel(bot, ADMIN, "/match run Spring mentoring")


async def test_undo_in_choose_mode_takes_the_suggestions_back_until_someone_asks(bot):
    await setup(bot, mode="choose", mentees=[TOM, TED])
    await channel(bot, ADMIN, "/match run Spring mentoring")
    await bot.settle()
    undone = await channel(bot, ADMIN, "/match undo Spring mentoring")
    assert "2 sets of suggestions taken back" in undone
    await bot.settle()
    assert len([c for c in put_cards(bot) if "this introduction was taken back" in c]) == 2
    reply = await submit(bot, TOM, ask_button(bot, TOM, "Mia"))
    assert "isn't among your current suggestions" in reply
    # A new run suggests again; once Tom asks, the run stays.
    bot.clock.advance(minutes=5)
    assert "2 mentees got suggestions" in await channel(bot, ADMIN, "/match run Spring mentoring")
    await bot.settle()
    _taken_back, again = keyed(bot, TOM, "suggestions:")
    assert "I've asked" in await submit(bot, TOM, submits(again, "match_request")[0])
    refused = await channel(bot, ADMIN, "/match undo Spring mentoring")
    assert "can't be undone: Tom Mentee already answered" in refused
