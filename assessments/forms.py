from __future__ import annotations

import datetime as dt
import unicodedata

from django import forms
from django.utils import timezone

from assessments.catalog import instrument_get, instruments_latest
from assessments.models import AssessmentConfig, EmailTemplate


class RunCreateForm(forms.Form):
    instrument = forms.ChoiceField(label="Assessment")
    first_name = forms.CharField(max_length=120, required=False, label="Candidate first name")
    last_name = forms.CharField(max_length=120, required=False, label="Candidate last name")
    email = forms.EmailField(label="Candidate email")
    due_date = forms.DateField(
        required=False,
        label="Due date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for the workspace default.",
    )

    def __init__(self, *args, offered: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["instrument"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(k, instrument_get(k).name) for k in offered]

    # The names go into the invitation email from our domain ("Hello <first name>,"): one line
    # of plain text, so a sender cannot lay out paragraphs of their own or reverse the text.
    def _one_line(self, field: str) -> str:
        value = self.cleaned_data.get(field) or ""
        if any(unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp") for c in value):
            raise forms.ValidationError("Enter the name as one line of plain text.")
        return value

    def clean_first_name(self) -> str:
        return self._one_line("first_name")

    def clean_last_name(self) -> str:
        return self._one_line("last_name")

    def clean_due_date(self) -> dt.datetime | None:
        day = self.cleaned_data.get("due_date")
        if day is None:
            return None
        # End of the chosen day in the site time zone.
        due = timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))
        if due <= timezone.now():
            raise forms.ValidationError("The due date must be in the future.")
        return due


class AssessmentConfigForm(forms.ModelForm):
    offered_instruments = forms.MultipleChoiceField(
        label="Instruments offered",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="What recruiters and connected ATSs can order.",
    )
    email_template = forms.ChoiceField(
        choices=EmailTemplate.choices, widget=forms.RadioSelect, label="Invitation email"
    )

    class Meta:
        model = AssessmentConfig
        fields = [
            "offered_instruments",
            "email_template",
            "brand_name",
            "brand_color",
            "default_due_days",
            "reminder_days_before",
        ]
        labels = {
            "default_due_days": "Default days until due",
            "reminder_days_before": "Remind days before due",
        }
        widgets = {"brand_color": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["offered_instruments"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(i.key, i.name) for i in instruments_latest()]
