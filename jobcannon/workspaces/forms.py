from django import forms

from .models import DataRegion, Role, Workspace


class WorkspaceCreateForm(forms.Form):
    name = forms.CharField(max_length=120, label="Company or team name")
    data_region = forms.ChoiceField(choices=DataRegion.choices, initial=DataRegion.EU, label="Data region")


class WorkspaceSettingsForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name", "data_region", "retention_days"]


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=[(Role.ADMIN, "Admin"), (Role.MEMBER, "Member")], initial=Role.MEMBER)
