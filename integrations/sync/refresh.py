"""Targeted updates between scheduled runs: what webhook handlers call (a record the ATS just
sent, a targeted re-read of one record, a deletion or merge), and the staff "full resync".

Provider webhook handlers call these and never write the synced models themselves. The
scheduled incremental sync still runs: it catches whatever a webhook missed."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from integrations.base import ATSNotFound, SyncRecord
from integrations.models import Integration
from integrations.services.activity import activity_log
from jobcannon.core.exceptions import ValidationFailed

from .models import DeletionReason, SeenVia, SyncTrigger
from .records import MODEL_BY_NAME, Applied, record_delete, records_apply, records_forget
from .services import resource_label

MODEL_OF_RESOURCE = {
    "jobs": "job",
    "stages": "stage",
    "candidates": "candidate",
    "applications": "application",
}


def sync_enabled(integration: Integration) -> bool:
    """Sync runs for an integration whose ATS supports it, unless the customer turned it off
    (provider_settings["sync_enabled"] = false: no copy of their candidates is kept)."""
    return (
        bool(integration.provider_obj.sync_resources)
        and (integration.provider_settings or {}).get("sync_enabled", True) is not False
    )


def sync_records_receive(*, integration: Integration, records: Iterable[SyncRecord]) -> Applied:
    """Records a webhook carried (already mapped by the provider), applied as they are: older
    than what we hold → only marked seen."""
    if not sync_enabled(integration):
        return Applied()
    return records_apply(integration=integration, records=records, via=SeenVia.WEBHOOK)


def sync_record_refresh(*, integration: Integration, resource: str, external_id: str) -> Applied:
    """Re-read one record from the ATS (provider.sync_fetch) and store it; gone → soft-deleted.
    ATS errors propagate so the caller (a task) is retried."""
    if not sync_enabled(integration):
        return Applied()
    try:
        page = integration.provider_obj.sync_fetch(integration, resource, external_id)
    except ATSNotFound:
        model = MODEL_OF_RESOURCE[resource]
        deleted = record_delete(
            integration=integration, model=model, external_id=external_id, reason=DeletionReason.NOT_FOUND
        )
        return Applied(deleted=deleted)
    return records_apply(integration=integration, records=page.records, via=SeenVia.WEBHOOK)


def sync_record_refresh_enqueue(
    *, integration: Integration, resource: str, external_id: str, only_if_missing: bool = False
) -> None:
    """A targeted refresh after the current transaction commits (a webhook handler's).
    `only_if_missing`: only when we hold no copy of the record yet."""
    if not sync_enabled(integration) or not external_id:
        return
    model = MODEL_BY_NAME[MODEL_OF_RESOURCE[resource]]
    if only_if_missing and model.objects.filter(integration=integration, external_id=external_id).exists():
        return
    from jobcannon.core.queue import enqueue

    pk = integration.pk
    transaction.on_commit(
        lambda: enqueue(
            "integrations.sync.tasks.sync_record_refresh_task", pk, resource, external_id, group="sync"
        )
    )


def sync_record_remove(
    *, integration: Integration, model: str, external_id: str, merged_into: str = ""
) -> int:
    """The ATS deleted (or merged away) a record: soft-delete it, with a customer-visible line."""
    count = record_delete(
        integration=integration, model=model, external_id=external_id, merged_into=merged_into
    )
    if merged_into:
        message = f"The ATS merged {model} {external_id} into {merged_into}: its copy is removed and its applications moved."
    else:
        message = f"The ATS deleted {model} {external_id}: its synced copy is removed ({count} row(s))."
    activity_log(
        integration=integration,
        kind="sync.record_removed",
        message=message,
        data={"model": model, "external_id": external_id, "merged_into": merged_into},
    )
    return count


def sync_full_resync_request(
    *, integration: Integration, resource: str = "", requested_by: str = ""
) -> list[str]:
    """Staff: sync these resources from scratch in the background (ignoring the checkpoint; an
    unfinished incremental run is abandoned). Returns the resources queued."""
    provider = integration.provider_obj
    resources = [resource] if resource else list(provider.sync_resources)
    unknown = [r for r in resources if r not in provider.sync_resources]
    if unknown or not resources:
        raise ValidationFailed(f"{provider.name} cannot sync {', '.join(unknown) or 'anything'}.")
    # sync_run_start(full=True) abandons an unfinished incremental run and continues an
    # unfinished full one.
    from jobcannon.core.queue import enqueue

    for name in resources:
        enqueue(
            "integrations.sync.tasks.sync_resource_task",
            integration.pk,
            name,
            True,
            SyncTrigger.STAFF,
            group="sync",
        )
    activity_log(
        integration=integration,
        kind="sync.full_resync_requested",
        message=f"Full resync of {', '.join(resource_label(r).lower() for r in resources)} requested"
        + (f" by {requested_by}" if requested_by else "")
        + ".",
        data={"resources": resources},
    )
    return resources


@transaction.atomic
def sync_settings_update(
    *, integration: Integration, enabled: bool, interval_minutes: int, changed_by: str = ""
) -> Integration:
    """The customer's sync settings (provider_settings sync_enabled / sync_interval_minutes).
    Turning sync off deletes the copy at once: no candidate data is kept for an ATS we no
    longer sync (run logs stay until the retention window)."""
    from .selectors import MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES

    if not MIN_INTERVAL_MINUTES <= interval_minutes <= MAX_INTERVAL_MINUTES:
        raise ValidationFailed(
            f"Choose a sync interval from {MIN_INTERVAL_MINUTES} to {MAX_INTERVAL_MINUTES} minutes.",
            details={"interval_minutes": interval_minutes},
        )
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    was_on = (locked.provider_settings or {}).get("sync_enabled", True) is not False
    locked.provider_settings = {
        **(locked.provider_settings or {}),
        "sync_enabled": enabled,
        "sync_interval_minutes": interval_minutes,
    }
    locked.save(update_fields=["provider_settings", "updated_at"])
    removed = 0
    if was_on and not enabled:
        removed = records_forget(integration=locked)
    activity_log(
        integration=locked,
        kind="sync.settings_changed",
        message=(
            f"Data sync every {interval_minutes} minutes."
            if enabled
            else f"Data sync turned off; {removed} synced record(s) deleted."
        )
        + (f" Changed by {changed_by}." if changed_by else ""),
        data={"enabled": enabled, "interval_minutes": interval_minutes, "removed": removed},
    )
    return locked
