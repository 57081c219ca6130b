from __future__ import annotations

from django import forms

from . import constants


class ConsentCredentialsForm(forms.Form):
    """The company's self-serve client credentials on the consent page (SR Credential Manager →
    New Credential → OAuth client ID: SRD /docs/authentication-oauth-client-credential). Both or
    neither: an integration that already shows the company another way needs none."""

    customer_client_id = forms.CharField(
        label="SmartRecruiters Client ID",
        required=False,
        max_length=500,
        help_text=constants.CUSTOMER_CREDENTIALS_WHERE,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    customer_client_secret = forms.CharField(
        label="SmartRecruiters Client secret",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def clean(self):
        data = super().clean()
        given = [bool((data.get(k) or "").strip()) for k in ("customer_client_id", "customer_client_secret")]
        if any(given) and not all(given):
            raise forms.ValidationError(constants.CONSENT_CUSTOMER_CREDENTIALS_MISSING)
        return data

    def credentials(self) -> tuple[str, str] | None:
        client_id = (self.cleaned_data.get("customer_client_id") or "").strip()
        secret = (self.cleaned_data.get("customer_client_secret") or "").strip()
        return (client_id, secret) if client_id and secret else None


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
