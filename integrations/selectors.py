from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404

from integrations.models import Integration, IntegrationActivity, OutboundCall, WebhookEvent


def integration_list_for_workspace(*, workspace) -> QuerySet[Integration]:
    return (
        Integration.objects.filter(workspace=workspace)
        .annotate(last_webhook_at=Max("webhook_events__received_at"))
        .order_by("provider", "environment")
    )


def integration_get_for_workspace(*, workspace, pk: int) -> Integration:
    integration = Integration.objects.filter(workspace=workspace, pk=pk).select_related("workspace").first()
    if integration is None:
        raise Http404("No such integration")
    return integration


def integration_get_by_public_id(*, provider: str, public_id) -> Integration | None:
    return (
        Integration.objects.filter(provider=provider, public_id=public_id).select_related("workspace").first()
    )


def webhook_event_list_for_integration(
    *, integration: Integration, status: str = "", q: str = ""
) -> QuerySet[WebhookEvent]:
    qs = WebhookEvent.objects.filter(integration=integration).defer("body", "traceback")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(event_type__icontains=q) | Q(external_id__icontains=q) | Q(rejection_reason__icontains=q)
        )
    return qs


def outbound_call_list_for_integration(*, integration: Integration) -> QuerySet[OutboundCall]:
    return OutboundCall.objects.filter(integration=integration)


def activity_list_for_integration(*, integration: Integration) -> QuerySet[IntegrationActivity]:
    return IntegrationActivity.objects.filter(integration=integration)


def webhook_event_counts(*, integration: Integration) -> dict[str, int]:
    rows = WebhookEvent.objects.filter(integration=integration).values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}
