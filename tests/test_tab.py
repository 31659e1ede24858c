"""The Teams tab over HTTP, on both databases: sign-in with the chat's one-time link, the
admin's dashboard and program page with the metrics functions' numbers (the date range
changes them), CSV buttons, coffee chats, My mentoring, concerns, privacy and terms, the
response headers; and every refusal (401/403 with a friendly page, nothing leaked)."""

from __future__ import annotations

import re
from datetime import timedelta

from dialogs.feedback import metrics
from dialogs.feedback.lookup import Window
from dialogs.feedback.report import HEADLINES, program_report_metrics
from tests.goalkit import say
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


async def test_smoke(bot):
    ids = await seed(bot)
    cookie = await sign_in(bot, ADMIN)
    status, page, headers = await get(bot, f"/tab/programs/{ids['program']}", cookie)
    print(page)
    assert status == 200
