from django import forms


class CandidateRequestForm(forms.Form):
    email = forms.EmailField(label="Candidate's email address", max_length=254)


class CandidateDeleteForm(CandidateRequestForm):
    confirm = forms.BooleanField(
        label="I understand: answers, results and the candidate's details are deleted for good, and any open "
        "assessment is cancelled in the ATS.",
    )
