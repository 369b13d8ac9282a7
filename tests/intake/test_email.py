"""The e-mail channel's parser: what a reporter sent becomes one report, broken mail a clear no."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.email_parse import NotAReport, parse_message
from models.schemas import MAX_NARRATIVE, ReportIn


def mail(
    body: str = "He grabbed my badge at the party.",
    *,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Robin Reporter <robin@example.net>"
    message["To"] = "conduct@example.org"
    message["Subject"] = "Something at the party"
    message["Message-ID"] = "<abc123@mail.example.net>"
    for name, value in (headers or {}).items():
        del message[name]
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def test_plain_text_is_preferred_and_sender_is_the_contact() -> None:
    report = parse_message(mail(html="<p>the HTML copy</p>").as_bytes())
    assert "He grabbed my badge at the party." in report.narrative
    assert "HTML copy" not in report.narrative
    assert report.narrative.startswith("Subject: Something at the party")
    assert report.reporter_contact == "robin@example.net"
    assert report.reporter_name == "Robin Reporter"
    assert report.contact_kind == "email" and report.consent_to_contact
    assert report.channel_message_id == report.thread_ref == "<abc123@mail.example.net>"


def test_html_is_reduced_to_text_without_any_markup() -> None:
    message = EmailMessage()
    message["From"] = "robin@example.net"
    message["Message-ID"] = "<h1@x>"
    message.set_content(
        "<div>First line<br>second &amp; last</div><script>steal()</script>"
        '<img src=x onerror="alert(1)"><p>He said <b>&lt;nothing&gt;</b></p>',
        subtype="html",
    )
    report = parse_message(message.as_bytes())
    assert report.narrative.splitlines() == ["First line", "second & last", "He said <nothing>"]
    assert "steal" not in report.narrative and "onerror" not in report.narrative


def test_attachments_are_kept() -> None:
    message = mail()
    message.add_attachment(b"\x89PNG fake", maintype="image", subtype="png", filename="shot.png")
    report = parse_message(message.as_bytes())
    assert [(a.filename, a.content_type, a.content) for a in report.attachments] == [
        ("shot.png", "image/png", b"\x89PNG fake")
    ]


def test_without_message_id_the_same_bytes_are_the_same_delivery() -> None:
    message = mail()
    del message["Message-ID"]
    raw = message.as_bytes()
    first, again = parse_message(raw), parse_message(raw)
    other = parse_message(raw.replace(b"badge", b"phone"))
    assert first.channel_message_id == again.channel_message_id
    assert first.channel_message_id.startswith("sha256:") and first.thread_ref is None
    assert other.channel_message_id != first.channel_message_id


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (mail(headers={"Auto-Submitted": "auto-replied"}).as_bytes(), "automatic"),
        (b"From: a@example.org\r\nSubject:\r\n\r\n", "no text"),
    ],
)
def test_what_cannot_be_a_report_is_refused_in_one_line(raw: bytes, reason: str) -> None:
    with pytest.raises(NotAReport, match=reason) as caught:
        parse_message(raw)
    assert "\n" not in str(caught.value) and "example.org" not in str(caught.value)


def test_broken_encodings_and_malformed_mime_still_give_the_report() -> None:
    raw = (
        b"From: =?utf-8?q?R=C3=B6bin?= <robin@example.net>\r\n"
        b"Subject: bad \xff\xfe bytes\r\n"
        b"Message-ID: <enc@x>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        b"--never-closed\r\n"
        b"Content-Type: text/plain; charset=x-unknown-charset\r\n\r\n"
        b"it happened \xe9 at the door\r\n"
    )
    report = parse_message(raw)
    assert "it happened" in report.narrative and "at the door" in report.narrative
    report.narrative.encode("utf-8")  # storable text, whatever came in
    assert report.reporter_name == "Röbin"


def test_a_very_long_mail_is_cut_and_kept_whole_as_a_file() -> None:
    body = "word " * (MAX_NARRATIVE // 2)
    report = parse_message(mail(body).as_bytes())
    assert len(report.narrative) <= MAX_NARRATIVE and "full text attached" in report.narrative
    assert report.attachments[0].filename == "full-message.txt"
    assert report.attachments[0].content.decode().count("word") == MAX_NARRATIVE // 2


def _storable(report: ReportIn) -> None:
    for value in report.model_dump(exclude={"attachments"}).values():
        if isinstance(value, str):
            value.encode("utf-8")
            assert "\x00" not in value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_any_bytes_give_a_report_or_a_clear_refusal(raw: bytes) -> None:
    try:
        report = parse_message(raw)
    except NotAReport:
        return
    _storable(report)


printable = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=400)


@settings(max_examples=100, deadline=None)
@given(body=printable, subject=printable, html=st.booleans())
def test_whatever_a_reporter_writes_arrives(body: str, subject: str, html: bool) -> None:
    message = EmailMessage()
    message["From"] = "robin@example.net"
    message["Subject"] = " ".join(subject.split()) or "x"
    message.set_content(body, subtype="html" if html else "plain")
    try:
        report = parse_message(message.as_bytes())
    except NotAReport as exc:
        assert "no text" in str(exc)
        return
    _storable(report)
    if not html:
        for word in body.split()[:20]:
            assert word in report.narrative
