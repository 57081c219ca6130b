"""Bulk loading with PostgreSQL COPY (binary format), for sections 5 and 6.

Binary COPY (raw bytes, no hex): about 3x faster than the text format here. Columns are read from
the live table, so fields other engineers add later are filled too: a column we do not know gets
NULL when nullable, else a zero value of its type."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import ipaddress
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from benchmarks.common import _FIXTURE, _unique, pg

ROWS = 1_000_000
SPAN = dt.timedelta(days=30)  # the million deliveries arrived over the last 30 days
# information_schema.columns.data_type -> the PostgreSQL type name psycopg's binary COPY takes, and a
# zero value for NOT NULL columns the benchmark does not know (added by later migrations).
TYPES = {"timestamp with time zone": ("timestamptz", dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
         "character varying": ("varchar", ""), "text": ("text", ""), "bytea": ("bytea", b""),
         "jsonb": ("jsonb", {}), "boolean": ("bool", False), "integer": ("int4", 0), "smallint": ("int2", 0),
         "bigint": ("int8", 0), "inet": ("inet", ipaddress.ip_address("0.0.0.0")),
         "uuid": ("uuid", uuid.UUID(int=0)), "double precision": ("float8", 0.0)}  # fmt: skip


def copy_rows(table: str, n: int, columns: dict[str, Any]) -> float:
    """COPY n rows into table in PostgreSQL's binary format; `columns` maps a column to a value
    or to a function of the row number. Returns seconds taken."""
    started = time.monotonic()
    with pg() as conn:
        info = conn.execute(
            "SELECT column_name, is_nullable, column_default, data_type, is_identity FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY ordinal_position", [table]
        ).fetchall()  # fmt: skip
        names: list[str] = []
        types: list[str] = []
        parts: list[Any] = []
        for name, nullable, default, data_type, identity in info:
            if name in columns:
                value = columns[name]
            elif nullable == "NO" and default is None and identity != "YES":
                value = TYPES[data_type][1]
            else:
                continue
            names.append(name)
            types.append(TYPES[data_type][0])
            parts.append(value)
        fixed = [(k, p) for k, p in enumerate(parts) if not callable(p)]
        varying = [(k, p) for k, p in enumerate(parts) if callable(p)]
        row: list[Any] = list(parts)
        with conn.cursor().copy(f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for k, p in fixed:
                row[k] = p
            for i in range(n):
                for k, f in varying:
                    row[k] = f(i)
                copy.write_row(row)
    return time.monotonic() - started


@contextlib.contextmanager
def indexes_deferred(table: str) -> Iterator[None]:
    """The usual bulk-load recipe: drop the table's secondary indexes, unique and foreign-key
    constraints, load, then build each index once and re-add (and validate) each constraint."""
    with pg() as conn:
        constraints = conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype IN ('u', 'f')", [table]
        ).fetchall()  # fmt: skip
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", [table, table]
        ).fetchall()  # fmt: skip
        for name, _ in constraints:
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with pg() as conn:
            conn.execute("SET maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                conn.execute(definition)
            for name, definition in constraints:
                conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def load_log_tables(integration: dict[str, Any], n: int = ROWS) -> dict[str, Any]:
    """n WebhookEvent rows for one integration over the last 30 days (row 0 newest), a realistic
    mix of outcomes, each with the raw applicationSubmit body (about 1 KB) and its headers; plus a
    tenth as many outbound calls and activity lines (the log merges all three)."""
    now = dt.datetime.now(dt.UTC)
    step = SPAN / n
    body = _unique(json.loads(_FIXTURE.read_text()), 0)
    headers = {"Content-Type": "application/json", "User-Agent": "Ashby",
               "Ashby-Signature": "sha256=" + hashlib.sha256(body).hexdigest()}  # fmt: skip
    outcome = {0: "rejected", 1: "duplicate", 2: "dead", 3: "ignored", 4: "ignored"}
    reason = "Webhook signature validation failed: Ashby-Signature does not match."

    def at(i: int) -> dt.datetime:
        return now - step * i

    started = time.monotonic()
    with indexes_deferred("integrations_webhookevent"):
        copy_rows("integrations_webhookevent", n, {
            "provider": "ashby", "integration_id": integration["id"], "received_at": at,
            "remote_addr": ipaddress.ip_address("127.0.0.1"), "path": f"/webhooks/ashby/{integration['public_id']}/",
            "headers": headers, "body": body,
            "external_id": lambda i: "" if i % 100 == 0 else f"bench-{i}",
            "dedupe_key": lambda i: None if i % 100 in (0, 1) else f"bench-{i}",
            "event_type": lambda i: "" if i % 100 == 0 else ("ping" if i % 100 in (3, 4) else "applicationSubmit"),
            "signature_scheme": "ashby-signature", "verified": lambda i: i % 100 != 0,
            "rejection_reason": lambda i: reason if i % 100 == 0 else "",
            "status": lambda i: outcome.get(i % 100, "processed"),
            "attempts": lambda i: 0 if i % 100 in (0, 1) else 1,
            "enqueued_at": lambda i: None if i % 100 in (0, 1) else at(i),
            "processed_at": lambda i: None if i % 100 in (0, 1) else at(i),
            "error": lambda i: "ATSServerError: Ashby answered 503" if i % 100 == 2 else "",
            "traceback": "", "request_id": lambda i: f"{i:032x}", "claim_token": "", "crash_count": 0,
        })  # fmt: skip
    seconds = time.monotonic() - started
    m = n // 10
    calls = copy_rows("integrations_outboundcall", m, {
        "integration_id": integration["id"], "provider": "ashby", "created_at": lambda i: at(i * 10 + 5),
        "method": "POST", "path": "/assessment.update", "operation": "assessment.update",
        "status_code": lambda i: 429 if i % 50 == 0 else 200, "duration_ms": 42, "attempt": 1,
        "error_class": lambda i: "ATSRateLimited" if i % 50 == 0 else "", "error_message": "", "vendor_request_id": "",
    })  # fmt: skip
    activity = copy_rows("integrations_integrationactivity", m, {
        "integration_id": integration["id"], "created_at": lambda i: at(i * 10 + 7), "kind": "writeback.delivered",
        "level": "info", "message": lambda i: f"Wrote assessment.update for run {i} to Ashby.", "data": {},
    })  # fmt: skip
    started = time.monotonic()
    with pg() as conn:
        for table in (
            "integrations_webhookevent",
            "integrations_outboundcall",
            "integrations_integrationactivity",
        ):
            conn.execute(f"ANALYZE {table}")
    return {"webhook_rows": n, "webhook_seconds": round(seconds, 1), "other_rows": 2 * m,
            "other_seconds": round(calls + activity, 1), "analyze_seconds": round(time.monotonic() - started, 1),
            "body_bytes": len(body)}  # fmt: skip
