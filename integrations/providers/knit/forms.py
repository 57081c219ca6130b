from __future__ import annotations

from typing import Any

from django import forms

from . import constants


class KnitCredentialsForm(forms.Form):
    api_key = forms.CharField(
        required=False,
        label="Knit API key",
        widget=forms.PasswordInput(render_value=False),
        help_text="Knit dashboard → API keys. Leave empty to keep the saved key. Knit also signs its webhooks with it.",
    )
    integration_id = forms.CharField(
        max_length=200,
        label="Knit integration id",
        help_text="The id of the customer's Ashby integration in Knit (sent as X-Knit-Integration-Id).",
    )
    use_simulator = forms.BooleanField(required=False, label="Use the built-in Knit simulator (sandbox only)")

    def __init__(self, *args, has_key: bool = False, simulator_allowed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_key = has_key
        if not simulator_allowed:
            del self.fields["use_simulator"]

    def clean_api_key(self) -> str:
        value = self.cleaned_data.get("api_key", "").strip()
        if not value and not self.has_key:
            raise forms.ValidationError("Enter your Knit API key.")
        if value and (len(value) < 8 or any(c.isspace() for c in value)):
            raise forms.ValidationError(
                "That does not look like a Knit API key: copy it again from Knit's dashboard."
            )
        return value


class KnitSettingsForm(forms.Form):
    default_instrument = forms.ChoiceField(label="Assessment for Ashby packages without a mapping")
    package_map = forms.CharField(
        required=False,
        label="Ashby package → assessment",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line: <Ashby package id> = <assessment key>, e.g. pkg_456 = disc.",
    )
    result_mode = forms.ChoiceField(
        label="How results reach Ashby",
        widget=forms.RadioSelect,
        choices=[
            (
                constants.RESULT_MODE_PASSTHROUGH,
                "Knit passthrough to Ashby's assessment.update (default; Ashby publishes this request body)",
            ),
            (constants.RESULT_MODE_UPDATE, constants.RESULT_MODE_UPDATE_LABEL),
        ],
    )
    # Only a guard on choosing the unverified mode, not a setting: clean() takes it out again.
    confirm_unverified_update = forms.BooleanField(
        required=False,
        label=constants.RESULT_MODE_UPDATE_CONFIRM_LABEL,
        help_text="Needed only for Knit's candidate assessment update API.",
    )

    def __init__(self, *args, instruments: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["default_instrument"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = instruments
        self.instrument_keys = {key for key, _ in instruments}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        confirmed = cleaned.pop("confirm_unverified_update", False)
        if cleaned.get("result_mode") == constants.RESULT_MODE_UPDATE and not confirmed:
            self.add_error("confirm_unverified_update", constants.RESULT_MODE_UPDATE_CONFIRM_REQUIRED)
        return cleaned

    def clean_package_map(self) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data.get("package_map", "").splitlines(), start=1):
            if not line.strip():
                continue
            package, sep, instrument = (part.strip() for part in line.partition("="))
            if not sep or not package or not instrument:
                raise forms.ValidationError(f"Line {number}: write <package id> = <assessment key>.")
            if instrument not in self.instrument_keys:
                raise forms.ValidationError(
                    f"Line {number}: unknown assessment {instrument!r}; "
                    f"choose from {', '.join(sorted(self.instrument_keys))}."
                )
            mapping[package] = instrument
        return mapping


def package_map_text(mapping: dict[str, str]) -> str:
    return "\n".join(f"{package} = {instrument}" for package, instrument in sorted(mapping.items()))
