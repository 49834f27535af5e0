"""Turning a rendered message into the email that is sent: headers checked, never cleaned.

A header value with a line break in it could add headers or recipients of an
attacker's choosing, so it is refused with `HeaderInjectionError` naming the
header, never stripped silently; an address that does not parse is refused with
`AddressError`. Both are `MalformedMessageError`s: trying again cannot help, so
the message is dead-lettered at once (see states.retry).

The Message-ID is derived from the outbox row (its id and when it was written),
so a message sent again after a crash is recognisably the same message.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Protocol

from states.errors import TaskforceError

# Sent with 7-bit bodies (quoted-printable or base64): any relay takes them, 8BITMIME or not.
POLICY = policy.SMTP.clone(cte_type="7bit")
OUTBOX_HEADER = "X-Taskforce-Outbox"
# Everything str.splitlines() breaks on, and NUL: any of them can end a header line somewhere.
LINE_BREAKS = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029\x00")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")


class MalformedMessageError(TaskforceError):
    """The message cannot be sent as it stands; fix its data and re-queue it."""

    exit_code = 65


class HeaderInjectionError(MalformedMessageError):
    """A header value contains a line break."""

    def __init__(self, header: str, value: str) -> None:
        self.header = header
        self.value = value
        super().__init__(
            f"refusing to send: the {header} header contains a line break ({value!r});"
            " a header is one line, and a line break in it could add headers or recipients"
        )


class AddressError(MalformedMessageError):
    """An email address does not parse."""

    def __init__(self, header: str, value: str, why: str) -> None:
        self.header = header
        self.value = value
        super().__init__(f"refusing to send: the {header} address {value!r} is not valid: {why}")


class Content(Protocol):
    """What a renderer produces (notifications.render.Rendered is one)."""

    @property
    def subject(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def html(self) -> str: ...


class OutboxRow(Protocol):
    """The parts of an outbox row a Message-ID is derived from."""

    @property
    def id(self) -> int: ...

    @property
    def created_at(self) -> datetime: ...


def build_message(
    rendered: Content,
    *,
    to_name: str,
    to_email: str,
    from_addr: str,
    message_id: str,
    language: str,
    outbox_id: int | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """A multipart/alternative email (plain text, then HTML) in UTF-8, its headers checked.

    `from_addr` is "Name <address>" or a bare address; `date` defaults to now.
    Raises HeaderInjectionError or AddressError rather than send anything doubtful.
    """
    subject = _one_line("Subject", rendered.subject)
    recipient = _address("To", to_email, display_name=_one_line("To", to_name))
    sender = sender_address(from_addr)
    _one_line("Message-ID", message_id)
    if not (message_id.startswith("<") and message_id.endswith(">") and "@" in message_id):
        raise MalformedMessageError(f"refusing to send: {message_id!r} is not a Message-ID")
    if not LANGUAGE_TAG.fullmatch(language):
        raise MalformedMessageError(
            f"refusing to send: {language!r} is not a language tag (e.g. en, ur)"
        )

    message = EmailMessage(policy=POLICY)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime((date or datetime.now(UTC)).astimezone(UTC))
    message["Message-ID"] = message_id
    # RFC 3834: no out-of-office replies to an automatic notice.
    message["Auto-Submitted"] = "auto-generated"
    if outbox_id is not None:
        message[OUTBOX_HEADER] = str(outbox_id)
    message.set_content(rendered.text, charset="utf-8")
    if rendered.html:
        message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    # After the content: setting content clears every Content-* header, this one included.
    message["Content-Language"] = language
    return message


def message_id_for(row: OutboxRow, from_addr: str) -> str:
    """`<outbox-{id}.{created_at epoch}@{sender's domain}>`: the same for every send of a row.

    The creation time keeps ids apart across databases that reuse row ids.
    """
    domain = sender_address(from_addr).domain
    return f"<outbox-{row.id}.{int(row.created_at.timestamp())}@{domain}>"


def sender_address(from_addr: str) -> Address:
    """The From address, parsed from "Name <address>" or a bare address."""
    _one_line("From", from_addr)
    name, address = parseaddr(from_addr)
    if not address:
        raise AddressError("From", from_addr, "write it as Name <address@domain> or address@domain")
    return _address("From", address, display_name=name)


def _one_line(header: str, value: str) -> str:
    if any(character in LINE_BREAKS for character in value):
        raise HeaderInjectionError(header, value)
    return value


def _address(header: str, addr_spec: str, *, display_name: str = "") -> Address:
    _one_line(header, addr_spec)
    try:
        address = Address(display_name=display_name, addr_spec=addr_spec)
    except Exception as error:  # the parser raises several kinds (IndexError among them)
        raise AddressError(header, addr_spec, str(error) or type(error).__name__) from error
    if not address.username or not address.domain:
        raise AddressError(header, addr_spec, "it needs a name, an @ and a domain")
    if not address.addr_spec.isascii():
        raise AddressError(header, addr_spec, "only ASCII addresses can be sent")
    return address
