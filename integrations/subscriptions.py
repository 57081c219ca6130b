"""Everything integrations plugs into the layers below it, in one place (called once from
IntegrationsConfig.ready). Those layers never import integrations; they keep plain registries
of callables (house style §7: explicit registration, no Django signals as our own dispatch):

- jobcannon.core: the periodic tasks it schedules, the /metrics gauges and the system status
  section (integrations.observability), the request id a webhook task logs under, the services
  the provider contract's BaseClient calls (token refresh, the shared rate limiter), and the
  webhook intake's paths, which the WSGI application serves on the machine middleware stack;
- assessments: run events become write-backs in the outbox; the retention purge keeps a run
  whose write-back is still in flight; a run's report page lists the updates sent to the ATS;
- jobcannon.workspaces: the workspace dashboard lists the integrations and their health."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

# The webhook intake's URL shapes (integrations/urls.py, "webhook" and "webhook-seed"):
# /webhooks/<provider>/<integration>/ and the seeds' /<provider>/webhooks.
WEBHOOK_INTAKE_PATHS = (r"/webhooks/[\w-]+/[\w-]+/?", r"/[\w-]+/webhooks/?")


def runs_without_writeback_in_flight(runs: QuerySet[Any]) -> QuerySet[Any]:
    """The retention purge keeps a finished run until its write-back to the ATS settles."""
    from integrations.models import WritebackStatus

    in_flight = [WritebackStatus.PENDING, WritebackStatus.DELIVERING, WritebackStatus.RETRYING]
    return runs.exclude(writebacks__status__in=in_flight)


def run_report_writebacks(*, run: Any) -> dict[str, Any]:
    """The run's report page (templates/assessments/report.html): its latest updates to the ATS."""
    from integrations.models import WritebackMessage

    return {"writebacks": WritebackMessage.objects.filter(run=run).order_by("-created_at")[:20]}


def run_source_name(run: Any) -> str:
    """The ATS's name for a run an integration ordered (the run list and report in assessments)."""
    from integrations.registry import get_providers

    if not run.integration_id:
        return ""
    provider = get_providers().get(run.provider)
    return provider.name if provider is not None else run.provider


def workspace_dashboard(*, workspace: Any) -> dict[str, Any]:
    """The dashboard's rows: each integration of the workspace with its health."""
    from integrations.selectors import integration_list_for_workspace
    from integrations.services.health import integration_health_list

    integrations = list(integration_list_for_workspace(workspace=workspace))
    health = integration_health_list(integrations=integrations)
    rows = [health[i.pk] for i in integrations]
    return {"rows": rows, "integrations": integrations, "attention": [h for h in rows if h.needs_attention]}


def schedule_modules() -> Iterable[str]:
    """Where integrations declares SCHEDULES: its own tasks, the data sync's, each provider's."""
    from integrations.registry import get_providers

    yield "integrations.tasks"
    yield "integrations.sync.tasks"
    # Beside the class ATS_PROVIDERS names, wherever that lives (the test settings' fake ATS is
    # in tests/fakes/ats_provider), not at a path built from the key.
    for provider in get_providers().values():
        yield f"{type(provider).__module__.rpartition('.')[0]}.tasks"


def install() -> None:
    from assessments.services.hooks import (
        report_context_source_register,
        run_event_subscribe,
        run_purge_hold_register,
        run_source_name_register,
    )
    from integrations import base, observability
    from integrations.services import concurrency, oauth, ratelimit, webhooks
    from integrations.services.writeback import writeback_enqueue
    from jobcannon.core.admin_views import status_section_register
    from jobcannon.core.jobs import schedule_modules_register
    from jobcannon.core.logging import token_path_prefix_register
    from jobcannon.core.metrics import state_source_register
    from jobcannon.core.workers import request_id_lookup_register
    from jobcannon.core.wsgi import machine_path_register
    from jobcannon.workspaces.hooks import dashboard_source_register

    # Looked up on each call (tests and benchmarks replace the module attributes).
    base.client_services_install(
        base.ClientServices(
            rate_limit_acquire=lambda **kw: ratelimit.rate_limit_acquire(**kw),
            token_refresh=lambda **kw: oauth.token_refresh(**kw),
            concurrency_limits_for=lambda **kw: concurrency.concurrency_limits_for(**kw),
            concurrency_slots=lambda **kw: concurrency.concurrency_slots(**kw),
        )
    )
    schedule_modules_register(schedule_modules)
    state_source_register(observability.integration_state_families)
    status_section_register(
        "problems", observability.integration_problems, template="integrations/_system_status.html"
    )
    # The processing task's name, and its name before issue 22 (tasks queued before the move).
    for name in (webhooks.PROCESS_TASK, "integrations.tasks.webhook_event_process_task"):
        request_id_lookup_register(name, observability.webhook_event_request_id)
    run_event_subscribe(writeback_enqueue)
    run_purge_hold_register(runs_without_writeback_in_flight)
    report_context_source_register(run_report_writebacks)
    run_source_name_register(run_source_name)
    dashboard_source_register(workspace_dashboard, template="integrations/_dashboard.html")
    for pattern in WEBHOOK_INTAKE_PATHS:
        machine_path_register(pattern)
    token_path_prefix_register("/reconnect/")  # a reconnect link lets its holder re-authorize: masked in logs
