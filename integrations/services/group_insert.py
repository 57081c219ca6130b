"""Group commit for the webhook intake's INSERT, across the threads of one server process.

With threaded workers (gunicorn gthread), deliveries that reach the INSERT while another one is
being written wait for it, then the first of them writes all of theirs in one statement:
`INSERT … VALUES (…), (…), … ON CONFLICT (integration_id, dedupe_key) DO NOTHING RETURNING …`,
one commit for the group. Each delivery is still answered only after the commit that holds its
row (never acknowledged before it is durable); under load a group forms by itself while the
previous one is committing, and alone a delivery goes straight through (a group of one). The
database does one parse, one plan, one commit and one round trip per group instead of per
delivery: that is what a busy 2-core machine runs out of first (benchmarks section 1).

- Only rows with a dedupe key (the ATS's event id) are grouped: the key is how a returned id is
  matched to its delivery. Two deliveries of one event in a group: the first gets the row, the
  others are duplicates, exactly as if they had come one after the other.
- If the group's statement fails (bad data in one row, a dropped connection), nothing of it was
  written and every delivery in it falls back to its own single INSERT: one row's problem is
  never another's.
- Used only outside a transaction (the statement commits on its own). PostgreSQL and SQLite
  (≥ 3.35) both take the multi-row INSERT … ON CONFLICT DO NOTHING RETURNING."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

# The largest group one statement writes (a bound on the statement's size; under gthread a group
# rarely exceeds the worker's thread count).
MAX_GROUP = 64


@dataclass
class _Pending:
    params: list[Any]
    key: tuple[Any, Any]
    done: bool = False
    pk: int | None = None
    failed: bool = False


class GroupInsert:
    """One per process and statement. `insert` returns the new row's id, None for a duplicate,
    or raises Fallback when the caller must insert the row itself."""

    class Fallback(Exception):  # noqa: N818 - a signal to the caller, not an error
        pass

    def __init__(self, build_sql: Callable[[Any, int], str]):
        self._build_sql = build_sql  # (connection, rows) -> SQL for that many rows
        self._sql: dict[tuple[str, int], str] = {}
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._writing = False

    def insert(self, params: list[Any], key: tuple[Any, Any]) -> int | None:
        me = _Pending(params=params, key=key)
        with self._cond:
            self._queue.append(me)
            while self._writing and not me.done:
                self._cond.wait()
            if me.done:
                return self._outcome(me)
            self._writing = True
            group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
        try:
            self._write(group)
        finally:
            with self._cond:
                for pending in group:
                    pending.done = True
                self._writing = False
                self._cond.notify_all()
        return self._outcome(me)

    def _outcome(self, pending: _Pending) -> int | None:
        if pending.failed:
            raise GroupInsert.Fallback
        return pending.pk

    def _write(self, group: Sequence[_Pending]) -> None:
        connection = transaction.get_connection()
        sql = self._sql.get((connection.vendor, len(group)))
        if sql is None:
            sql = self._sql[(connection.vendor, len(group))] = self._build_sql(connection, len(group))
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, [value for pending in group for value in pending.params])
                inserted = {(integration, key): pk for pk, integration, key in cursor.fetchall()}
        except Exception:  # noqa: BLE001 - nothing of the group was written: each inserts its own
            for pending in group:
                pending.failed = True
            return
        for pending in group:
            # The first delivery of a key in the group gets the row; the others are duplicates.
            pending.pk = inserted.pop(pending.key, None)
