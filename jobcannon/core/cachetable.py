"""The database cache's table comes with `migrate`.

The embedded default (and any deployment without REDIS_URL) keeps its cache, drain nudges and
locks in a database table that no model describes, so `migrate` alone used not to create it and
a release step run without `createcachetable` left a database whose every cache call failed.
After each `migrate` this creates the table of every DatabaseCache in CACHES that is missing
(Django's own `createcachetable`, which skips tables that exist): idempotent, cheap, and it
follows the settings of the environment `migrate` runs in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command


def cache_tables_create(*, using: str, verbosity: int = 0) -> None:
    uses_db_cache = any(
        cfg.get("BACKEND", "").endswith("DatabaseCache") for cfg in getattr(settings, "CACHES", {}).values()
    )
    if uses_db_cache:
        call_command("createcachetable", database=using, verbosity=verbosity)


def create_cache_tables_after_migrate(
    sender: Any, using: str = "default", verbosity: int = 0, **kwargs: Any
) -> None:
    cache_tables_create(using=using, verbosity=verbosity)
