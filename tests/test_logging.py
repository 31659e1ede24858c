"""One log line per turn with type, route and time; never the user's words at info."""

from __future__ import annotations

import logging

from tests.fakes import teams
from tests.fakes.teams import TeamsUser

ANA = TeamsUser("ana", "Ana Lee")
SECRET = "my private goal is to leave this company"


async def test_one_line_per_turn_and_no_content(bot, caplog):
    caplog.set_level(logging.INFO)
    await bot.send(teams.personal_message(bot.service_url, ANA, "help"))
    await bot.send(
        teams.card_submit(
            bot.service_url,
            ANA,
            {
                "action": "profile_save",
                "role": "mentee",
                "timezone": "UTC",
                "meeting_format": "any",
                "meetings_per_month": 1,
                "goals": SECRET,
            },
        )
    )
    await bot.send(teams.personal_message(bot.service_url, ANA, SECRET))
    turns = [r.getMessage() for r in caplog.records if r.name == "mentorbot.http"]
    assert len(turns) == 3
    assert turns[0].startswith("turn type=message route=help ms=")
    assert "route=action:profile_save" in turns[1] and "route=unknown" in turns[2]
    everything = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert SECRET not in everything and "Ana Lee" not in everything


# --- finding 5: a database error logs no parameters --------------------------------------
async def test_a_database_error_logs_no_sql_parameters(bot, caplog, monkeypatch):
    """A failing statement whose parameters hold a goal's title: the error is logged
    (with its traceback), the title is not."""
    from storage.repos.goals import GoalRepo

    real_add = GoalRepo.add_goal

    async def add_for_nobody(self, goal):
        goal.user_id = 999_999  # no such user: the INSERT fails on its foreign key
        return await real_add(self, goal)

    monkeypatch.setattr(GoalRepo, "add_goal", add_for_nobody)
    caplog.set_level(logging.INFO)
    await bot.send(teams.personal_message(bot.service_url, ANA, "help"))
    replies = await bot.send(
        teams.personal_message(bot.service_url, ANA, f"goal add {SECRET} target=2027-01-01")
    )
    assert replies and "nothing was changed" in replies[0]
    errors = [r for r in caplog.records if r.name == "mentorbot.errors"]
    assert errors and "IntegrityError" in errors[0].getMessage()
    assert SECRET not in caplog.text and "parameters hidden" in caplog.text
