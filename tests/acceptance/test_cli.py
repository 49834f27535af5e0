"""The `taskforce` command end to end, in a subprocess, as an officer or operator uses it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from db import pipelines
from db.engine import make_engine, session_factory, transaction
from db.loading import load_meeting
from states.catalogue import BUNDLED_PIPELINES, Catalogue, Source
from states.meeting import load_meeting_file
from taskforce.cli import app
from taskforce.data import BUNDLED_MEETING

pytestmark = pytest.mark.slow

Taskforce = Callable[..., Any]

LAW_OFFICER = "law.officer.punjab@example.org"
PREVIOUS = BUNDLED_PIPELINES / "previous"
COMMANDS = sorted(typer.main.get_group(app).commands)


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


def test_an_officer_loads_the_meeting_and_moves_a_bill(taskforce: Taskforce) -> None:
    assert "Database ready" in ok(taskforce("init")).stdout

    first = ok(taskforce("load")).stdout
    assert "commitments: 166 added" in first
    assert "people: 43 added" in first
    again = ok(taskforce("load")).stdout
    assert "166 already loaded" in again
    assert "nothing changed" in again

    records = json.loads(ok(taskforce("list", "--json")).stdout)
    assert len(records) == 166
    for record in records:
        assert {"key", "title", "pipeline", "jurisdiction", "stage", "deadline", "status"} <= set(
            record
        )
        assert record["status"] == "open"
        if record["deadline"] is not None:
            date.fromisoformat(record["deadline"])
        datetime.fromisoformat(record["stage_entered_at"])
    bill = next(r for r in records if r["key"] == "CMB-PUNJAB")
    assert (bill["pipeline"], bill["jurisdiction"], bill["stage"], bill["deadline"]) == (
        "provincial_bill",
        "punjab",
        "drafting",
        "2026-12-12",
    )

    shown = json.loads(ok(taskforce("show", "CMB-PUNJAB", "--json")).stdout)
    # A bill in drafting may go to the Law Department, or take the private member's route;
    # it cannot lapse, since only a bill pending in the assembly lapses (Article 117).
    assert [a["action"] for a in shown["next_actions"]] == [
        "send_for_vetting",
        "give_notice",
        "withdraw",
    ]
    assert [(e["seq"], e["kind"], e["to"]) for e in shown["history"]] == [
        (1, "created", "drafting")
    ]

    moved = ok(
        taskforce(
            "advance",
            "CMB-PUNJAB",
            "send_for_vetting",
            "--as",
            LAW_OFFICER,
            "--comment",
            "Draft agreed with the Women Development Department",
        )
    )
    assert "CMB-PUNJAB" in moved.stdout
    assert "Law Department vetting" in moved.stdout

    shown = json.loads(ok(taskforce("show", "CMB-PUNJAB", "--json")).stdout)
    assert (shown["stage"], shown["version"]) == ("law_vetting", 2)
    assert shown["history"][-1]["actor"] == LAW_OFFICER
    assert shown["history"][-1]["comment"] == "Draft agreed with the Women Development Department"
    assert "Law Department vetting" in ok(taskforce("show", "CMB-PUNJAB")).stdout

    ok(
        taskforce(
            "advance",
            "DHRC-SINDH",
            "nominate_members",
            "--as",
            "hr.officer.sindh@example.org",
            "--field",
            "members=11",
        )
    )
    history = json.loads(ok(taskforce("history", "DHRC-SINDH", "--json")).stdout)
    assert [(e["action"], e["fields"]) for e in history] == [
        (None, {}),
        ("nominate_members", {"members": "11"}),
    ]
    in_vetting = json.loads(ok(taskforce("list", "--stage", "law_vetting", "--json")).stdout)
    assert [r["key"] for r in in_vetting] == ["CMB-PUNJAB"]


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        pytest.param(
            ("show", "CMB-NOWHERE"),
            4,
            "no commitment 'CMB-NOWHERE'; list them with: taskforce list",
            id="unknown-key",
        ),
        pytest.param(
            ("advance", "CMB-NOWHERE", "send_for_vetting", "--as", LAW_OFFICER),
            4,
            "no commitment 'CMB-NOWHERE'",
            id="unknown-key-advance",
        ),
        pytest.param(
            ("advance", "CMB-PUNJAB", "approve_in_cabinet", "--as", LAW_OFFICER),
            2,
            "Can't approve_in_cabinet CMB-PUNJAB: it is in drafting;"
            " allowed here: send_for_vetting, give_notice, withdraw",
            id="illegal-action",
        ),
        pytest.param(
            ("advance", "CMB-PUNJAB", "withdraw", "--as", LAW_OFFICER, "--comment", "why"),
            3,
            "Can't withdraw CMB-PUNJAB: law.officer.punjab@example.org is officer;"
            " this action is for secretary, chief_secretary, chair",
            id="wrong-role",
        ),
        pytest.param(
            ("advance", "DHRC-SINDH", "nominate_members", "--as", "hr.officer.sindh@example.org"),
            2,
            "missing members (Number of members nominated); give --field members=...",
            id="missing-field",
        ),
        pytest.param(
            (
                "advance",
                "DHRC-SINDH",
                "nominate_members",
                "--as",
                "hr.officer.sindh@example.org",
                "--field",
                "members",
            ),
            1,
            "--field 'members': write it as name=value",
            id="malformed-field",
        ),
        pytest.param(
            ("advance", "CMB-PUNJAB", "send_for_vetting", "--as", "nobody@example.org"),
            4,
            "no person with email nobody@example.org",
            id="unknown-email",
        ),
    ],
)
def test_a_refused_command_prints_one_line_and_exits_non_zero(
    loaded_taskforce: Taskforce, args: tuple[str, ...], code: int, says: str
) -> None:
    message = refused(loaded_taskforce(*args), code)

    assert says in message


def test_a_refused_advance_changes_nothing(loaded_taskforce: Taskforce) -> None:
    before = ok(loaded_taskforce("show", "CMB-PUNJAB", "--json")).stdout

    refused(loaded_taskforce("advance", "CMB-PUNJAB", "vet", "--as", LAW_OFFICER), 2)

    assert ok(loaded_taskforce("show", "CMB-PUNJAB", "--json")).stdout == before


def test_check_accepts_the_bundled_pipelines(taskforce: Taskforce) -> None:
    files = sorted(str(path) for path in BUNDLED_PIPELINES.glob("*.yaml"))

    checked = ok(taskforce("check", *files))

    assert checked.stdout.count(": ok") == len(files)


def test_check_of_the_installation_asks_for_a_calendar_reviewed_a_year_ahead(
    taskforce: Taskforce, tmp_path: Path
) -> None:
    calendar = tmp_path / "closed_days.yaml"
    ahead = date.today().replace(day=1)
    calendar.write_text(f"reviewed_through: {ahead.isoformat()}\n", encoding="utf-8")

    short = taskforce("check", TASKFORCE_CALENDAR_FILE=str(calendar))
    assert short.code == 1
    # Every pipeline, then the list of districts meeting files are checked against.
    assert short.stdout.count(": ok") == len(list(BUNDLED_PIPELINES.glob("*.yaml"))) + 1
    assert "districts.yaml: ok — 144 districts (punjab 41, sindh 30," in short.stdout
    assert f"governance: calendar: its closed days are reviewed only through {ahead}" in short.said

    calendar.write_text(f"reviewed_through: {ahead.year + 2}-01-01\n", encoding="utf-8")
    ok(taskforce("check", TASKFORCE_CALENDAR_FILE=str(calendar)))


def test_check_reports_a_broken_file_with_its_line(taskforce: Taskforce, tmp_path: Path) -> None:
    text = (BUNDLED_PIPELINES / "committee_activation.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("initial: notified", "initial: nowhere"), encoding="utf-8")
    line = text.splitlines().index("initial: notified") + 1

    done = taskforce("check", str(BUNDLED_PIPELINES / "action_task.yaml"), str(broken))

    assert done.code == 65
    assert "action_task.yaml: ok" in done.stdout
    assert f"broken.yaml:{line}: initial: unknown stage 'nowhere'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_broken_meeting_file_is_refused_with_its_line(
    taskforce: Taskforce, tmp_path: Path
) -> None:
    meeting = tmp_path / "meeting.yaml"
    meeting.write_text(
        "meeting:\n  key: ntf_hr_09\n  title: 9th\n  held_on: 2026-09-31\n", encoding="utf-8"
    )

    done = taskforce("load", str(meeting))

    assert done.code == 65
    assert "meeting.yaml:4:" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_read_only_commands_print_what_is_stored(loaded_taskforce: Taskforce) -> None:
    registered = json.loads(ok(loaded_taskforce("pipelines", "--json")).stdout)
    bundled = Catalogue.from_directories([BUNDLED_PIPELINES])
    assert {(p["key"], p["version"]) for p in registered} == {
        (p.key, p.version) for p in bundled.latest_all()
    }

    people = json.loads(ok(loaded_taskforce("people", "--json")).stdout)
    assert len(people) == 43
    assert {"email", "name", "role", "jurisdiction", "department", "language", "active"} <= set(
        people[0]
    )

    history = json.loads(ok(loaded_taskforce("history", "DHRC-NATIONAL", "--json")).stdout)
    assert [(e["seq"], e["actor"], e["to"]) for e in history] == [(1, "system", "in_progress")]
    datetime.fromisoformat(history[0]["at"])

    board = ok(loaded_taskforce("board")).stdout
    assert "166 commitments: 166 open" in board
    assert "CMB-PUNJAB" in board


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself(command: str) -> None:
    # The same application the installed command runs, called in this process: a
    # new process for each command's help cost a second each, and the top-level
    # help below is asked of the installed command.
    helped = CliRunner().invoke(app, [command, "--help"], prog_name="taskforce")

    assert (helped.exit_code, helped.exception) == (0, None), helped.output
    assert f"Usage: taskforce {command}" in helped.stdout


def test_the_top_level_help_lists_every_command(taskforce: Taskforce) -> None:
    helped = ok(taskforce("--help")).stdout

    for command in COMMANDS:
        assert command in helped


def test_the_demo_plays_the_meeting_and_prints_the_board(
    taskforce: Taskforce, tmp_path: Path
) -> None:
    played = ok(taskforce("demo", "--database", "tmp/demo.sqlite3"))

    assert "166 commitments:" in played.stdout
    assert "refused" in played.stdout  # the Punjab secretary acting on a Sindh item
    assert (tmp_path / "tmp" / "demo.sqlite3").is_file()
    assert not (tmp_path / "taskforce.sqlite3").exists(), "the demo wrote to the real database"


@pytest.mark.parametrize(
    ("url", "says", "code"),
    [
        pytest.param("nonsense", "database URL 'nonsense' is not a URL", 78, id="not-a-url"),
        pytest.param("mysql://db.example.org/tf", "unsupported database 'mysql'", 78, id="mysql"),
        pytest.param("sqlite://", "an in-memory SQLite database loses everything", 78, id="memory"),
        # A server that does not answer is an outage, not a setting to fix: exit 75, retry later.
        pytest.param(
            "postgresql+psycopg://postgres@127.0.0.1:1/taskforce",
            "cannot reach the database postgresql+psycopg://postgres@127.0.0.1:1/taskforce",
            75,
            id="unreachable-server",
        ),
        pytest.param(
            "sqlite:///{tmp}/a-file/taskforce.sqlite3",
            "a-file",
            78,
            id="folder-is-a-file",
        ),
        pytest.param(
            "sqlite:///{tmp}/not-a-database.sqlite3",
            "not-a-database.sqlite3",
            78,
            id="not-a-database",
        ),
    ],
)
def test_a_bad_database_url_is_one_clear_line(
    taskforce: Taskforce, tmp_path: Path, url: str, says: str, code: int
) -> None:
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    (tmp_path / "not-a-database.sqlite3").write_text("not a database\n", encoding="utf-8")

    done = taskforce("list", TASKFORCE_DATABASE_URL=url.format(tmp=tmp_path))

    assert says in refused(done, code)


def test_the_cli_works_on_each_database(
    taskforce_on: Callable[[str], Taskforce], database_url: str
) -> None:
    taskforce = taskforce_on(database_url)
    if database_url.startswith("postgresql"):
        # PostgreSQL is migrated only when an operator says so.
        assert "run: taskforce init" in refused(taskforce("list"), 78)
    ok(taskforce("init"))
    assert "166 added" in ok(taskforce("load")).stdout
    assert "nothing changed" in ok(taskforce("load")).stdout
    records = json.loads(ok(taskforce("list", "--json")).stdout)
    assert len(records) == 166
    ok(taskforce("advance", "CMB-PUNJAB", "send_for_vetting", "--as", LAW_OFFICER))
    shown = json.loads(ok(taskforce("show", "CMB-PUNJAB", "--json")).stdout)
    assert (shown["stage"], len(shown["history"])) == ("law_vetting", 2)


def _folder_with(tmp_path: Path, pipeline: str, edit: Callable[[str], str]) -> Path:
    """A pipelines folder holding the bundled `pipeline`'s file as `edit` changes it."""
    extra = tmp_path / "pipelines"
    extra.mkdir(exist_ok=True)
    text = (BUNDLED_PIPELINES / f"{pipeline}.yaml").read_text(encoding="utf-8")
    (extra / f"{pipeline}.yaml").write_text(edit(text), encoding="utf-8")
    return extra


def test_a_new_pipeline_version_leaves_started_commitments_on_theirs(
    taskforce: Taskforce, tmp_path: Path
) -> None:
    ok(taskforce("init"))
    ok(taskforce("load"))
    extra = _folder_with(tmp_path, "action_task", lambda text: text.replace(
        "action: take_up", "action: start_work", 1
    ))  # fmt: skip
    renamed = (extra / "action_task.yaml").read_text(encoding="utf-8")

    # Changed but still version 1: refused, with the way out.
    clash = taskforce("pipelines", "--json", TASKFORCE_PIPELINES_DIR=str(extra))
    assert "pipeline 'action_task' version 1" in refused(clash, 65)

    (extra / "action_task.yaml").write_text(
        renamed.replace("version: 1", "version: 2", 1), encoding="utf-8"
    )
    registered = json.loads(
        ok(taskforce("pipelines", "--json", TASKFORCE_PIPELINES_DIR=str(extra))).stdout
    )
    assert [p["version"] for p in registered if p["key"] == "action_task"] == [1, 2]

    # What version 2 changed, read before moving anything to it.
    changes = json.loads(
        ok(taskforce("pipelines", "diff", "action_task", "1", "2", "--json")).stdout
    )
    assert {(c["part"], c["key"], c["change"]) for c in changes} == {
        ("action", "start_work", "added"),
        ("action", "take_up", "removed"),
    }
    table = ok(taskforce("pipelines", "diff", "action_task", "1", "2")).stdout
    assert "action_task: from version 1 to version 2, 2 changes" in table
    unknown = taskforce("pipelines", "diff", "action_task", "1", "9")
    assert "pipeline 'action_task' has no version 9; its versions are 1, 2" in refused(unknown, 4)

    # NAP-HR-07 started on version 1 and is still moved by it, even without the folder.
    shown = json.loads(ok(taskforce("show", "NAP-HR-07", "--json")).stdout)
    assert shown["pipeline_version"] == 1
    assert [a["action"] for a in shown["next_actions"]] == ["take_up", "drop"]
    ok(taskforce("advance", "NAP-HR-07", "take_up", "--as", "police.officer.federal@example.org"))
    assert json.loads(ok(taskforce("show", "NAP-HR-07", "--json")).stdout)["stage"] == "in_progress"


def _loaded_on_provincial_bill_3(database_url: str) -> None:
    """The bundled meeting loaded as an installation did before version 4 was bundled: its
    bills start on version 3 (kept in states/pipelines/previous)."""
    bundled = Catalogue.from_directories([BUNDLED_PIPELINES])
    kept = Catalogue.from_directories([PREVIOUS]).get("provincial_bill", 3)
    before = Catalogue(
        [Source(p, "bundled") for p in bundled.all() if p.key != "provincial_bill"]
        + [Source(kept, "previous")]
    )
    engine = make_engine(database_url)
    try:
        with transaction(session_factory(engine)) as session:
            pipelines.register(session, before, now=datetime(2026, 6, 12, 10, 0, tzinfo=UTC))
            # Loaded by version 3's rules, though `init` registered version 5 already.
            load_meeting(
                session,
                before,
                load_meeting_file(BUNDLED_MEETING),
                now=datetime(2026, 6, 12, 10, 0, tzinfo=UTC),
            )
    finally:
        engine.dispose()


def test_the_running_bills_move_from_version_3_to_the_bundled_version_5_and_back(
    taskforce: Taskforce, tmp_path: Path
) -> None:
    ok(taskforce("init"))
    _loaded_on_provincial_bill_3(f"sqlite:///{tmp_path}/taskforce.sqlite3")
    assert json.loads(ok(taskforce("show", "CMB-KP", "--json")).stdout)["pipeline_version"] == 3
    chair = ("--as", "chair@example.org")
    # The installation registers the kept versions 3 and 4 beside the bundled pipelines.
    on = {"TASKFORCE_PIPELINES_DIR": str(PREVIOUS)}

    changes = json.loads(
        ok(taskforce("pipelines", "diff", "provincial_bill", "3", "4", "--json", **on)).stdout
    )
    assert ("stage", "cabinet_approved", "added") in {
        (c["part"], c["key"], c["change"]) for c in changes
    }
    officer = taskforce(
        "pipelines", "migrate", "provincial_bill", "--to", "4",
        "--as", "law.officer.punjab@example.org", **on,
    )  # fmt: skip
    assert "only a federal secretary or the chair" in refused(officer, 3)
    args = ("pipelines", "migrate", "provincial_bill", "--to", "4", *chair, "--json")
    shown = json.loads(ok(taskforce(*args, "--dry-run", **on)).stdout)
    assert [m["key"] for m in shown["moves"]] == ["CMB-BALOCHISTAN", "CMB-KP", "CMB-PUNJAB"]
    assert json.loads(ok(taskforce("show", "CMB-KP", "--json")).stdout)["pipeline_version"] == 3

    moved = ok(taskforce(*args[:-1], **on)).stdout
    assert "provincial_bill: moved 3 running commitments from version 3 to version 4" in moved
    history = json.loads(ok(taskforce("history", "CMB-KP", "--json")).stdout)
    assert (history[-1]["kind"], history[-1]["actor"]) == ("migrated", "chair@example.org")
    assert json.loads(ok(taskforce("show", "CMB-KP", "--json")).stdout)["pipeline_version"] == 4

    back = json.loads(ok(taskforce(*args, "--rollback", **on)).stdout)
    assert (back["from_version"], back["to_version"], len(back["moves"])) == (4, 3, 3)
    assert json.loads(ok(taskforce("show", "CMB-KP", "--json")).stdout)["pipeline_version"] == 3

    # Forward again, and on to the bundled version 5, one version at a time.
    ok(taskforce(*args[:-1], **on))
    latest = ok(taskforce("pipelines", "migrate", "provincial_bill", "--to", "5", *chair, **on))
    assert "provincial_bill: moved 3 running commitments from version 4 to version 5" in (
        latest.stdout
    )
    assert json.loads(ok(taskforce("show", "CMB-KP", "--json")).stdout)["pipeline_version"] == 5


def test_a_stay_order_pauses_an_item_from_the_command_line_and_it_resumes(
    taskforce: Taskforce,
) -> None:
    ok(taskforce("init"))
    ok(taskforce("load"))
    secretary = ("--as", "women.secretary.sindh@example.org")

    officer = taskforce(
        "pause", "CSW-SINDH", "--reason", "stay order", "--as", "women.officer.sindh@example.org"
    )
    assert "is not a secretary or above over it" in refused(officer, 3)
    paused = ok(taskforce("pause", "CSW-SINDH", "--reason", "SHC stay order", *secretary))
    assert paused.stdout.strip() == "CSW-SINDH: paused until resumed"
    shown = json.loads(ok(taskforce("show", "CSW-SINDH", "--json")).stdout)
    assert shown["paused_at"] is not None and shown["paused_until"] is None
    again = taskforce(
        "pause", "CSW-SINDH", "--reason", "again", "--until", "2099-01-31", *secretary
    )
    assert "it is paused already" in refused(again, 2)

    resumed = ok(taskforce("resume", "CSW-SINDH", *secretary)).stdout
    assert resumed.startswith("CSW-SINDH: its clocks run again; now due ")
    history = json.loads(ok(taskforce("history", "CSW-SINDH", "--json")).stdout)
    assert [e["kind"] for e in history[-2:]] == ["paused", "resumed"]


def test_another_departments_officer_is_refused_and_show_names_who_must_act(
    loaded_taskforce: Taskforce,
) -> None:
    done = loaded_taskforce(
        "advance", "CMB-PUNJAB", "send_for_vetting", "--as", "women.officer.punjab@example.org"
    )
    assert "it belongs to the Law Department" in refused(done, 3)
    assert "Women Development Department" in done.stderr

    record = json.loads(ok(loaded_taskforce("show", "CMB-PUNJAB", "--json")).stdout)
    assert record["stage"] == "drafting"
    assert record["waiting_on"][0] == {
        "name": "Kamran Aslam",
        "email": "law.officer.punjab@example.org",
        "role": "officer",
    }
    shown = ok(loaded_taskforce("show", "CMB-PUNJAB")).stdout
    assert "waiting on: Kamran Aslam (officer, law.officer.punjab@example.org)" in shown
