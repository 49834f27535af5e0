"""Mail from the `taskforce` command, in a subprocess, as an operator uses it.

Previewing a message, delivering the outbox to a real SMTP server (aiosmtpd,
started in this process: tests/smtp_server.py), watching and re-queueing the
outbox, recording and previewing digests, and the eml transport. Each command
costs most of a second, so the delivery journey is one test on one database.
"""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

Taskforce = Callable[..., Any]

SWEPT_AT = "2026-07-27"  # midnight in Pakistan, a Monday: escalations at every level
# Delivery runs as of a moment after the sweep and after now (`outbox retry` queues a
# message for the real now), whatever the machine's clock says.
DELIVER_AT = max(datetime.now(UTC), datetime(2026, 7, 28, tzinfo=UTC)).replace(
    microsecond=0
) + timedelta(days=1)
DELIVER_AT_TEXT = DELIVER_AT.isoformat()
DIGEST_READERS = {
    "chair@example.org",
    "cs.punjab@example.org",
    "cs.sindh@example.org",
    "cs.kp@example.org",
    "cs.balochistan@example.org",
}


def ok(done: Any) -> Any:
    """`done`, after checking the command succeeded and said nothing on stderr."""
    assert (done.code, done.stderr) == (0, ""), f"taskforce {' '.join(done.args)} failed"
    return done


def refused(done: Any, code: int) -> str:
    """The one error the command printed, after checking how it failed."""
    assert done.code == code, (done.code, done.stderr)
    assert done.stdout == ""
    assert done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, f"not one line: {done.stderr!r}"
    return str(done.said)


def as_json(done: Any) -> Any:
    return json.loads(ok(done).stdout)


# -- previewing a message (read only: one loaded database for the module) -----------------------


def test_mail_preview_prints_the_subject_and_text_and_writes_the_html(
    loaded_taskforce: Taskforce, tmp_path: Path
) -> None:
    page = tmp_path / "escalation.html"
    done = loaded_taskforce(
        "mail",
        "preview",
        "escalation",
        "--key",
        "CSW-PUNJAB",
        "--level",
        "4",
        "--now",
        "2026-07-27T10:00",
        "--html",
        str(page),
    )

    assert done.code == 0, done.stderr
    assert done.stderr.strip() == f"HTML written to {page}"
    subject, blank, *text = done.stdout.splitlines()
    assert subject.startswith("Subject: For the chair: CSW-PUNJAB")
    assert blank == ""
    body = "\n".join(text)
    assert "Dear Nasreen Akhtar," in body  # the chair, who reads level 4
    assert "http://localhost:8000/commitments/CSW-PUNJAB" in body
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en" dir="ltr">' in html
    assert "CSW-PUNJAB" in html


def ok_with_note(done: Any) -> Any:
    """`done`, after checking it succeeded and said no more than where it wrote the HTML."""
    assert done.code == 0, done.stderr
    assert done.stderr.startswith("HTML written to ")
    assert done.stderr.count("\n") == 1
    return done


def test_mail_preview_in_urdu_is_right_to_left(loaded_taskforce: Taskforce, tmp_path: Path) -> None:
    page = tmp_path / "escalation-ur.html"
    done = ok_with_note(
        loaded_taskforce(
            "mail",
            "preview",
            "escalation",
            "--key",
            "CSW-PUNJAB",
            "--level",
            "4",
            "--lang",
            "ur",
            "--html",
            str(page),
            TASKFORCE_BASE_URL="https://taskforce.example.org",
        )
    )

    assert done.stdout.startswith("Subject: برائے چیئرپرسن")
    assert "https://taskforce.example.org/commitments/CSW-PUNJAB" in done.stdout
    assert '<html lang="ur" dir="rtl">' in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "env", "code", "says"),
    [
        pytest.param(
            ("outbox", "show", "999"), {}, 4, "there is no outbox message 999", id="unknown-id"
        ),
        pytest.param(
            ("mail", "preview", "escalation", "--key", "CSW-PUNJAB", "--lang", "fr"),
            {},
            1,
            "no escalation mail in language 'fr'",
            id="bad-lang",
        ),
        pytest.param(
            ("mail", "preview", "reminder", "--key", "NOPE-1"), {}, 4, "NOPE-1", id="bad-key"
        ),
        pytest.param(
            ("outbox", "list", "--status", "lost"),
            {},
            1,
            "no outbox status 'lost'",
            id="bad-status",
        ),
        pytest.param(("outbox", "retry"), {}, 1, "say which messages to retry", id="retry-what"),
        pytest.param(
            ("deliver",), {"TASKFORCE_MAIL_FROM": "nobody"}, 78, "mail_from", id="bad-from"
        ),
    ],
)
def test_a_refused_mail_command_prints_one_line(
    loaded_taskforce: Taskforce, args: tuple[str, ...], env: dict[str, str], code: int, says: str
) -> None:
    assert says in refused(loaded_taskforce(*args, **env), code)


# -- the outbox, end to end -------------------------------------------------------------------


def test_the_outbox_is_delivered_watched_and_requeued_and_digests_are_queued(
    taskforce: Taskforce, smtp_server: Any, tmp_path: Path
) -> None:
    smtp = {
        "TASKFORCE_SMTP_HOST": smtp_server.host,
        "TASKFORCE_SMTP_PORT": str(smtp_server.port),
        "TASKFORCE_SMTP_TIMEOUT_SECONDS": "5",
    }

    def deliver(**env: str) -> dict[str, Any]:
        report: dict[str, Any] = as_json(
            taskforce("deliver", "--json", "--now", DELIVER_AT_TEXT, **{**smtp, **env})
        )
        return report

    def outbox(*args: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = as_json(
            taskforce("outbox", "list", "--json", "--limit", "1000", *args)
        )
        return records

    ok(taskforce("init"))
    ok(taskforce("load"))
    swept = as_json(taskforce("sweep", "--now", SWEPT_AT, "--direct", "--json"))
    notices = swept["escalations"] + swept["reminders"]
    addressed = sum(len(n["recipients"]) for n in notices)
    assert addressed > 0

    # Every escalation and reminder goes out, each once.
    first = deliver()

    sent = len(first["sent"])
    assert sent == addressed
    assert (first["retried"], first["dead"], first["remaining"]) == ([], [], 0)
    received = smtp_server.wait_for(sent)
    assert len(received) == sent
    assert set(smtp_server.message_ids().values()) == {1}
    listed = outbox()
    assert len(listed) == sent
    assert {r["status"] for r in listed} == {"sent"}
    assert {r["message_id"] for r in listed} == {m.message_id for m in received}
    assert {r["sent_at"] for r in listed} == {DELIVER_AT.isoformat()}

    # What was sent, as the operator sees it.
    chosen = listed[-1]
    shown = ok(taskforce("outbox", "show", str(chosen["id"]))).stdout
    assert f"Outbox message {chosen['id']}: sent, 1 tries" in shown
    assert f"Message-ID: {chosen['message_id']}" in shown
    # The message as composed and sent (the row's `subject` is the sweep's summary of it).
    (arrived,) = [m for m in received if m.message_id == chosen["message_id"]]
    assert f"Subject: {arrived.message['Subject']}" in shown
    assert chosen["recipient"] in shown
    assert "From: Task Force Secretariat <taskforce@example.org>" in shown
    assert f"X-Taskforce-Outbox: {chosen['id']}" in shown

    # Nothing is sent twice, and a sent message cannot be re-queued.
    again = deliver()
    assert (again["sent"], again["remaining"]) == ([], 0)
    assert len(smtp_server.messages) == sent
    says = refused(taskforce("outbox", "retry", str(chosen["id"])), 1)
    assert "already sent" in says

    # The digests: recorded and queued, one per reader.
    digests = as_json(taskforce("digest", "--now", SWEPT_AT, "--json"))
    assert {d["recipient"] for d in digests} == DIGEST_READERS

    # A preview writes HTML and records nothing.
    page = tmp_path / "digest.html"
    preview = as_json(taskforce("digest", "--to", str(page), "--now", SWEPT_AT, "--json"))
    assert (preview["preview"], preview["recorded"], preview["scope"]) == (
        str(page),
        False,
        "federal",
    )
    html = page.read_text(encoding="utf-8")
    assert 'bgcolor="#b4342d"' in html  # the chart's bars
    assert len(outbox()) == sent + len(DIGEST_READERS)  # the digests queued, the preview not

    # The server refuses one message for good (550): with one try allowed it is dead at once.
    smtp_server.refuse(1, "550 5.1.1 mailbox unavailable")
    third = deliver(TASKFORCE_MAIL_MAX_ATTEMPTS="1")

    assert len(third["sent"]) == len(DIGEST_READERS) - 1
    assert third["retried"] == []
    (dead,) = third["dead"]
    assert "550" in dead["error"]
    assert dead["recipient"] in DIGEST_READERS
    assert len(smtp_server.messages) == sent + len(DIGEST_READERS) - 1
    (listed_dead,) = outbox("--status", "dead")
    assert (listed_dead["id"], listed_dead["kind"], listed_dead["attempts"]) == (
        dead["id"],
        "digest",
        1,
    )
    assert "550" in listed_dead["last_error"]

    requeued = ok(taskforce("outbox", "retry", "--all-dead")).stdout
    assert f"Queued 1 message(s) for the next delivery: {dead['id']}" in requeued

    # The eml transport writes the message to a folder instead of sending it.
    folder = tmp_path / "mail-out"
    fourth = deliver(TASKFORCE_MAIL_TRANSPORT="eml", TASKFORCE_MAIL_DIR=str(folder))

    assert (fourth["sent"], fourth["dead"], fourth["remaining"]) == ([dead["id"]], [], 0)
    (written,) = folder.glob("*.eml")
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"].addresses[0].addr_spec == dead["recipient"]
    assert message["X-Taskforce-Outbox"] == str(dead["id"])
    assert message.get_content_type() == "multipart/alternative"
    html_part = message.get_body(("html",))
    assert html_part is not None and 'bgcolor="#b4342d"' in html_part.get_content()
    assert len(smtp_server.messages) == sent + len(DIGEST_READERS) - 1  # nothing over SMTP

    final = outbox()
    assert len(final) == sent + len(DIGEST_READERS)
    assert {r["status"] for r in final} == {"sent"}
    (written_row,) = [r for r in final if r["id"] == dead["id"]]
    assert message["Message-ID"] == written_row["message_id"]
