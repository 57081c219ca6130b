from django.apps import AppConfig


class SyncConfig(AppConfig):
    """ATS data sync: a current copy of each integration's jobs, interview stages, candidates and
    applications, kept by incremental sync through the provider contract (sync_page/sync_fetch)."""

    name = "integrations.sync"
    label = "sync"
    verbose_name = "ATS data sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The webhook drain (integrations.services.webhooks) writes the records a batch of
        # events carries once, at the end of the batch, without importing the sync.
        from integrations.services.hooks import webhook_batch_register
        from integrations.sync.refresh import sync_records_batch

        webhook_batch_register(sync_records_batch)
