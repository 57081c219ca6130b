from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from integrations.base import ATSProvider, CredentialField
from integrations.models import AuthKind, Environment, WebhookStatus
from integrations.registry import get_providers, provider_choices
from integrations.selectors import DIRECTIONS, PROBLEMS

AUTH_LABELS: dict[str, str] = {
    AuthKind.OAUTH2: "OAuth 2.0 (sign in to the ATS and approve)",
    AuthKind.API_KEY: "API key",
}
REGION_LABELS: dict[str, str] = {"us": "United States (US)", "eu": "European Union (EU)"}


class IntegrationConnectForm(forms.Form):
    """The one-page connect form (kept for scripted use; people use the wizard)."""

    provider = forms.ChoiceField(choices=())
    environment = forms.ChoiceField(
        choices=Environment.choices, initial=Environment.SANDBOX, widget=forms.RadioSelect
    )
    region = forms.ChoiceField(choices=[("", "—"), ("us", "US"), ("eu", "EU")], required=False)
    auth_kind = forms.ChoiceField(choices=AuthKind.choices, widget=forms.RadioSelect)
    api_key = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False), label="API key")
    client_id = forms.CharField(required=False, label="OAuth Client ID")
    client_secret = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), label="OAuth Client Secret"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = provider_choices()

    def clean(self):
        data = super().clean()
        provider = get_providers().get(data.get("provider", ""))
        if provider is None:
            return data
        if data.get("auth_kind") not in provider.auth_kinds:
            self.add_error("auth_kind", f"{provider.name} supports: {', '.join(provider.auth_kinds)}.")
        if provider.regions and data.get("region") not in provider.regions:
            self.add_error("region", f"Choose the data region of your {provider.name} account.")
        if data.get("auth_kind") == AuthKind.API_KEY and not data.get("api_key"):
            self.add_error("api_key", "Enter the API key you generated in the ATS.")
        if (
            data.get("auth_kind") == AuthKind.OAUTH2
            and not data.get("client_id")
            and not provider_has_default_client(provider.key)
        ):
            self.add_error("client_id", "Enter the Client ID the ATS generated for JobCannon.")
        return data


def provider_has_default_client(key: str) -> bool:
    return bool(getattr(settings, "OAUTH_CLIENTS", {}).get(key, {}).get("client_id"))


def simulator_available(provider: ATSProvider) -> bool:
    return bool(settings.ATS_SIMULATORS_ENABLED and provider.simulator_urls())


class WizardStartForm(forms.Form):
    """Wizard step 1: where the integration lives and how JobCannon signs in."""

    environment = forms.ChoiceField(
        choices=Environment.choices,
        initial=Environment.SANDBOX,
        widget=forms.RadioSelect,
        help_text="Start with the sandbox: test everything there, then connect production.",
    )
    region = forms.ChoiceField(choices=(), widget=forms.RadioSelect, label="Data region")
    auth_kind = forms.ChoiceField(choices=(), widget=forms.RadioSelect, label="How JobCannon signs in")
    use_simulator = forms.BooleanField(
        required=False,
        label="Use JobCannon's built-in simulator instead of a real sandbox account",
        help_text="For trying the whole flow without an ATS account; sandbox only.",
    )

    def __init__(self, *args, provider: ATSProvider, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        if provider.regions:
            self._choice("region").choices = [(r, REGION_LABELS.get(r, r.upper())) for r in provider.regions]
        else:
            del self.fields["region"]
        self._choice("auth_kind").choices = [(k, AUTH_LABELS.get(k, k)) for k in provider.auth_kinds]
        self.fields["auth_kind"].initial = provider.auth_kinds[0]
        if not simulator_available(provider):
            del self.fields["use_simulator"]

    def _choice(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def clean(self):
        data = super().clean()
        if data.get("use_simulator") and data.get("environment") != Environment.SANDBOX:
            self.add_error("use_simulator", "The simulator can only stand in for a sandbox.")
        return data


class CredentialsForm(forms.Form):
    """API-key entry built from the provider's `credential_fields`; validated live on submit."""

    def __init__(self, *args, fields: tuple[CredentialField, ...], reveal: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for spec in fields:
            widget: forms.Widget = (
                forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"})
                if spec.secret and not reveal
                else forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})
            )
            self.fields[spec.name] = forms.CharField(
                label=spec.label, help_text=spec.help, required=spec.required, widget=widget, max_length=2000
            )


class OAuthClientForm(forms.Form):
    client_id = forms.CharField(
        label="Client ID",
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    client_secret = forms.CharField(
        label="Client Secret",
        max_length=2000,
        required=False,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, has_default_client: bool = False, reveal: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if has_default_client:
            self.fields["client_id"].required = False
            self.fields["client_id"].help_text = "Leave empty to use JobCannon's registered app."
        if reveal:
            self.fields["client_secret"].widget = forms.TextInput(attrs={"autocomplete": "off"})


class ApiKeyForm(forms.Form):
    api_key = forms.CharField(widget=forms.PasswordInput(render_value=False), label="New API key")


class LogFilterForm(forms.Form):
    """The GET filter bar of the log pages (values are re-validated by `log_filters_from`)."""

    q = forms.CharField(
        required=False,
        label="Search",
        widget=forms.TextInput(
            attrs={"placeholder": "reason, external id, path, candidate or application id", "type": "search"}
        ),
    )
    direction = forms.ChoiceField(choices=DIRECTIONS, required=False)
    status = forms.ChoiceField(required=False)
    event = forms.CharField(
        required=False, label="Event type", widget=forms.TextInput(attrs={"list": "event-types"})
    )
    range = forms.ChoiceField(
        required=False,
        label="Time range",
        choices=[("1h", "Last hour"), ("24h", "Last 24 hours"), ("7d", "Last 7 days"), ("30d", "Last 30 days"),
                 ("all", "All time")],
        initial="7d",
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [
            ("", "Any outcome"),
            (PROBLEMS, "Problems only"),
            *[(v, f"Webhook: {label}") for v, label in WebhookStatus.choices],
        ]
