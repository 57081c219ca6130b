"""Budgets for the emails people make us send (issue 21): workspace invitations
(jobcannon.workspaces) and candidate invitations sent from the recruiter pages (assessments).

Each email carries words its sender chose, from our domain, so each is bounded per workspace,
per person and per recipient. A budget is counted from the rows the sends leave behind (a
queryset and its timestamp field), so every web process agrees without a shared counter; the
caller checks and writes its row in one transaction after `budgets_lock`, so concurrent
requests cannot all pass one count."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from jobcannon.core.exceptions import ApplicationError


class RateLimited(ApplicationError):
    code = "rate_limited"
    status = 429


def wait_text(seconds: float) -> str:
    """How long until a budget has room again, as a person reads it ("3 minutes", "5 hours")."""
    minutes = max(1, int(seconds // 60) + 1)
    return f"{minutes} minute{'s' if minutes > 1 else ''}" if minutes < 120 else f"{minutes // 60} hours"


def budget_check(
    *,
    rows: QuerySet[Any],
    at: str,
    limit: tuple[int, int],
    now: dt.datetime,
    message: str,
    error: type[RateLimited] = RateLimited,
) -> None:
    """Raise `error` when the `rows` whose `at` falls in the window reach the budget
    `limit` = (count, seconds). `message` gets {limit} and {wait} (until the oldest of them
    leaves the window), so a refusal tells the person when to try again."""
    count, seconds = limit
    window = dt.timedelta(seconds=seconds)
    recent = rows.filter(**{f"{at}__gte": now - window})
    if recent.count() >= count:
        oldest = recent.order_by(at).values_list(at, flat=True).first() or now
        raise error(message.format(limit=count, wait=wait_text((oldest + window - now).total_seconds())))


def budgets_lock(names: Iterable[str]) -> None:
    """Serialize the sends that share a budget until the transaction ends: one
    transaction-scoped advisory lock per name, taken in the order given (callers list them in
    one fixed order: no deadlock). Not row locks: a FOR UPDATE on a workspace or a user would
    also block, and deadlock with, every insert whose foreign key checks those rows. SQLite
    needs none: every transaction there begins IMMEDIATE (settings: transaction_mode), which
    already serializes the writers."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name in names:
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
