"""Building the email: multipart text and HTML, checked headers, a Message-ID that never changes."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from notifications.message import (
    OUTBOX_HEADER,
    AddressError,
    HeaderInjectionError,
    MalformedMessageError,
    build_message,
    message_id_for,
    sender_address,
)
from notifications.transport import EmlTransport, file_name
from states.errors import TaskforceError

FROM = "Task Force Secretariat <taskforce@example.org>"
SENT_AT = datetime(2026, 7, 27, 5, 0, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Row:
    id: int
    created_at: datetime


ROW = Row(id=17, created_at=datetime(2026, 7, 27, 5, 0, 0, 250_000, tzinfo=UTC))
CONTENT = Rendered(
    subject="Escalation level 2: CMB-PUNJAB is past its deadline (22 working days)",
    text="Dear Secretary,\n\nCMB-PUNJAB has been in law vetting since 12 June 2026.\n",
    html="<p>Dear Secretary,</p><p>CMB-PUNJAB has been in <b>law vetting</b>.</p>",
)


def build(content: Rendered = CONTENT, **overrides: str) -> EmailMessage:
    values = {
        "to_name": "Secretary Law, Punjab",
        "to_email": "law.secretary.punjab@example.org",
        "from_addr": FROM,
        "message_id": message_id_for(ROW, FROM),
        "language": "en",
        **overrides,
    }
    return build_message(content, outbox_id=ROW.id, date=SENT_AT, **values)


def wire(message: EmailMessage) -> EmailMessage:
    """The message as a receiving server parses it from the bytes sent."""
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def unix(text: str) -> str:
    """Line ends as written (the wire has CRLF)."""
    return text.replace("\r\n", "\n")


def test_a_message_is_multipart_alternative_with_text_first_then_html() -> None:
    received = wire(build())

    assert received.get_content_type() == "multipart/alternative"
    parts = list(received.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert unix(parts[0].get_content()) == CONTENT.text
    assert parts[1].get_content().strip() == CONTENT.html
    assert received["Subject"] == CONTENT.subject
    assert received["From"] == FROM
    # The comma in the name is quoted: it must not split the header into two addresses.
    assert received["To"] == '"Secretary Law, Punjab" <law.secretary.punjab@example.org>'
    assert received["To"].addresses[0].display_name == "Secretary Law, Punjab"
    assert received["Date"] == "Mon, 27 Jul 2026 05:00:12 +0000"
    assert received["Message-ID"] == "<outbox-17.1785128400@example.org>"
    assert received["Content-Language"] == "en"
    assert received[OUTBOX_HEADER] == "17"
    assert received["Auto-Submitted"] == "auto-generated"


def test_urdu_survives_the_trip_and_the_wire_stays_seven_bit() -> None:
    urdu = Rendered(
        subject="یاد دہانی: CMB-PUNJAB کی آخری تاریخ 30 جولائی 2026 ہے",
        text="محترم سیکرٹری صاحب،\n\nبراہ کرم توجہ فرمائیں۔\n",  # noqa: RUF001
        html='<div dir="rtl" lang="ur"><p>محترم سیکرٹری صاحب،</p></div>',
    )
    message = build(urdu, to_name="سیکرٹری قانون، پنجاب", language="ur")
    raw = message.as_bytes()
    assert raw.isascii()  # quoted-printable or base64: any relay takes it, 8BITMIME or not
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")

    received = wire(message)
    assert received["Subject"] == urdu.subject
    assert received["To"].addresses[0].display_name == "سیکرٹری قانون، پنجاب"
    assert received["Content-Language"] == "ur"
    text = received.get_body(("plain",))
    html = received.get_body(("html",))
    assert text is not None and html is not None
    assert unix(text.get_content()) == urdu.text
    assert html.get_content().strip() == urdu.html


def test_without_html_the_message_is_plain_text() -> None:
    received = wire(build(Rendered(CONTENT.subject, CONTENT.text, "")))
    assert received.get_content_type() == "text/plain"
    assert received["Content-Language"] == "en"


@pytest.mark.parametrize(
    ("header", "field", "value"),
    [
        ("Subject", "subject", "Reminder\nBcc: everyone@example.org"),
        ("Subject", "subject", "Reminder\r\nX-Spam: yes"),
        ("Subject", "subject", "Reminder\rtrailing"),
        ("Subject", "subject", "Reminder\u2028second line"),
        ("To", "to_name", "Secretary\r\nBcc: someone@evil.example"),
        ("To", "to_email", "law.secretary.punjab@example.org\nBcc: x@evil.example"),
        ("From", "from_addr", "Task Force <taskforce@example.org>\nBcc: x@evil.example"),
    ],
)
def test_a_line_break_in_a_header_is_refused_naming_the_header(
    header: str, field: str, value: str
) -> None:
    with pytest.raises(HeaderInjectionError) as refused:
        if field == "subject":
            build(Rendered(value, CONTENT.text, CONTENT.html))
        else:
            build(**{field: value})
    assert isinstance(refused.value, TaskforceError)
    assert refused.value.header == header
    assert refused.value.value == value  # reported as it was, never cleaned
    assert refused.value.message.startswith(f"refusing to send: the {header} header")


@pytest.mark.parametrize(
    "address",
    ["not-an-address", "ali@", "@example.org", "ali khan@example.org", "alí@example.org", ""],
)
def test_an_address_that_does_not_parse_is_refused(address: str) -> None:
    with pytest.raises(AddressError) as refused:
        build(to_email=address)
    assert refused.value.header == "To"
    assert repr(address) in refused.value.message


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"message_id": "outbox-17@example.org"}, "is not a Message-ID"),
        ({"language": "en\tur"}, "is not a language tag"),
        ({"from_addr": "Secretariat"}, "address"),
    ],
)
def test_other_malformed_headers_are_refused(overrides: dict[str, str], complaint: str) -> None:
    with pytest.raises(MalformedMessageError, match=complaint):
        build(**overrides)


def test_the_message_id_is_the_same_for_every_send_of_a_row() -> None:
    first = message_id_for(ROW, FROM)
    assert first == message_id_for(Row(ROW.id, ROW.created_at), FROM)
    assert first == "<outbox-17.1785128400@example.org>"
    assert message_id_for(Row(18, ROW.created_at), FROM) != first
    # Another database that reuses id 17 for another message gives another id.
    assert message_id_for(Row(17, datetime(2026, 8, 1, tzinfo=UTC)), FROM) != first
    assert message_id_for(ROW, "mail@ministry.gov.pk") == "<outbox-17.1785128400@ministry.gov.pk>"
    # Built again later (a resend after a crash): same Message-ID, later Date.
    again = build_message(
        CONTENT,
        to_name="Secretary Law, Punjab",
        to_email="law.secretary.punjab@example.org",
        from_addr=FROM,
        message_id=message_id_for(ROW, FROM),
        language="en",
        date=datetime(2026, 7, 27, 6, tzinfo=UTC),
    )
    assert again["Message-ID"] == build()["Message-ID"]
    assert again["Date"] != build()["Date"]


def test_the_sender_is_parsed_from_the_setting() -> None:
    assert sender_address(FROM).domain == "example.org"
    assert sender_address(FROM).display_name == "Task Force Secretariat"
    assert sender_address("taskforce@example.org").username == "taskforce"


def test_the_eml_transport_writes_one_file_per_message_id(tmp_path: Path) -> None:
    message = build()
    with EmlTransport(tmp_path / "out") as transport:
        transport.send(message)
        transport.send(message)  # a resend replaces the file: still one message
    files = list((tmp_path / "out").iterdir())
    assert [f.name for f in files] == ["outbox-17.1785128400_example.org.eml"]
    assert file_name(message) == "outbox-17.1785128400_example.org"
    stored = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert stored["Message-ID"] == message["Message-ID"]
