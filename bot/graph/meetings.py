"""Cancels the calendar events of mentorships that ended, through Graph, outside any
transaction: the decision (`cancelling`) is committed first, by the sync pass's own unit
of work (dialogs/mentoring/meeting_ends.py) or by `delete my data`; then each event is
deleted with no database connection held; then the outcome is recorded in a new unit.

Once: a deleted event answers 404 the next time, which counts as done, so a retry after
a crash (or two replicas at once) does no harm. A 403 is logged and recorded for
`/graph status` (admins told once per stretch; dialogs/directory/store.py), and the
tenant is asked again once per sync interval, not at every pass; 429/5xx end the pass
(the SDK has honoured Retry-After already) and the next pass goes on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from dialogs.core.graph import Graph, GraphError
from dialogs.core.types import Clock
from dialogs.directory import store
from dialogs.mentoring import meeting_ends
from storage import Database

log = logging.getLogger("mentorbot.graph")
BATCH = 50  # events cancelled per pass at most
GONE = 404


class MeetingCanceller:
    def __init__(self, db: Database, graph: Graph, clock: Clock, every: timedelta) -> None:
        self.db, self.graph, self.clock, self.every = db, graph, clock, every

    async def run_once(self) -> int:
        """One pass: mark what ended, then cancel; how many rows were settled."""
        todo, waiting = await self._todo()
        settled = 0
        for meeting_id, organizer, event_id, tenant in todo:
            if tenant in waiting:
                continue
            if event_id:
                outcome = await self._delete(organizer, event_id, tenant)
                if outcome == "refused":
                    waiting.add(tenant)
                    continue
                if outcome == "later":
                    return settled
            async with self.db.unit() as repos:
                await meeting_ends.settle(repos, meeting_id, self.clock())
                if event_id:
                    await store.record(repos, tenant, "events", None, self.clock())
            settled += 1
        return settled

    async def _todo(self) -> tuple[list[tuple[int, str, str, str]], set[str]]:
        now = self.clock()
        async with self.db.unit() as repos:
            await meeting_ends.mark_ended(repos, now)
            rows = await repos.programs.cancelling_meetings(BATCH)
            todo = []
            for meeting, team_id in rows:
                team = await repos.teams.get(team_id) if team_id is not None else None
                tenant = (team.tenant_id if team is not None else None) or ""
                todo.append((meeting.id, meeting.organizer_aad, meeting.event_id, tenant))
            waiting = set()
            for tenant in {t for *_, t in todo}:
                row = (await repos.directory.features(tenant)).get("events")
                if (
                    row is not None
                    and row.state == "missing"
                    and not _due(row.checked_at, now, self.every)
                ):
                    waiting.add(tenant)
        return todo, waiting

    async def _delete(self, organizer: str, event_id: str, tenant: str) -> str:
        """done | refused (403: recorded) | later (throttled, down)."""
        try:
            await self.graph.delete_event(organizer, event_id)
        except GraphError as exc:
            if exc.status == GONE:
                return "done"  # deleted in Outlook already, or by an earlier pass
            if exc.status == 403:
                log.warning("graph refused cancelling an event tenant=%s: %s", tenant, exc)
                async with self.db.unit() as repos:
                    await store.record(repos, tenant, "events", exc, self.clock())
                return "refused"
            log.warning("graph events throttled or down: %s", exc)
            return "later"
        log.info("calendar event cancelled (its mentorship ended) tenant=%s", tenant)
        return "done"


def _due(last: datetime | None, now: datetime, every: timedelta) -> bool:
    return last is None or now - last >= every
