from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from .models import Invitation


def invitation_send(*, invitation: Invitation, token: str) -> None:
    """Email the link. `token` is the one the service just issued: the only time it exists
    outside this message (the row keeps its hash)."""
    link = settings.JOBCANNON_BASE_URL + reverse("workspaces:invitation", args=[token])
    send_mail(
        subject=f"You are invited to {invitation.workspace.name} on JobCannon",
        message=(
            f"Join {invitation.workspace.name} on JobCannon as {invitation.get_role_display()}:\n\n{link}\n\n"
            f"The link works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC.\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )
