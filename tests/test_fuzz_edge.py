"""Finding 4, by property: activities built from a schema and then broken at random.

Hypothesis builds Teams-shaped activities (1:1 messages with commands, card submits,
channel messages, member events, invokes, unknown types), then replaces or drops fields
with arbitrary JSON (huge numbers, lone surrogates, control characters, wrong types,
nesting) or damages the raw body. Each goes to the real app over HTTP. For every case:
never a 5xx, no traceback or error in the log, and a refused request (400, or a polite
refusal) changes no row; the bot still answers /healthz at the end.

Hypothesis runs in a worker thread and hands each request to the test's event loop, on
which the app runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from dialogs.routes import build_table
from storage.models import Base
from tests.fakes import teams
from tests.fakes.teams import TeamsTeam, TeamsUser

EXAMPLES = {"sqlite": 4500, "postgresql": 1000}
ANA = TeamsUser("ana", "Ana Lee")
TEAM = TeamsTeam("fuzz", "Fuzz Team")
TABLE = build_table()
WORDS = [c.name for c in TABLE.commands] + ["", "hello", "@ana", "team=Fuzz", "x=1"]
ACTIONS = [*TABLE.actions, "nope", ""]

surrogates = st.sampled_from(["\ud800", "\udfff", "a\udc00b"])
controls = st.sampled_from(["\x00", "\x07", "\x1b[31m", "\x7f", "tab\tok", "line\nok"])
texts = st.one_of(st.text(max_size=30), surrogates, controls, st.sampled_from(WORDS))
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
# Fields and nested fields the bot reads, to be replaced or dropped.
PATHS = [
    ("type",),
    ("id",),
    ("channelId",),
    ("serviceUrl",),
    ("text",),
    ("value",),
    ("name",),
    ("replyToId",),
    ("locale",),
    ("localTimezone",),
    ("timestamp",),
    ("from",),
    ("from", "id"),
    ("from", "name"),
    ("from", "aadObjectId"),
    ("recipient",),
    ("recipient", "id"),
    ("conversation",),
    ("conversation", "id"),
    ("conversation", "conversationType"),
    ("conversation", "tenantId"),
    ("conversation", "isGroup"),
    ("channelData",),
    ("channelData", "tenant"),
    ("channelData", "tenant", "id"),
    ("channelData", "team"),
    ("channelData", "team", "id"),
    ("channelData", "team", "name"),
    ("channelData", "channel"),
    ("entities",),
    ("membersAdded",),
    ("membersRemoved",),
    ("attachments",),
]


def bases(service_url: str) -> st.SearchStrategy[dict[str, Any]]:
    people = st.sampled_from([ANA, TeamsUser("ben", "Ben"), TeamsUser("zed", "Zed \u00dcber")])
    words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
    card_values = st.builds(
        lambda action, extra: {"action": action} | extra,
        st.sampled_from(ACTIONS),
        st.dictionaries(
            st.sampled_from(["goal", "post", "program", "title", "answer", "x"]),
            json_values,
            max_size=3,
        ),
    )
    return st.one_of(
        st.builds(lambda u, t: teams.personal_message(service_url, u, t), people, words),
        st.builds(lambda u, v: teams.card_submit(service_url, u, v), people, card_values),
        st.builds(lambda u, t: teams.channel_message(service_url, u, TEAM, t), people, words),
        st.builds(
            lambda u, v: teams.card_action(service_url, u, TEAM, v, "card-1"), people, card_values
        ),
        st.builds(lambda u: teams.members_added(service_url, TEAM, u), people),
        st.builds(lambda u: teams.members_removed(service_url, TEAM, u), people),
        st.builds(lambda u: teams.personal_install(service_url, u), people),
        st.builds(
            lambda u, name: teams.card_action(service_url, u, TEAM, {}, "c") | {"name": name},
            people,
            st.sampled_from(
                ["composeExtension/query", "task/fetch", "config/fetch", "signin/verifyState"]
            ),
        ),
        st.builds(
            lambda u: teams.personal_message(service_url, u, "x") | {"type": "typing"}, people
        ),
    )


def mutated(
    base: dict[str, Any], changes: list[tuple[tuple[str, ...], Any, bool]]
) -> dict[str, Any]:
    activity = json.loads(json.dumps(base))
    for path, value, drop in changes:
        node = activity
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        if drop:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value
    return activity


def bodies(service_url: str) -> st.SearchStrategy[bytes]:
    change = st.tuples(st.sampled_from(PATHS), json_values, st.booleans())
    # Half of them whole (to reach the dialogs), half broken in one to three places.
    changes = st.one_of(st.just([]), st.lists(change, min_size=1, max_size=3))
    activities = st.builds(mutated, bases(service_url), changes)
    encoded = activities.map(lambda a: json.dumps(a).encode("utf-8", "surrogatepass"))
    junk = st.sampled_from([b"", b"}", b"[[[[", b"\xff", b"9" * 5000, b'"\\ud800"'])
    # One body in five damaged: cut somewhere, with junk after the cut.
    return st.builds(
        lambda body, whole, cut, tail: body if whole else body[:cut] + tail,
        encoded,
        st.sampled_from([True, True, True, True, False]),
        st.integers(min_value=0, max_value=400),
        junk,
    )


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.bad: list[str] = []
        self.routes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.exc_info or record.levelno >= logging.ERROR:
            self.bad.append(f"{record.name}: {message}")
        if message.startswith("turn type="):
            self.routes.append(message)


# The delivery worker's own bookkeeping: it gives back a tenant's lease when the tenant
# has been idle for a whole window, on its clock, whenever that falls (also during a
# refused request), so its row count says nothing about what a request changed.
WORKER_TABLES = frozenset({"delivery_leases"})


async def fingerprint(bot) -> tuple[int, ...]:
    union = " UNION ALL ".join(
        f"SELECT count(*) FROM {t.name}"
        for t in Base.metadata.sorted_tables
        if t.name not in WORKER_TABLES
    )
    async with bot.db.unit() as repos:
        return tuple((await repos.session.execute(text(union))).scalars())


async def test_fuzzed_activities_never_break_the_bot(bot, database_url, caplog):
    caplog.set_level(logging.INFO)  # the turn lines (routes) are at INFO
    bot.connector.set_roster(TEAM.id, [ANA.member()], TEAM.name)
    await bot.send(teams.bot_installed_in_team(bot.service_url, ANA, TEAM))
    loop = asyncio.get_running_loop()
    records = Records()
    logging.getLogger().addHandler(records)
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    failures: list[str] = []
    statuses: Counter[int] = Counter()

    def run(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=60)

    @settings(
        max_examples=EXAMPLES[kind],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(bodies(bot.service_url))
    def case(body: bytes) -> None:
        # Earlier cases' replies still in the outbox would change rows (tenant leases)
        # while this one runs: let them go out first.
        run(bot.settle(timeout=30))
        before = run(fingerprint(bot))
        seen = len(records.routes)
        status, answer = run(bot.post(None, {"Content-Type": "application/json"}, raw=body))
        statuses[status] += 1
        assert status < 500, (status, answer, body[:300])
        refused = status == 400 or any("route=refused" in r for r in records.routes[seen:])
        if refused:
            assert run(fingerprint(bot)) == before, ("a refused request changed rows", body[:300])
        assert not records.bad, (records.bad, body[:300])

    try:
        await asyncio.to_thread(case)
    except AssertionError as exc:
        failures.append(str(exc))
    finally:
        logging.getLogger().removeHandler(records)
    routes = Counter(r.split("route=")[1].split()[0].split(":")[0] for r in records.routes)
    print(f"fuzz on {kind}: HTTP statuses {dict(statuses)}; turns by route: {dict(routes)}")
    assert not failures, failures[0][:3000]
    async with bot.session.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
