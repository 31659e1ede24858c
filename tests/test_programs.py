"""Mentoring programs end to end through the app and the fake connector: setup, enrolment,
the three matching modes, capacity, declines and time-outs, agreement, not a good fit
with re-matching, ending, closing, and bad input that must change nothing."""

from __future__ import annotations

import json

from dialogs.mentoring import runs as mentoring
from scheduler import JobContext
from storage.models import Enrolment, MatchProposal, Mentorship, Program
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser
from tests.inbox import count, inbox, keyed, my_data, submits

ADMIN = TeamsUser("ada", "Ada Admin")
MENTORS = [TeamsUser("mia", "Mia Mentor"), TeamsUser("max", "Max Mentor")]
MENTEES = [
    TeamsUser("tom", "Tom Mentee"),
    TeamsUser("tia", "Tia Mentee"),
    TeamsUser("ted", "Ted Mentee"),
    TeamsUser("tui", "Tui Mentee"),
]
OUTSIDER = TeamsUser("olga", "Olga Outside")
TEAM = TeamsTeam("eng", "Engineering")
EVERYONE = (ADMIN, *MENTORS, *MENTEES)

PROFILES = {
    "mia": {"role": "mentor", "skills_offer": "SQL, Python, data modelling", "interests": "jazz"},
    "max": {"role": "mentor", "skills_offer": "leadership, public speaking", "interests": "chess"},
    "tom": {"role": "mentee", "skills_want": "SQL, Python", "interests": "jazz"},
    "tia": {"role": "mentee", "skills_want": "leadership", "interests": "chess"},
    "ted": {"role": "mentee", "skills_want": "Python, data modelling"},
    "tui": {"role": "mentee", "skills_want": "public speaking, leadership"},
}


def form(**changes):
    value = {
        "action": "program_save",
        "program": "new",  # the form of /program new: nothing exists before it is saved
        "team": 1,
        "name": "Spring mentoring",
        "objectives": "skills,leadership",
        "objectives_other": "cross-team ties",
        "focus_areas": "data, leadership",
        "starts_on": "2026-12-01",
        "ends_on": "2027-05-31",
        "enrol_by": "",
        "cadence": "biweekly",
        "capacity": "2",
        "mode": "automatic",
        "agreement": "Meet every two weeks; keep it confidential.",
        "resources_mentors": "Mentor guide | https://example.org/mentors",
        "resources_mentees": "",
    }
    return value | changes


# Each helper lets queued messages go out first, so the turn's reply is the first text.
async def direct(bot, user, text):
    await bot.settle()
    return (await bot.send(teams.personal_message(bot.service_url, user, text)))[0]


async def channel(bot, user, text):
    await bot.settle()
    return (await bot.send(teams.channel_message(bot.service_url, user, TEAM, text)))[0]


async def submit(bot, user, value):
    await bot.settle()
    replies = await bot.send(teams.card_submit(bot.service_url, user, value))
    return replies[0] if replies else ""


def in_team(bot):
    """Messages in the team's channels (threads included)."""
    return [c for c in bot.connector.messages() if (c.conversation_id or "").startswith("19:")]


async def setup(bot, mode="automatic", capacity="2", mentors=MENTORS, mentees=MENTEES):
    bot.connector.set_roster(TEAM.id, [m.member() for m in EVERYONE], TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ADMIN, TEAM))
    await bot.send(
        teams.personal_message(bot.service_url, ADMIN, '/program new name="Spring mentoring"')
    )
    (_form_card,) = [
        m for m in inbox(bot, ADMIN) if m.cards and "New program" in json.dumps(m.cards)
    ]
    reply = await submit(bot, ADMIN, form(mode=mode))
    assert "'Spring mentoring' is set up" in reply, reply
    for user in (*mentors, *mentees):
        profile = {
            "action": "profile_save",
            "timezone": "Europe/Berlin",
            "meeting_format": "video",
            "meetings_per_month": "2",
            "max_mentees": "2",
            "languages": "English",
        } | PROFILES[user.key]
        await submit(bot, user, profile)
        role = PROFILES[user.key]["role"]
        reply = await submit(
            bot,
            user,
            {
                "action": "enrol_save",
                "program": 1,
                "role": role,
                "wants": "grow",
                "capacity": capacity,
                "experience_years": "12" if role == "mentor" else "2",
            },
        )
        assert f"You're in 'Spring mentoring' as a {role}" in reply, reply


async def confirm(bot, user, channel_choice="video"):
    (agreement,) = keyed(bot, user, "agreement:")
    (data,) = submits(agreement, "agreement_confirm")
    return await submit(bot, user, data | {"channel": channel_choice})


# --- setting up ----------------------------------------------------------------------------------
async def test_admin_sets_up_a_program_with_the_form_and_bad_values_change_nothing(bot):
    bot.connector.set_roster(TEAM.id, [m.member() for m in EVERYONE], TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ADMIN, TEAM))
    text = await channel(bot, ADMIN, '/program new name="Spring mentoring"')
    assert "I've sent you the form for 'Spring mentoring' in our 1:1 chat" in text
    await bot.settle()
    (sent,) = keyed(bot, ADMIN, "programform:")
    assert submits(sent, "program_save") == [
        {"action": "program_save", "program": "new", "team": 1}
    ]

    bad = [
        ({"capacity": "0"}, "Mentees per mentor"),
        ({"capacity": "9"}, "from 1 to 5"),
        ({"ends_on": "2026-11-30"}, "must be after the start"),
        ({"starts_on": "2026-11-01"}, "is in the past"),
        ({"mode": "lottery"}, "Matching"),
        ({"resources_mentees": "Guide | http://insecure.example"}, "https only"),
        ({"starts_on": "tomorrow"}, "not a date"),
    ]
    for change, message in bad:
        reply = await submit(bot, ADMIN, form(**change))
        assert message in reply and "Nothing was saved" in reply, (change, reply)
    assert await count(bot, Program) == 0  # nothing until the form is saved
    reply = await submit(bot, ADMIN, form())
    assert "'Spring mentoring' is set up" in reply
    shown = await channel(bot, ADMIN, "/program show Spring mentoring")
    assert "Dates: 2026-12-01 to 2027-05-31" in shown and "every 2 weeks" in shown
    assert "Cross-team ties" in shown or "cross-team ties" in shown
    assert "Spring mentoring** (open)" in await channel(bot, ADMIN, "/program list")
    # A member can neither create nor change a program.
    refused = await channel(bot, MENTEES[0], '/program new name="Mine"')
    assert "for admins of Engineering" in refused
    reply = await submit(bot, MENTEES[0], form(name="Taken over"))
    assert "Only admins" in reply
    assert await count(bot, Program) == 1
    async with bot.db.unit() as repos:
        assert (await repos.programs.get(1)).name == "Spring mentoring"


async def test_invite_card_in_the_channel_sends_the_questions_1on1(bot):
    await setup(bot, mentees=MENTEES[:1])
    await bot.send(
        teams.channel_message(bot.service_url, ADMIN, TEAM, "/program invite Spring mentoring")
    )
    invite = [c for c in in_team(bot) if c.cards and "Join Spring" in json.dumps(c.cards)]
    assert invite
    (data,) = submits(invite[-1], "program_join")
    # Tia presses Join on the channel card: the questions come to her 1:1, nothing in the channel.
    before = len(in_team(bot))
    activity = teams.channel_message(bot.service_url, MENTEES[1], TEAM, "")
    activity |= {"text": None, "value": data, "entities": []}
    await bot.send(activity)
    await bot.settle()
    assert len(in_team(bot)) == before
    (questions,) = keyed(bot, MENTEES[1], "enrolform:")
    assert submits(questions, "enrol_save")
    reply = await submit(bot, MENTEES[1], {"action": "enrol_save", "program": 1, "role": "boss"})
    assert "choose mentor or mentee" in reply and "Nothing was saved" in reply
    reply = await submit(
        bot,
        MENTEES[1],
        {"action": "enrol_save", "program": 1, "role": "mentee", "experience_years": "-2"},
    )
    assert "years of experience must be" in reply and "Nothing was saved" in reply
    assert "as a mentee" in await submit(
        bot, MENTEES[1], {"action": "enrol_save", "program": 1, "role": "mentee", "wants": "x"}
    )
    # Someone outside the team cannot enrol with a forged card.
    reply = await submit(bot, OUTSIDER, {"action": "enrol_save", "program": 1, "role": "mentee"})
    assert "a team you're not in" in reply
    assert await count(bot, Enrolment) == 4


# --- automatic mode ------------------------------------------------------------------------------
async def test_automatic_mode_respects_capacity_and_needs_both_to_agree(bot):
    await setup(bot, capacity="1")  # two mentors with one seat each, four mentees
    text = await channel(bot, ADMIN, "/match run Spring mentoring")
    assert "2 new pairs introduced" in text and "Not matched: 2" in text
    await bot.settle()
    pairs = {}
    async with bot.db.unit() as repos:
        for m in await repos.programs.live_mentorships(1):
            pairs[m.mentor_id] = m.mentee_id
    assert len(pairs) == 2  # each mentor exactly one mentee
    told = [u for u in MENTEES if keyed(bot, u, "unmatched:")]
    assert len(told) == 2 and all(
        "No mentor for you" in keyed(bot, u, "unmatched:")[0].text for u in told
    )
    matched = [u for u in MENTEES if keyed(bot, u, "agreement:")]
    mentee, mentor = matched[0], None
    for m in MENTORS:
        if keyed(bot, m, "agreement:"):
            text = json.dumps(keyed(bot, m, "agreement:")[0].cards)
            if mentee.name in text:
                mentor = m
    assert mentor is not None
    agreement = json.dumps(keyed(bot, mentee, "agreement:")[0].cards)
    assert "% match" in agreement and "keep it confidential" in agreement
    assert "Mentor guide" not in agreement  # mentors' resources go to mentors
    assert "Mentor guide" in json.dumps(keyed(bot, mentor, "agreement:")[0].cards)
    reply = await submit(
        bot, mentee, {"action": "agreement_confirm", "mentorship": 99, "channel": "video"}
    )
    assert "can't find that mentorship" in reply
    assert "confirms too" in await confirm(bot, mentee)
    assert "starts now" in await confirm(bot, mentor)
    assert await count(bot, Mentorship, Mentorship.status == "active") == 1
    assert "settled already" in await confirm(bot, mentor)
    # A second run has no free seat for the two who waited.
    text = await channel(bot, ADMIN, "/match run Spring mentoring")
    assert "0 new pairs" in text


# --- mentee chooses ------------------------------------------------------------------------------
async def test_mentee_chooses_and_declines_and_timeouts_pass_on(bot):
    await setup(bot, mode="choose", mentees=MENTEES[:2])
    text = await channel(bot, ADMIN, "/match run Spring mentoring")
    assert "2 mentees got suggestions" in text
    await bot.settle()
    tom = MENTEES[0]
    (suggestions,) = keyed(bot, tom, "suggestions:")
    choices = submits(suggestions, "match_request")
    assert len(choices) == 2  # both mentors fit Tom somewhat; best first
    assert "Mia Mentor" in json.dumps(suggestions.cards).split("Max Mentor")[0]
    # A forged proposal id (Tia's suggestion) is refused.
    (tia_suggestions,) = keyed(bot, MENTEES[1], "suggestions:")
    forged = submits(tia_suggestions, "match_request")[0]
    assert "isn't among your current suggestions" in await submit(bot, tom, forged)
    assert await count(bot, MatchProposal, MatchProposal.status == "requested") == 0
    # Tom asks Mia, who declines: the request passes to Max.
    assert "I've asked Mia Mentor" in await submit(bot, tom, choices[0])
    await bot.settle()
    (request,) = keyed(bot, MENTORS[0], "request:")
    decline = next(d for d in submits(request, "match_answer") if d["answer"] == "decline")
    await submit(bot, MENTORS[0], decline)
    await bot.settle()
    (passed,) = keyed(bot, tom, "passedon:")
    assert (
        "Mia Mentor couldn't take you on, so I've asked your next choice, Max Mentor" in passed.text
    )
    (request,) = keyed(bot, MENTORS[1], "request:")
    # Max does not answer: after 3 days the request runs out; no suggestion is left.
    bot.clock.advance(days=3, minutes=1)
    async with bot.db.unit() as repos:
        await mentoring.expire_requests(JobContext(repos, None, "p", bot.now(), bot.now()))
    bot.delivery.wake()
    await bot.settle()
    texts = [m.text or "" for m in keyed(bot, tom, "passedon:")]
    assert any("didn't answer within 3 days" in t and "none of your other" in t for t in texts)
    assert "ran out" in keyed(bot, MENTORS[1], "requestexpired:")[0].text
    accept = next(d for d in submits(request, "match_answer") if d["answer"] == "accept")
    assert "answered or ran out already" in await submit(bot, MENTORS[1], accept)
    assert await count(bot, Mentorship) == 0
    # Tom is back in the pool, but neither mentor who said no (or nothing) is offered again.
    assert "0 mentees got suggestions" in await channel(bot, ADMIN, "/match run Spring mentoring")
    await bot.settle()
    assert "the two mentors who fit you have been asked already" in (
        keyed(bot, tom, "unmatched:")[-1].text
    )


async def test_mentee_request_accepted_starts_the_agreement(bot):
    await setup(bot, mode="choose", mentees=MENTEES[:1])
    await channel(bot, ADMIN, "/match run Spring mentoring")
    await bot.settle()
    tom = MENTEES[0]
    (suggestions,) = keyed(bot, tom, "suggestions:")
    await submit(bot, tom, submits(suggestions, "match_request")[0])
    assert "asked Mia Mentor already" in await submit(
        bot, tom, submits(suggestions, "match_request")[1]
    )
    await bot.settle()
    (request,) = keyed(bot, MENTORS[0], "request:")
    assert "What they want from the program:** grow" in json.dumps(request.cards)
    accept = next(d for d in submits(request, "match_answer") if d["answer"] == "accept")
    assert "Wonderful" in await submit(bot, MENTORS[0], accept)
    await bot.settle()
    assert keyed(bot, tom, "agreement:") and keyed(bot, MENTORS[0], "agreement:")
    assert await count(bot, Mentorship, Mentorship.status == "agreeing") == 1


# --- admin approves ------------------------------------------------------------------------------
async def test_admin_approves_before_anyone_is_told(bot):
    await setup(bot, mode="approve")
    before = sum(len(inbox(bot, u)) for u in (*MENTORS, *MENTEES))
    text = await channel(bot, ADMIN, "/match run Spring mentoring")
    assert "4 proposals wait for you" in text
    await bot.settle()
    assert sum(len(inbox(bot, u)) for u in (*MENTORS, *MENTEES)) == before  # nobody told
    review = await channel(bot, ADMIN, "/match review Spring mentoring")
    assert review.count("- #") == 4 and "% match: " in review
    first = int(review.split("- #")[1].split(":")[0])
    assert "no proposal #999" in await channel(bot, ADMIN, "/match approve 999")
    assert "for admins" in await channel(bot, MENTEES[0], f"/match approve {first}")
    assert "Approved 1 proposal." in await channel(bot, ADMIN, f"/match approve {first}")
    assert "Rejected 3 proposals" in await channel(
        bot, ADMIN, '/match reject all Spring mentoring reason="not this round"'
    )
    await bot.settle()
    assert await count(bot, Mentorship) == 1
    told = [u for u in (*MENTORS, *MENTEES) if keyed(bot, u, "agreement:")]
    assert len(told) == 2


# --- not a good fit, ending, closing -------------------------------------------------------------
async def start_pair(bot):
    await setup(bot, capacity="1", mentees=MENTEES[:1])
    await channel(bot, ADMIN, "/match run Spring mentoring")
    await bot.settle()
    tom = MENTEES[0]
    mentor = next(m for m in MENTORS if keyed(bot, m, "agreement:"))
    await confirm(bot, tom)
    await confirm(bot, mentor)
    return tom, mentor


async def test_not_a_good_fit_tells_admins_and_rematches_the_mentee_first(bot):
    tom, mentor = await start_pair(bot)
    await direct(bot, tom, "mentoring")
    view = inbox(bot, tom)[-1]
    (data,) = submits(view, "mentorship_not_fit")
    assert "can't find that mentorship" in await submit(bot, MENTEES[1], data)
    reply = await submit(bot, tom, data)
    assert "only the program's admins know" in reply and "new mentor" in reply
    await bot.settle()
    (to_admin,) = keyed(bot, ADMIN, "notfit:")
    assert "ended as not a good fit" in to_admin.text and "Tom Mentee" in to_admin.text
    (to_mentor,) = keyed(bot, mentor, "mentorshipended:")
    assert "not a good fit" not in to_mentor.text and "has ended" in to_mentor.text
    agreements = keyed(bot, tom, "agreement:")
    assert len(agreements) == 2  # re-matched at once...
    other = next(m for m in MENTORS if m != mentor)
    assert other.name in json.dumps(agreements[-1].cards)  # ...never with the same mentor


async def test_end_mentoring_keeps_the_reason_private_and_close_ends_everything(bot):
    tom, mentor = await start_pair(bot)
    text = await direct(bot, tom, 'end mentoring reason="we drifted apart"')
    assert "has ended; I've thanked them" in text and "stays with me" in text
    await bot.settle()
    assert "drifted" not in json.dumps([m.body for m in inbox(bot, mentor)])
    assert "no mentorship to end" in await direct(bot, tom, "end mentoring")
    # A new pair, then the program closes: both thanked, everyone gets the survey hook.
    await channel(bot, ADMIN, "/match run Spring mentoring")
    await bot.settle()
    text = await channel(bot, ADMIN, "/program close Spring mentoring")
    assert "1 mentorship ended" in text
    await bot.settle()
    assert await count(bot, Mentorship, Mentorship.status != "ended") == 0
    for user in (*MENTORS, tom):
        assert keyed(bot, user, "programclosed:")
    assert "already closed" in await channel(bot, ADMIN, "/program close Spring mentoring")
    assert "isn't open" in await direct(bot, MENTEES[1], "join Spring mentoring")


async def test_matching_runs_by_itself_at_the_enrolment_deadline_once(bot):
    await setup(bot, mentees=MENTEES[:1])
    async with bot.db.unit() as repos:
        program = await repos.programs.get(1)
        program.enrol_by = bot.now().date()
    async with bot.db.unit() as repos:  # the deadline day itself: not yet
        await mentoring.match_at_deadline(JobContext(repos, None, "a", bot.now(), bot.now()))
    assert await count(bot, Mentorship) == 0
    bot.clock.advance(days=1)
    for period in ("b", "c"):  # the next day, twice: one run
        async with bot.db.unit() as repos:
            await mentoring.match_at_deadline(JobContext(repos, None, period, bot.now(), bot.now()))
    assert await count(bot, Mentorship) == 1
    assert "closed on" in await direct(bot, MENTEES[1], "join Spring mentoring")


async def test_my_data_shows_my_mentoring_and_delete_ends_it(bot):
    tom, mentor = await start_pair(bot)
    await bot.settle()
    card, export = await my_data(bot, tom)
    assert "what_i_want" in json.dumps(export) and mentor.name in json.dumps(export)
    assert "**Mentorships**: 1" in json.dumps(card, ensure_ascii=False)
    await submit(bot, tom, {"action": "delete_data_confirm"})
    assert await count(bot, Mentorship, Mentorship.status != "ended") == 0
    assert await count(bot, Enrolment, Enrolment.active.is_(True), Enrolment.wants != "") == 2
