from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from .models import Invitation


def invitation_send(*, invitation: Invitation, request=None) -> None:
    link = settings.JOBCANNON_BASE_URL + reverse("workspaces:invitation", args=[invitation.token])
    send_mail(
        subject=f"You are invited to {invitation.workspace.name} on JobCannon",
        message=f"Join {invitation.workspace.name} on JobCannon as {invitation.get_role_display()}:\n\n{link}\n",
        from_email=None,
        recipient_list=[invitation.email],
    )
