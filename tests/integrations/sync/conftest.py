"""Fixtures for the ATS data sync tests: sandbox integrations wired to the built-in simulators
(HTTP routed in-process by `simulators`), with data to sync."""

from __future__ import annotations

import pytest

from integrations.models import IntegrationStatus
from integrations.providers.ashby import simulator_state as ashby_sim
from integrations.providers.ashby import simulator_sync_data as ashby_sync_sim
from integrations.sync import simulator as faults
from tests.factories import IntegrationFactory


@pytest.fixture
def enqueued(monkeypatch):
    """Tasks enqueued through jobcannon.core.queue.enqueue, recorded instead of sent."""
    calls: list[tuple] = []
    monkeypatch.setattr("jobcannon.core.queue.enqueue", lambda func, *args, **kw: calls.append((func, *args)))
    return calls


@pytest.fixture
def ashby(simulators, workspace):
    """A connected sandbox Ashby integration on the simulator, its account seeded with 2 jobs
    and 5 candidates (one application each), pages of 2 records."""
    integration = IntegrationFactory(
        workspace=workspace,
        provider="ashby",
        environment="sandbox",
        status=IntegrationStatus.CONNECTED,
        provider_settings={"use_simulator": True, "sync_page_size": 2},
        webhook_secrets=[{"secret": "whsec_sync_test_0001", "created_at": "2026-01-01T00:00:00+00:00"}],
    )
    account = f"acct-{integration.public_id.hex[:10]}"
    ashby_sim.account_ensure(account, "Sync test workspace")
    integration.credentials = {"api_key": ashby_sim.api_key_create(account)}
    integration.save()
    integration.account = account
    integration.candidates = ashby_sync_sim.sync_seed(account, jobs=2, candidates=5)
    yield integration
    faults.fault_clear("ashby")
