"""Fixtures for the operations tests: JSON log capture through the real handler pipeline."""

import io
import json
import logging

import pytest

from jobcannon.core import health
from jobcannon.core.logging import RedactingFilter, RequestIdFilter, clear_log_context, json_formatter


class JsonLogs:
    def __init__(self, stream: io.StringIO):
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self, event: str | None = None) -> list[dict]:
        out = [json.loads(line) for line in self.text.splitlines() if line.strip()]
        return [line for line in out if event is None or line.get("event") == event]


@pytest.fixture
def json_logs():
    """Every log record as the production console handler would write it (filters + JSON)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield JsonLogs(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        clear_log_context()


@pytest.fixture(autouse=True)
def _fresh_readiness_cache():
    health.reset_cache()
    yield
    health.reset_cache()


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="ops", email="ops@example.com", password="x-ops-password", is_staff=True, is_superuser=True
    )
    client.force_login(user)
    return client
