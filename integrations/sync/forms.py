from typing import Any

from django import forms

from .selectors import MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES


class SyncSettingsForm(forms.Form):
    enabled = forms.BooleanField(
        required=False,
        label="Keep a synced copy of this ATS's jobs, stages, candidates and applications",
        help_text="Turning it off deletes the copy at once.",
    )
    interval_minutes = forms.IntegerField(
        label="Sync every (minutes)",
        min_value=MIN_INTERVAL_MINUTES,
        max_value=MAX_INTERVAL_MINUTES,
        help_text=f"{MIN_INTERVAL_MINUTES} to {MAX_INTERVAL_MINUTES} minutes; webhooks update single records in between.",
    )

    def __init__(self, *args: Any, refreshed_by_webhooks: bool = True, **kwargs: Any) -> None:
        """`refreshed_by_webhooks`: the provider's sync_refreshed_by_webhooks; without webhook
        refreshes the help text does not promise them."""
        super().__init__(*args, **kwargs)
        if not refreshed_by_webhooks:
            self.fields["interval_minutes"].help_text = (
                f"{MIN_INTERVAL_MINUTES} to {MAX_INTERVAL_MINUTES} minutes; between runs the copy is as "
                "fresh as the last run."
            )
