from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage, EmailMultiAlternatives


class DatabaseEmailBackend(BaseEmailBackend):
    """Stores messages in SentEmail (the dev mailbox) instead of sending them."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from jobcannon.core.models import SentEmail

        for message in email_messages:
            html = ""
            if isinstance(message, EmailMultiAlternatives):
                for content, mimetype in message.alternatives:
                    if mimetype == "text/html":
                        html = str(content)
            SentEmail.objects.create(
                subject=str(message.subject),
                from_email=message.from_email,
                to=", ".join(message.to),
                body_text=str(message.body),
                body_html=html,
            )
        # Under the test runner, also fill django.core.mail.outbox so `mailoutbox` assertions work.
        from django.core import mail

        if hasattr(mail, "outbox"):
            mail.outbox.extend(email_messages)
        return len(email_messages)
