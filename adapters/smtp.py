"""Send a message by e-mail over SMTP, in the reporter's own thread.

``meta`` may carry ``in_reply_to`` and ``references`` (Message-IDs): a reply then stays in
the reporter's conversation. Errors name the SMTP code, never the recipient.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from adapters.outgoing import DeliveryError, MessageOut
from models.settings import Settings, get_settings

TIMEOUT_S = 20.0


def build(message: MessageOut, settings: Settings) -> EmailMessage:
    """The RFC 5322 message for one queued e-mail."""
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = message.recipient
    mail["Subject"] = message.subject or "Your report to the Code of Conduct team"
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    domain = settings.mail_from.rpartition("@")[2] or None
    mail["Message-ID"] = make_msgid(idstring=f"care{message.id}", domain=domain)
    in_reply_to = message.meta.get("in_reply_to")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = message.meta.get("references") or in_reply_to
    mail["Auto-Submitted"] = "auto-replied" if in_reply_to else "auto-generated"
    mail.set_content(message.body)
    return mail


def send(message: MessageOut) -> str:
    """Send one message; return its Message-ID. 5xx answers are permanent failures."""
    settings = get_settings()
    if not settings.smtp_host:
        raise DeliveryError("no SMTP host configured", permanent=True)
    mail = build(message, settings)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_S) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user and settings.smtp_password:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        permanent = _permanent(codes)
        raise DeliveryError(f"recipient refused (SMTP {codes})", permanent=permanent) from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            f"SMTP server answered {exc.smtp_code}", permanent=_permanent([exc.smtp_code])
        ) from None
    except (smtplib.SMTPException, OSError) as exc:  # timeouts and refused connections too
        raise DeliveryError(f"SMTP unavailable ({type(exc).__name__})") from None
    return str(mail["Message-ID"])


def _permanent(codes: list[int]) -> bool:
    return bool(codes) and all(500 <= code < 600 for code in codes)
