"""THE route table: the features Mentorbot has, in one visible list.

Each feature package declares its commands, card actions, jobs, help topic and its part
of "my data" in its `FEATURE` (see dialogs/core/router.py). Adding a feature means adding
a package and one line here. Help texts (`help`, `/help`) and the manifest's command
lists are generated from the table, in this order.
"""

from __future__ import annotations

from dialogs import account, dashboard, directory, feedback, goals, icebreakers, mentoring
from dialogs.coffee import feature as coffee
from dialogs.core.router import Feature, RouteTable

FEATURES: tuple[Feature, ...] = (
    account.FEATURE,  # first: its data parts (the account itself) are erased last
    icebreakers.FEATURE,
    coffee.FEATURE,
    mentoring.FEATURE,
    goals.FEATURE,
    feedback.FEATURE,
    dashboard.FEATURE,
    directory.FEATURE,
)


def build_table() -> RouteTable:
    return RouteTable.of(FEATURES)
