from django.apps import AppConfig


class SyncConfig(AppConfig):
    """ATS data sync: a current copy of each integration's jobs, interview stages, candidates and
    applications, kept by incremental sync through the provider contract (sync_page/sync_fetch)."""

    name = "integrations.sync"
    label = "sync"
    verbose_name = "ATS data sync"
    default_auto_field = "django.db.models.BigAutoField"
