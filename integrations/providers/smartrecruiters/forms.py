from __future__ import annotations

from django import forms

from . import constants


class ScorecardMapForm(forms.Form):
    """One select per SmartRecruiters candidate property (custom scorecard field)."""

    def __init__(self, *args, custom_fields=(), current: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "— not filled —"), *constants.SCORECARD_SOURCES.items()]
        for field in custom_fields:
            self.fields[f"field_{field.id}"] = forms.ChoiceField(
                label=field.label, choices=choices, required=False, initial=(current or {}).get(field.id, "")
            )
        self.custom_fields = list(custom_fields)

    def field_map(self) -> dict[str, str]:
        return {
            f.id: self.cleaned_data.get(f"field_{f.id}", "")
            for f in self.custom_fields
            if self.cleaned_data.get(f"field_{f.id}")
        }


class WebhookApiForm(forms.Form):
    webhook_api = forms.ChoiceField(
        label="Webhook setup",
        choices=[
            (constants.WEBHOOK_API_VENDOR, "SmartRecruiters Webhooks API (handshake, generated secret key)"),
            (
                constants.WEBHOOK_API_SEED,
                "Setup guide only (unverified: no SmartRecruiters source publishes it): "
                "POST /v1/webhooks/subscriptions, X-SmartRecruiters-Signature",
            ),
        ],
        widget=forms.RadioSelect,
    )
