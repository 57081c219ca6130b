import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from jobcannon.core.mailtext import subject_excerpt

from .models import Invitation

logger = logging.getLogger(__name__)


def invitation_send(*, invitation: Invitation, token: str) -> bool:
    """Email the link. `token` is the one the service just issued: the only time it exists
    outside this message (the row keeps its hash). Returns False when the mail server refused
    or could not be reached: the invitation stays saved and the team page offers Resend."""
    link = settings.JOBCANNON_BASE_URL + reverse("workspaces:invitation", args=[token])
    try:
        _send(invitation, link)
    except (smtplib.SMTPException, OSError) as exc:  # OSError: connection refused, DNS, timeout
        logger.warning(
            "workspace.invitation_email_failed",
            extra={"invitation": invitation.pk, "error_class": type(exc).__name__},
        )
        return False
    return True


def invitation_subject(invitation: Invitation) -> str:
    # The workspace name is whatever its owner typed: only an excerpt of it, inside our sentence.
    return f"You are invited to the workspace “{subject_excerpt(invitation.workspace.name)}” on JobCannon"


def _send(invitation: Invitation, link: str) -> None:
    send_mail(
        subject=invitation_subject(invitation),
        message=(
            f"Join {invitation.workspace.name} on JobCannon as {invitation.get_role_display()}:\n\n{link}\n\n"
            f"The link works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC.\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )
