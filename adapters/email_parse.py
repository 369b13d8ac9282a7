"""The e-mail channel: one RFC 822 message in, one ``ReportIn`` out.

text/plain is preferred; HTML is reduced to text with nh3 (no markup survives);
attachments are kept (stored encrypted). The reporter's contact is the From address and
the thread is the Message-ID, so the acknowledgement answers in the same thread. A second
delivery is recognised by its Message-ID, or by a hash of the whole message without one.
Errors say what is wrong with the message, never what is in it.
"""

from __future__ import annotations

import hashlib
import html
import re
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses

import nh3

from models.schemas import MAX_NARRATIVE, AttachmentIn, ReportIn
from models.validation import InvalidInput, email_address

MAX_MESSAGE_BYTES = 25 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10
BLOCK_END = re.compile(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6]|/blockquote)\b[^>]*>")
BLANK_LINES = re.compile(r"\n{3,}")
MSGID = re.compile(r"<[^<>\s]{1,250}>")


class NotAReport(InvalidInput):
    """This message cannot be a report (one line, no personal data)."""


def parse_message(raw: bytes) -> ReportIn:
    """Parse one message into a report, or raise NotAReport."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise NotAReport(f"message larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MiB")
    if not raw.strip():
        raise NotAReport("empty message")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        return _report(message, raw)
    except NotAReport:
        raise
    except Exception as exc:  # the e-mail package raises many kinds on broken input
        raise NotAReport(f"malformed message ({type(exc).__name__})") from None


def _report(message: EmailMessage, raw: bytes) -> ReportIn:
    if _automatic(message):
        raise NotAReport("automatic message (auto-reply or delivery report)")
    message_id = _header(message, "Message-ID")
    text = _text(message)
    attachments, skipped = _attachments(message)
    subject = _header(message, "Subject")
    narrative = "\n\n".join(p for p in (f"Subject: {subject}" if subject else "", text) if p)
    if not text and not attachments:
        raise NotAReport("the message has no text and no attachment")
    if not text:
        narrative += "\n\n[no text; see the attached files]"
    if skipped:
        narrative += f"\n\n[CARE: {skipped} attachment(s) too large or too many to keep]"
    if len(narrative) > MAX_NARRATIVE:  # keep all of it, as a file
        attachments = [_full_text(narrative), *attachments][:MAX_ATTACHMENTS]
        narrative = narrative[: MAX_NARRATIVE - 80] + "\n\n[CARE: cut here; full text attached]"
    name, contact = _sender(message)
    return ReportIn(
        channel="email",
        channel_message_id=message_id or "sha256:" + hashlib.sha256(raw).hexdigest(),
        narrative=narrative,
        reporter_name=name,
        reporter_contact=contact,
        contact_kind="email" if contact else None,
        consent_to_contact=contact is not None,
        thread_ref=message_id,
        attachments=attachments,
    )


def _header(message: EmailMessage, name: str) -> str | None:
    value = message.get(name)
    if value is None:
        return None
    text = " ".join(clean(str(value)).split())
    return text[:998] or None


def clean(text: str) -> str:
    """Valid text: undecodable bytes (kept by the e-mail package as surrogates) replaced."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        raw = text.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace").replace("\x00", "")


def _automatic(message: EmailMessage) -> bool:
    auto = (_header(message, "Auto-Submitted") or "no").lower()
    return auto != "no" or message.get_content_type() == "multipart/report"


def _sender(message: EmailMessage) -> tuple[str | None, str | None]:
    pairs = getaddresses([str(v) for v in message.get_all("From", [])])
    if not pairs:
        return None, None
    name, address = pairs[0]
    try:
        contact = email_address(address)
    except InvalidInput:
        return None, None
    return (clean(name).strip()[:200] or None), contact


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = _decoded(part)
    if part.get_content_subtype() == "html":
        content = html_to_text(content)
    content = clean(content).replace("\r\n", "\n")
    return BLANK_LINES.sub("\n\n", content).strip()


def _decoded(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):  # unknown charset, bad encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def html_to_text(markup: str) -> str:
    """Plain text from HTML: block ends become new lines, every tag and script is dropped."""
    spaced = BLOCK_END.sub("\n", markup)
    cleaned = nh3.clean(spaced, tags=set(), attributes={}, strip_comments=True)
    lines = (" ".join(line.split()) for line in html.unescape(cleaned).splitlines())
    return "\n".join(lines)


def _attachments(message: EmailMessage) -> tuple[list[AttachmentIn], int]:
    kept: list[AttachmentIn] = []
    skipped = 0
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        if len(payload) > MAX_ATTACHMENT_BYTES or len(kept) >= MAX_ATTACHMENTS - 1:
            skipped += 1
            continue
        filename = part.get_filename()
        kept.append(
            AttachmentIn(
                filename=clean(filename)[:255] if filename else None,
                content_type=part.get_content_type()[:128],
                content=payload,
            )
        )
    return kept, skipped


def _full_text(narrative: str) -> AttachmentIn:
    return AttachmentIn(
        filename="full-message.txt",
        content_type="text/plain; charset=utf-8",
        content=narrative.encode("utf-8")[:MAX_ATTACHMENT_BYTES],
    )


def references(raw: bytes) -> list[str]:
    """The Message-IDs this message answers (In-Reply-To and References), newest first."""
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:200_000])
        found = " ".join(str(headers.get(h, "")) for h in ("In-Reply-To", "References"))
    except Exception:  # a broken header only means: not a reply we know
        return []
    return list(dict.fromkeys(MSGID.findall(found)))[:50]
