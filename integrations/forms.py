from django import forms

from integrations.models import AuthKind, Environment
from integrations.registry import get_providers, provider_choices


class IntegrationConnectForm(forms.Form):
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
    from django.conf import settings

    return bool(getattr(settings, "OAUTH_CLIENTS", {}).get(key, {}).get("client_id"))


class ApiKeyForm(forms.Form):
    api_key = forms.CharField(widget=forms.PasswordInput(render_value=False), label="New API key")
