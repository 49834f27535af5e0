"""What went wrong while sending a message: the transport's exceptions, classified.

`classify` reads an exception raised while building or sending a message (smtplib,
the socket, TLS, our own message checks) and says, as a `states.retry.Failure`,
how final it is and whether the connection itself broke; the rule in
`states.retry` then decides when to try again. Knowing smtplib's exceptions is
this layer's business; the decision is not.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.errors import HeaderParseError, MessageError

from notifications.message import MalformedMessageError
from states.retry import Failure, Severity


def classify(error: BaseException) -> Failure:
    """Temporary, refused (5xx) or malformed, with a one-line description of the error."""
    if isinstance(error, MalformedMessageError):
        return Failure(Severity.MALFORMED, error.message)
    if isinstance(error, HeaderParseError | MessageError):
        return Failure(Severity.MALFORMED, f"the message could not be built: {error}")
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _recipients_refused(error)
    if isinstance(
        error, smtplib.SMTPAuthenticationError | smtplib.SMTPHeloError | smtplib.SMTPConnectError
    ):
        # Our credentials or our greeting: nothing wrong with the message itself.
        return Failure(
            Severity.TEMPORARY,
            _reply("the server refused us", error),
            error.smtp_code,
            connection=True,
        )
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        severity = Severity.REFUSED if 500 <= code < 600 else Severity.TEMPORARY
        return Failure(severity, _reply("the server answered", error), code)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        if isinstance(error.__context__, TimeoutError):
            # smtplib reports a reply that never came as a disconnect: say what happened.
            return _lost("the server did not answer in time")
        return _lost(f"the server disconnected: {error or 'no reason given'}")
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return _lost(f"the server does not support what we need: {error}")
    if isinstance(error, ssl.SSLError):
        return _lost(f"TLS failed: {error}")
    if isinstance(error, ConnectionRefusedError):
        return _lost("the server refused the connection")
    if isinstance(error, TimeoutError):
        return _lost("the server did not answer in time")
    if isinstance(error, socket.gaierror):
        return _lost(f"the server's name could not be resolved: {error}")
    if isinstance(error, OSError):
        return _lost(f"network error: {error}")
    # Anything else (a rendering bug, a template missing) may be fixed by a deploy: retry.
    return Failure(Severity.TEMPORARY, f"{type(error).__name__}: {error}")


def _lost(description: str) -> Failure:
    return Failure(Severity.TEMPORARY, description, connection=True)


def _recipients_refused(error: smtplib.SMTPRecipientsRefused) -> Failure:
    replies = error.recipients
    codes = [code for code, _ in replies.values()]
    text = "; ".join(
        f"{address}: {code} {_text(reply)}" for address, (code, reply) in replies.items()
    )
    # Temporary only if every refusal was temporary: a 5xx for anyone is final for the message.
    if codes and all(400 <= code < 500 for code in codes):
        return Failure(Severity.TEMPORARY, f"recipient refused: {text}", max(codes))
    permanent = [code for code in codes if 500 <= code < 600]
    code = permanent[0] if permanent else (codes[0] if codes else None)
    severity = Severity.REFUSED if permanent else Severity.TEMPORARY
    return Failure(severity, f"recipient refused: {text}", code)


def _reply(prefix: str, error: smtplib.SMTPResponseException) -> str:
    return f"{prefix} {error.smtp_code} {_text(error.smtp_error)}".rstrip()


def _text(reply: bytes | str) -> str:
    raw = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(raw.split())
