from __future__ import annotations

from typing import cast

from django import forms

from . import constants
from .mappers import LeverOption, StageRule


def _choices(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


class StageRuleForm(forms.Form):
    stage = forms.ChoiceField(label="Lever stage")
    posting = forms.ChoiceField(label="Job posting", required=False)
    instrument = forms.ChoiceField(label="Assessment")
    mode = forms.ChoiceField(
        label="Send",
        widget=forms.RadioSelect,
        initial="auto",
        choices=[("auto", "Auto-send on stage entry"), ("manual", "Manual trigger")],
    )
    due_days = forms.IntegerField(
        label="Due in (days)", min_value=1, max_value=90, initial=constants.DEFAULT_DUE_DAYS
    )
    required = forms.ChoiceField(
        label="Required or optional",
        widget=forms.RadioSelect,
        initial="required",
        choices=[("required", "Required"), ("optional", "Optional")],
    )

    def __init__(
        self,
        *args,
        stages: list[LeverOption],
        postings: list[LeverOption],
        instruments: list[tuple[str, str]],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        _choices(self, "stage").choices = [(s.id, s.text) for s in stages]
        _choices(self, "posting").choices = [("", "Every posting"), *((p.id, p.text) for p in postings)]
        _choices(self, "instrument").choices = instruments
        self.names = {s.id: s.text for s in stages} | {p.id: p.text for p in postings}


class SendAssessmentForm(forms.Form):
    opportunity = forms.CharField(
        label="Lever opportunity id",
        max_length=64,
        help_text="In Lever, the id at the end of the candidate's profile URL.",
    )
    rule = forms.ChoiceField(label="Assessment")

    def __init__(self, *args, rules: list[StageRule], **kwargs):
        super().__init__(*args, **kwargs)
        _choices(self, "rule").choices = [
            (
                r.id,
                f"{r.instrument} — stage “{r.stage_name}”"
                + (f", {r.posting_name}" if r.posting_name else ""),
            )
            for r in rules
        ]


class LeverSettingsForm(forms.Form):
    api_key_created = forms.DateField(
        label="API key created on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Lever keys last 1 year; we warn 30 days before they expire.",
    )
    perform_as = forms.ChoiceField(label="Write feedback as", required=False)
    writeback_mode = forms.ChoiceField(label="Write results as", choices=constants.WRITEBACK_MODES)
    signature_token = forms.CharField(
        label="Webhook signature token(s)",
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False),
        help_text="From Lever: Settings → Integrations and API → Webhooks, where each webhook shows its own "
        "token (separate several with spaces). Needed when JobCannon could not register the "
        "webhooks itself; stored encrypted.",
    )

    def __init__(self, *args, users: list[LeverOption], **kwargs):
        super().__init__(*args, **kwargs)
        _choices(self, "perform_as").choices = [
            ("", "Automatic (the first Lever admin)"),
            *((u.id, u.text) for u in users),
        ]
