"""The `taskforce` command line: thin commands over the workflow and queries."""

import os
import signal
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from db import continuity, evidence, people, queries, waiting, workflow
from db import escalations as escalation_store
from db.engine import transaction
from db.models import Commitment
from states import effective, moments, rules, stalls
from states.calendar import local_day
from states.catalogue import load_pipeline_file
from states.definition import Pipeline
from states.errors import CommentRequiredError, FieldError, TaskforceError
from states.references import parse_reference, parse_tag
from taskforce import views
from taskforce.app import App
from taskforce.cli_accounts import tokens_app, users
from taskforce.cli_assembly import register as register_assembly_commands
from taskforce.cli_calendar import register as register_calendar_commands
from taskforce.cli_decisions import decisions_template, import_decisions
from taskforce.cli_export import register as register_export_commands
from taskforce.cli_notes import AttachOption, file_fields, note, read_attachments
from taskforce.cli_pausing import register as register_pausing_commands
from taskforce.cli_people import register as register_people_commands
from taskforce.cli_pipelines import register as register_pipelines_commands
from taskforce.cli_refs import refs_report
from taskforce.cli_refs import register as register_refs_commands
from taskforce.cli_reports import report_app
from taskforce.cli_sheets import import_app, sheet
from taskforce.console import JsonOption, emit_json, err, now, opened, out
from taskforce.settings import load_settings

app = typer.Typer(
    name="taskforce",
    help="Commitments as state machines: load them, advance them, see where they stand.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command()
def init() -> None:
    """Create the database, or upgrade it to the latest schema, and register the pipelines."""
    from db import migrate

    with opened(migrate_schema=True) as application:
        url = application.engine.url.render_as_string(hide_password=True)
        out.print(f"Database ready: {url} (schema {migrate.current_revision(application.engine)})")
        out.print(f"Pipelines registered: {len(application.catalogue.all())}")


@app.command()
def load(
    file: Annotated[
        Path | None, typer.Argument(help="A meeting file (YAML). Default: the bundled 8th meeting.")
    ] = None,
) -> None:
    """Load a meeting's people and commitments. Loading the same file again changes nothing."""
    from db.loading import load_meeting
    from states.meeting import load_meeting_file
    from taskforce.data import BUNDLED_MEETING

    meeting = load_meeting_file(file or BUNDLED_MEETING)
    with opened() as application, transaction(application.sessions) as session:
        report = load_meeting(
            session, application.catalogue, meeting, now=now(), calendar=application.calendar
        )
    out.print(
        f"Meeting {report.meeting}: {meeting.meeting.title} ({views.day(meeting.meeting.held_on)})"
    )
    out.print(
        f"  people: {len(report.people_added)} added, {len(report.people_updated)} updated;"
        f" commitments: {len(report.commitments_added)} added,"
        f" {len(report.commitments_kept)} already loaded"
    )
    for word, keys in (
        ("reiterated", report.commitments_reiterated),
        ("amended", report.commitments_amended),
        ("superseded", report.commitments_superseded),
    ):
        if keys:
            out.print(f"  {word} at this meeting: {', '.join(keys)}")
    if report.commitments_labelled:
        out.print(f"  references or tags added: {', '.join(report.commitments_labelled)}")
    if not report.changed:
        out.print("  nothing changed")


@app.command("list")
def list_(
    pipeline: Annotated[
        str | None, typer.Option(help="Only this pipeline, e.g. provincial_bill.")
    ] = None,
    jurisdiction: Annotated[
        str | None, typer.Option(help="Only this jurisdiction (a province includes its districts).")
    ] = None,
    stage: Annotated[str | None, typer.Option(help="Only commitments in this stage.")] = None,
    status: Annotated[
        str | None, typer.Option(help="open, completed, withdrawn or lapsed.")
    ] = None,
    department: Annotated[str | None, typer.Option(help="Only this department, e.g. law.")] = None,
    officer: Annotated[
        str | None, typer.Option(help="Only items held by this officer's email.")
    ] = None,
    ref: Annotated[
        str | None,
        typer.Option(help="Only items carrying this reference, e.g. sdg:5.3 or nap:HR-12."),
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Only items with this tag.")] = None,
    stalled: Annotated[
        bool, typer.Option("--stalled", help="Only stalled items, with ladder level and delay.")
    ] = False,
    at: Annotated[
        str | None,
        typer.Option(
            "--now", help="Judge stalls as of this time (ISO 8601; no zone means Pakistan time)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List commitments, filtered; --stalled shows how overdue each is and its ladder level."""
    moment = parse_moment(at) if at else now()
    where = queries.CommitmentFilter(
        due_by=moment if stalled else None,
        pipeline=pipeline,
        jurisdiction=jurisdiction,
        stage=stage,
        status=status,
        department=department,
        officer_email=officer,
        ref=parse_reference(ref).text if ref is not None else None,
        tag=parse_tag(tag) if tag is not None else None,
    )
    with opened() as application, transaction(application.sessions) as session:
        items = queries.list_commitments(session, where)
        records = [views.commitment_record(c, _pipeline(application, c)) for c in items]
        if stalled:
            for commitment, record in zip(items, records, strict=True):
                record["stall"] = _stall_record(application, commitment, moment)
            records.sort(
                key=lambda r: (-(r["stall"] or {}).get("overdue_working_days", 0), r["key"])
            )
    if as_json:
        emit_json(records)
        return
    if stalled:
        _print_stalled(records)
        return
    table = Table(
        "Key",
        "Title",
        "Jurisdiction",
        "Stage",
        "Status",
        "Deadline",
        title=f"{len(records)} commitments",
    )
    for record in records:
        table.add_row(
            record["key"],
            record["title"],
            record["jurisdiction"],
            record["stage_title"],
            record["status"],
            record["deadline"] or "",
        )
    out.print(table)


@app.command()
def show(
    key: Annotated[str, typer.Argument(help="The commitment's key, e.g. CMB-PUNJAB.")],
    as_: Annotated[
        str | None, typer.Option("--as", help="Show only the actions this person (email) may take.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show a commitment: where it stands, what can move it next, and its history."""
    with opened() as application, transaction(application.sessions) as session:
        commitment = queries.get_commitment(session, key)
        pipeline = _pipeline(application, commitment)
        actor = people.actor_for(people.by_email(session, as_)) if as_ else None
        kids = queries.children(session, commitment)
        open_kids = [c.key for c in kids if c.status == "open"]
        options = rules.options(
            pipeline, workflow.state_of(commitment), actor, open_children=open_kids
        )
        record = views.commitment_record(commitment, pipeline)
        record["waiting_on"] = waiting.records(
            waiting.waiting_on(application.catalogue, commitment, waiting.holders(session))
        )
        record["parent"] = queries.parent_key(session, commitment)
        record["meetings"] = [
            {"key": m.key, "title": m.title, "held_on": views.iso(m.held_on)}
            for m in continuity.meetings_of(session, commitment)
        ]
        record["children"] = [{"key": c.key, "stage": c.stage, "status": c.status} for c in kids]
        record["next_actions"] = [views.option_record(o, pipeline) for o in options]
        events = queries.history(session, commitment)
        files = evidence.of_events(session, [e.id for e in events])
        record["history"] = [views.event_record(e, files) for e in events]
        record["stall"] = _stall_record(application, commitment, now())
        record["snoozed_until"] = views.iso(commitment.snoozed_until)
        record["exempt"] = commitment.exempt
    if as_json:
        emit_json(record)
        return
    _print_commitment(record)


def _print_commitment(record: dict[str, Any]) -> None:
    out.print(f"[bold]{record['key']}[/bold]: {record['title']}")
    out.print(
        f"  {record['pipeline']} v{record['pipeline_version']} · {record['jurisdiction']}"
        f" · {record['department']} · officer {record['officer'] or '(none)'}"
    )
    out.print(
        f"  stage: [bold]{record['stage_title']}[/bold] ({record['stage']}),"
        f" status {record['status']}"
    )
    if record["waiting_on"]:
        out.print(
            f"  waiting on: {_waiting_line(record['waiting_on'])}", markup=False, highlight=False
        )
    deadline = views.day(date.fromisoformat(record["deadline"])) if record["deadline"] else "none"
    out.print(f"  deadline: {deadline}; version {record['version']}")
    stall = record["stall"]
    if stall:
        level = (
            f"ladder level {stall['level']} ({stall['notify']})" if stall["level"] else "no rung"
        )
        why = "stage time limit" if stall["reason"] == "stage_limit" else "deadline"
        out.print(
            f"  [bold red]stalled[/bold red]: {stall['overdue_working_days']} working days past"
            f" its {why}; {level}"
        )
    if record["snoozed_until"]:
        out.print(f"  escalations snoozed through {record['snoozed_until']}")
    if record["exempt"]:
        out.print("  exempt from escalation (by the chair)")
    if record["fields"]:
        out.print("  fields: " + ", ".join(f"{k}={v}" for k, v in record["fields"].items()))
    if record["refs"] or record["tags"]:
        labels = [*record["refs"], *(f"#{tag}" for tag in record["tags"])]
        out.print("  refs and tags: " + ", ".join(labels), markup=False, highlight=False)
    if record["parent"]:
        out.print(f"  part of: {record['parent']}")
    if len(record["meetings"]) > 1:
        later = "; ".join(m["title"] for m in record["meetings"][1:])
        out.print(f"  reiterated at: {escape(later)}")
    if record["children"]:
        out.print(
            "  children: " + ", ".join(f"{c['key']} ({c['stage']})" for c in record["children"])
        )
    if record["next_actions"]:
        table = Table("Action", "Leads to", "Who", "Needs", title="Next actions")
        for option in record["next_actions"]:
            needs = [f"--field {f['name']}=… ({f['title']})" for f in option["fields"]]
            if option["comment_required"]:
                needs.append("--comment")
            table.add_row(
                option["action"], option["to"], ", ".join(option["roles"]), "\n".join(needs)
            )
        out.print(table)
    elif record["status"] == "open":
        out.print("  no action is open to you here")
    _print_history(record["history"])


def _waiting_line(found: list[dict[str, str]], limit: int = 5) -> str:
    named = [f"{p['name']} ({p['role'].replace('_', ' ')}, {p['email']})" for p in found[:limit]]
    more = f" and {len(found) - limit} more" if len(found) > limit else ""
    return ", ".join(named) + more


def _print_history(events: list[dict[str, Any]]) -> None:
    table = Table("#", "When (PKT)", "Who", "What", "Comment", title="History")
    for event in events:
        if event["kind"] not in ("created", "transition"):
            what = f"{event['kind']} (in {event['to']})"
        elif event["from"]:
            what = f"{event['action']}: {event['from']} → {event['to']}"
        else:
            what = f"created in {event['to']}"
        if event["fields"]:
            what += "\n" + ", ".join(f"{k}={v}" for k, v in event["fields"].items())
        recorded = datetime.fromisoformat(event["at"])
        dated = event.get("effective_at")
        when = views.happened(datetime.fromisoformat(dated) if dated else recorded, recorded)
        comment = event["comment"] or ""
        for file in event.get("attachments", ()):
            name, size = escape(file["name"]), file["size"]
            comment += f"\nfile: {name} ({size} bytes, {file['sha256'][:12]})"
        table.add_row(str(event["seq"]), when, event["actor"], what, comment.strip())
    out.print(table)


@app.command()
def advance(
    key: Annotated[str, typer.Argument(help="The commitment's key, e.g. CMB-PUNJAB.")],
    action: Annotated[
        str, typer.Argument(help="The action to take; `taskforce show KEY` lists them.")
    ],
    as_: Annotated[str, typer.Option("--as", help="Your email, as loaded from the meeting file.")],
    field: Annotated[
        list[str] | None,
        typer.Option("--field", help="A field the action needs, as name=value; repeatable."),
    ] = None,
    comment: Annotated[str | None, typer.Option(help="Why; some actions require it.")] = None,
    expect_version: Annotated[
        int | None,
        typer.Option(
            help="Refuse if the commitment's version is no longer this (it moved since you looked)."
        ),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option(
            "--on",
            help="When it happened, if not now: a date (the start of that working day) or a"
            " time in ISO 8601; no zone means Pakistan time.",
        ),
    ] = None,
    attach: AttachOption = None,
) -> None:
    """Move a commitment to its next stage by taking an action."""
    fields = _parse_fields(field or [])
    present = now()
    effective_at = parse_effective(on, now=present) if on is not None else None
    with opened() as application, transaction(application.sessions) as session:
        policy = application.settings.evidence_policy()
        uploads = read_attachments(attach, limit=policy.max_bytes)
        if any(value.startswith("@") for value in fields.values()):  # --field name=@FILE
            pipeline = _pipeline(application, queries.get_commitment(session, key))
            given_files, files = file_fields(fields, pipeline, limit=policy.max_bytes)
            fields.update(given_files)
            uploads += files
        try:
            result = workflow.advance(
                session,
                application.catalogue,
                key=key,
                action=action,
                actor_email=as_,
                fields=fields,
                comment=comment,
                now=present,
                expected_version=expect_version,
                calendar=application.calendar,
                effective_at=effective_at,
                max_days_back=application.settings.backdate_max_days,
                attachments=uploads,
                policy=policy,
            )
        except (FieldError, CommentRequiredError) as error:
            _fail_with_flags(error)
        stage_title = _pipeline(application, result.commitment).stage(result.commitment.stage).title
        version = result.commitment.version
        message = f"{result.commitment.key}: {action} → {stage_title} (version {version})"
    out.print(message)
    for parent in result.rolled_up:
        out.print(f"{parent}: every child has ended, so it is now complete")


def _fail_with_flags(error: FieldError | CommentRequiredError) -> NoReturn:
    """The engine's refusal plus the options that supply what it asks for: flags are the CLI's."""
    named = error.fields if isinstance(error, FieldError) else ("comment",)
    flag = {
        "comment": "--comment TEXT",
        "effective_at": "--on DATE",
        "attachments": "another file with --attach FILE",
    }
    flags = " ".join(flag.get(name, f"--field {name}=...") for name in named)
    err.print(f"error: {error.message}; give {flags}", markup=False, highlight=False)
    sys.exit(error.exit_code)


def _parse_fields(pairs: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise TaskforceError(
                f"--field {pair!r}: write it as name=value, e.g. --field bill_number=12"
            )
        fields[name.strip()] = value
    return fields


@app.command()
def history(
    key: Annotated[str, typer.Argument(help="The commitment's key.")],
    as_json: JsonOption = False,
) -> None:
    """Show every event of a commitment, oldest first."""
    with opened() as application, transaction(application.sessions) as session:
        commitment = queries.get_commitment(session, key)
        rows = queries.history(session, commitment)
        files = evidence.of_events(session, [e.id for e in rows])
        events = [views.event_record(e, files) for e in rows]
    if as_json:
        emit_json(events)
    else:
        _print_history(events)


@app.command()
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Pipeline files to check; none: this installation's files and calendar."
        ),
    ] = None,
) -> None:
    """Check pipeline files, then their governance: every problem, with its line.

    A stage's follow_up must name a pipeline checked or bundled. Governance: every open
    stage is held by someone and has a time limit, every ladder ends at the chair, a
    bundled pipeline cites its sources; with no files named, the
    calendar's closed days are also reviewed twelve months ahead, and the list of
    districts is checked and counted. A file's problems
    exit 65; governance gaps alone exit 1.
    """
    from states import governance
    from states.calendar import load_calendar
    from states.catalogue import (
        BUNDLED_PIPELINES,
        Catalogue,
        Source,
        follow_up_findings,
        pipeline_files,
    )
    from taskforce.app import definition_dirs

    settings = None if paths else load_settings()
    files = pipeline_files(definition_dirs(settings)) if settings is not None else list(paths or ())
    failed = 0
    checked: list[tuple[Pipeline, bool]] = []
    sources: list[Source] = []
    for path in files:
        try:
            pipeline = load_pipeline_file(path)
        except TaskforceError as error:
            failed += 1
            err.print(error.message, markup=False, highlight=False)
            continue
        checked.append((pipeline, path.resolve().parent == BUNDLED_PIPELINES.resolve()))
        sources.append(Source(pipeline, str(path)))
        out.print(
            f"{path}: ok — {pipeline.key} version {pipeline.version},"
            f" {len(pipeline.stages)} stages, {len(pipeline.transitions)} actions"
        )
    if failed:
        raise typer.Exit(65)
    # A follow-up names another pipeline: one of the files checked, or a bundled one.
    known = {p.key for p, _ in checked} | Catalogue.from_directories([BUNDLED_PIPELINES]).keys()
    unknown = follow_up_findings(sources, known)
    for problem in unknown:
        err.print(problem.render("pipelines"), markup=False, highlight=False)
    if unknown:
        raise typer.Exit(65)
    findings = [
        f for p, bundled in checked for f in governance.pipeline_findings(p, bundled=bundled)
    ]
    if settings is not None:
        calendar = load_calendar(settings.calendar_file) if settings.calendar_file else None
        findings += governance.calendar_findings(calendar, today=local_day(now()))
        _check_districts()
    for finding in findings:
        err.print(f"governance: {finding}", markup=False, highlight=False)
    if findings:
        raise typer.Exit(1)


def _check_districts() -> None:
    """Report the list of districts meeting files are checked against (65 if it is broken)."""
    from states.districts import BUNDLED_DISTRICTS, load_districts

    try:
        districts = load_districts(BUNDLED_DISTRICTS)
    except TaskforceError as error:
        err.print(error.message, markup=False, highlight=False)
        raise typer.Exit(65) from None
    counts = ", ".join(f"{province} {count}" for province, count in districts.counts().items())
    out.print(
        f"{BUNDLED_DISTRICTS}: ok — {len(districts)} districts ({counts}), as of"
        f" {districts.reflects}; review it when districts are created or merged",
        markup=False,
        highlight=False,
    )


@app.command()
def board(
    jurisdiction: Annotated[str | None, typer.Option(help="Only this jurisdiction.")] = None,
) -> None:
    """Print the board: every commitment by pipeline and stage."""
    from taskforce import board as board_view

    with opened() as application, transaction(application.sessions) as session:
        board_view.print_board(
            out, session, application.catalogue, jurisdiction=jurisdiction, today=now()
        )


@app.command()
def demo(
    database: Annotated[
        Path, typer.Option(help="The demo's own SQLite file; it is replaced on every run.")
    ] = Path("taskforce-demo.sqlite3"),
    mail_folder: Annotated[
        Path, typer.Option(help="Where the demo's SMTP server saves what it receives.")
    ] = Path("taskforce-demo-mail"),
) -> None:
    """Play a simulated month after the bundled meeting: moves, daily sweeps, mail, digests."""
    from taskforce.demo import run_demo

    run_demo(out, database, mail_folder)


@app.command()
def sweep(
    at: Annotated[
        str | None,
        typer.Option(
            "--now", help="Sweep as of this time (ISO 8601; no zone means Pakistan time)."
        ),
    ] = None,
    through_prefect: Annotated[
        bool | None,
        typer.Option(
            "--prefect/--direct",
            help="Run as a Prefect flow run (default when PREFECT_API_URL is set) or directly.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run one sweep: roll up parents, escalate stalled commitments, send reminders."""
    from db.sweep import run_sweep

    moment = parse_moment(at) if at else now()
    if through_prefect is None:
        through_prefect = bool(os.environ.get("PREFECT_API_URL"))
    if through_prefect:
        report = run_flow_once(moment)
    else:
        with opened() as application:
            report = run_sweep(
                application.sessions, application.catalogue, application.calendar, now=moment
            ).as_dict()
    if as_json:
        emit_json(report)
    else:
        _print_sweep(report)


def run_flow_once(moment: datetime) -> dict[str, Any]:
    """The sweep as a Prefect flow run, with heartbeats off (they add a second a run)."""
    prefect_quietly()
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from taskforce.deploy import sweep as sweep_flow

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        result: dict[str, Any] = sweep_flow(now=moment)
    return result


def prefect_quietly() -> None:
    """Prefect offline and quiet unless the operator said otherwise.

    With a Prefect server configured, the run's own log (its counts) still goes to
    the server, for the UI; the terminal shows only warnings, beside the report.
    """
    quiet = {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
        "PREFECT_LOGGING_COLORS": "false",
    }
    if os.environ.get("PREFECT_API_URL"):
        quiet["PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL"] = "INFO"
        quiet["PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL"] = "INFO"
        quiet["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "WARNING"
    else:
        quiet["PREFECT_LOGGING_TO_API_ENABLED"] = "false"
    for name, value in quiet.items():
        os.environ.setdefault(name, value)


def _print_sweep(report: dict[str, Any]) -> None:
    moment = views.local(datetime.fromisoformat(report["now"]))
    out.print(f"Sweep as of {moment} (Pakistan time): {report['stalled']} stalled")
    if report.get("dry_run"):
        out.print(
            "  dry run: nothing recorded — this moment has not come yet, so the sweep only"
            " shows what it would escalate; the sweep at that time will record it"
        )
    if report["by_level"]:
        levels = ", ".join(f"level {k}: {v}" for k, v in report["by_level"].items())
        places = ", ".join(f"{k}: {v}" for k, v in report["by_jurisdiction"].items())
        out.print(f"  by level reached: {levels}")
        out.print(f"  by jurisdiction: {places}")
    for title, notices in (
        ("New escalations", report["escalations"]),
        ("Reminders", report["reminders"]),
    ):
        if not notices:
            out.print(f"  {title.lower()}: none")
            continue
        table = Table("Key", "Level", "Role", "To", "Overdue", "Why", title=title)
        for n in notices:
            to = ", ".join(n["recipients"]) or "(nobody)"
            if n["missing_role"]:
                to += f"  [nobody holds {n['missing_role']}: sent up the ladder]"
            table.add_row(
                n["key"],
                str(n["level"]),
                n["role"],
                to,
                f"{n['overdue_working_days']} days",
                n["reason"],
            )
        out.print(table)
    for key in report["completed_parents"]:
        out.print(f"  {key}: every child has ended, so it is now complete")
    for key in report["lapsed"]:
        out.print(f"  {key}: lapsed at its deadline")
    for key in report.get("acted_at_time_limit", []):
        out.print(
            f"  {key}: its stage's time limit passed, so the system took the stage's action"
            " (a bill presented again: assent deemed given); its history says what was done"
        )
    for key in report.get("rescheduled", []):
        out.print(f"  {key}: due time moved by a change of the working calendar")
    for problem in report["skipped_conflicts"]:
        out.print(f"  skipped (changed meanwhile; the next sweep retries): {problem}")
    if report["missing_recipients"]:
        missing = ", ".join(
            f"{n['key']} level {n['level']} ({n['missing_role']})"
            for n in report["missing_recipients"]
        )
        out.print(f"  [bold]nobody holds the role for:[/bold] {missing} — add them to the people")


@app.command()
def escalations(
    key: Annotated[str | None, typer.Argument(help="Only this commitment's escalations.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List escalations (level 0 is the reminder before due), newest first."""
    with opened() as application, transaction(application.sessions) as session:
        records: list[dict[str, Any]] = [
            {
                "key": commitment_key,
                "level": e.level,
                "role": e.role,
                "recipients": list(e.recipients),
                "missing_role": e.missing_role,
                "reason": e.reason,
                "overdue_working_days": e.overdue_days,
                "stage": e.snapshot.get("stage"),
                "time": e.created_at.isoformat(),
                "acknowledged_by": e.acknowledged_by,
                "acknowledged_at": views.iso(e.acknowledged_at),
            }
            for e, commitment_key in escalation_store.list_escalations(session, key)
        ]
    if as_json:
        emit_json(records)
        return
    table = Table(
        "When (PKT)",
        "Key",
        "Level",
        "Role",
        "To",
        "Stage",
        "Overdue",
        "Acknowledged",
        title=f"{len(records)} escalations",
    )
    for r in records:
        table.add_row(
            views.local(datetime.fromisoformat(r["time"])),
            r["key"],
            "reminder" if r["level"] == 0 else str(r["level"]),
            r["role"],
            ", ".join(r["recipients"]) or f"(nobody holds {r['missing_role']})",
            r["stage"] or "",
            f"{r['overdue_working_days']} days",
            r["acknowledged_by"] or "",
        )
    out.print(table)


ReasonOption = Annotated[str, typer.Option(help="Why: kept in the commitment's history.")]
AsOption = Annotated[str, typer.Option("--as", help="Your email, as loaded from the meeting file.")]
OnOption = Annotated[
    str | None,
    typer.Option(
        "--on",
        help="When it was given, if not now: a date (the start of that working day) or a time"
        " in ISO 8601; no zone means Pakistan time.",
    ),
]


@app.command()
def acknowledge(
    key: Annotated[str, typer.Argument(help="The commitment's key.")],
    as_: AsOption,
    reason: ReasonOption,
    on: OnOption = None,
) -> None:
    """Acknowledge a commitment's escalations (secretaries and above, in its jurisdiction)."""
    moment = now()
    effective_at = parse_effective(on, now=moment) if on is not None else None
    with opened() as application, transaction(application.sessions) as session:
        count = escalation_store.acknowledge(
            session,
            key=key,
            actor_email=as_,
            reason=reason,
            now=moment,
            effective_at=effective_at,
            max_days_back=application.settings.backdate_max_days,
        )
    out.print(f"{key.upper()}: {count} escalation(s) acknowledged by {as_}")


@app.command()
def snooze(
    key: Annotated[str, typer.Argument(help="The commitment's key.")],
    until: Annotated[str, typer.Option(help="Hold escalations through this day (YYYY-MM-DD).")],
    as_: AsOption,
    reason: ReasonOption,
    on: OnOption = None,
) -> None:
    """Hold a commitment's escalations until a day, within its pipeline's snooze limit."""
    try:
        day_until = date.fromisoformat(until)
    except ValueError:
        raise TaskforceError(f"--until {until!r}: write the day as YYYY-MM-DD") from None
    moment = now()
    effective_at = parse_effective(on, now=moment) if on is not None else None
    with opened() as application, transaction(application.sessions) as session:
        escalation_store.snooze(
            session,
            application.catalogue,
            key=key,
            actor_email=as_,
            until=day_until,
            reason=reason,
            now=moment,
            today=local_day(moment),
            effective_at=effective_at,
            max_days_back=application.settings.backdate_max_days,
        )
    out.print(f"{key.upper()}: escalations held through {views.day(day_until)}")


@app.command()
def exempt(
    key: Annotated[str, typer.Argument(help="The commitment's key.")],
    as_: AsOption,
    reason: ReasonOption,
) -> None:
    """Take a commitment off the escalation ladder (the chair only)."""
    with opened() as application, transaction(application.sessions) as session:
        escalation_store.exempt(session, key=key, actor_email=as_, reason=reason, now=now())
    out.print(f"{key.upper()}: exempt from escalation")


@app.command()
def digest(
    at: Annotated[
        str | None,
        typer.Option(
            "--now", help="Make the digest as of this time (ISO 8601; no zone means Pakistan time)."
        ),
    ] = None,
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            help="PREVIEW: write one digest's HTML to this file; nothing is recorded or queued.",
        ),
    ] = None,
    scope: Annotated[
        str | None,
        typer.Option(
            help="federal (the chair's) or a province (its chief secretary's). Recording: only"
            " these readers; preview: whose digest to show (default federal)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Digests of stalled items for the chair (federal) and each chief secretary (their province).

    Without --to: RECORD each reader's digest and queue it in the outbox for delivery.

    With --to FILE: PREVIEW one digest as HTML in FILE; nothing is recorded or queued.
    """
    from db import digest as digests
    from notifications.digest import digest_context
    from notifications.render import Renderer

    moment = parse_moment(at) if at else now()
    if scope is not None and (problem := digests.scope_problem(scope)):
        raise TaskforceError(problem)
    with opened() as application, transaction(application.sessions) as session:
        if to is None:
            recorded = digests.record_digests(
                session,
                application.catalogue,
                application.calendar,
                now=moment,
                scopes=[scope] if scope else None,
            )
            records = [digests.summary(d) for d in recorded]
        else:
            wanted = scope or "federal"
            reader = next(iter(digests.readers(session, [wanted])), None)
            content = digests.build_digest(
                session,
                application.catalogue,
                application.calendar,
                scope=wanted,
                now=moment,
                recipient_email=reader.email if reader else None,
            )
            rendered = Renderer().render(
                "digest",
                "en",
                digest_context(
                    content,
                    base_url=application.settings.base_url,
                    recipient_name=reader.name if reader else "reader",
                    recipient_email=reader.email if reader else None,
                    language="en",
                ),
            )
    if to is not None:
        try:
            to.write_text(rendered.html, encoding="utf-8")
        except OSError as error:
            raise TaskforceError(f"--to {to}: cannot write the preview: {error.strerror}") from None
        preview = {"preview": str(to), "recorded": False, **digests.content_summary(content)}
        if as_json:
            emit_json(preview)
            return
        out.print(
            f"Preview of the {wanted} digest as of {views.local(moment)} (Pakistan time) written"
            f" to {to}: {content.stalled} stalled, {len(content.exempt)} exempt,"
            f" {len(content.completed)} completed since {views.local(content.completed_since)}."
            " Nothing was recorded or queued."
        )
        return
    if as_json:
        emit_json(records)
        return
    if not records:
        out.print(
            "No digest recorded: nobody is chair or chief secretary"
            + (f" for {scope}" if scope else "")
            + ", or each already has one made at this moment"
        )
        return
    table = Table(
        "Scope",
        "To",
        "Stalled",
        "Exempt",
        "New",
        "Resolved",
        "Worsened",
        "Completed",
        title=f"{len(records)} digests recorded and queued as of {views.local(moment)} (PKT)",
    )
    for r in records:
        first = "first" if r["new"] is None else None
        table.add_row(
            r["scope"],
            r["recipient"],
            str(r["stalled"]),
            str(r["exempt"]),
            first or str(r["new"]),
            first or str(r["resolved"]),
            first or str(r["worsened"]),
            str(r["completed"]),
        )
    out.print(table)
    out.print("Queued in the outbox; `taskforce deliver` sends them.")


HostOption = Annotated[
    str, typer.Option("--host", help="Address to listen on (0.0.0.0: every interface).")
]
PortOption = Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")]


@app.command()
def web(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, max=64, help="Worker processes (PostgreSQL: one per core or so)."
        ),
    ] = 1,
    sample: Annotated[
        bool,
        typer.Option(
            "--sample",
            help="Load the bundled meeting into an empty database and give its example.org"
            " people a password, printed once (for trying it out, never for production).",
        ),
    ] = False,
) -> None:
    """Serve the web pages and the JSON API (/api/v1) until Ctrl-C."""
    import uvicorn

    from db import accounts
    from taskforce import sample as sample_data

    # Opened once here: creates or upgrades a SQLite database before any worker starts.
    with opened() as application:
        if sample:
            announce_sample(sample_data.prepare(application, now=now()))
        with transaction(application.sessions) as session:
            can_sign_in = accounts.people_with_passwords(session)
    if not can_sign_in:
        out.print(
            "Nobody can sign in yet: give people passwords with"
            " taskforce users set-password EMAIL, or try the bundled sample with --sample."
        )
    out.print(f"Serving taskforce on http://{host}:{port} (Ctrl-C stops)")
    uvicorn.run(
        "taskforce.web.asgi:create",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=True,
    )


def announce_sample(password: str | None) -> None:
    if password is None:
        out.print("Sample people already have passwords (set one: taskforce users set-password).")
        return
    out.print(
        "Sample accounts: every person of the bundled meeting, e.g."
        " chair@example.org (the chair), law.officer.punjab@example.org (an officer)."
    )
    out.print(f"Their password for this database: {password}", markup=False)


@app.command()
def serve(
    with_web: Annotated[
        bool, typer.Option("--web", help="Serve the web pages and API beside the flows.")
    ] = False,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
) -> None:
    """Serve the flows on their schedules (with --web, the web pages too) until Ctrl-C.

    Pakistan time: the sweep hourly on weekdays, mail delivery every five minutes,
    the digest on Monday mornings.
    """
    # Until Prefect's runner installs its own handlers, let SIGTERM stop us as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    from taskforce.serving import serve_flows

    settings = load_settings()
    serve_flows(
        settings, out, alongside=(lambda: start_web_in_background(host, port)) if with_web else None
    )


@app.command()
def automations(
    notify: Annotated[
        str | None,
        typer.Option(
            help="A notification block on the Prefect server, as TYPE/NAME"
            " (e.g. slack-webhook/operators); without it a firing is only recorded."
        ),
    ] = None,
    pool: Annotated[str, typer.Option(help="The work pool whose workers are watched.")] = (
        "taskforce"
    ),
) -> None:
    """Create (or replace) the Prefect automations that say when the flows stop working.

    A run failed or crashed; no completed sweep for 2 hours when one was due; no
    completed digest by Monday 10:00 PKT; the work pool without a ready worker.
    """
    api_url = os.environ.get("PREFECT_API_URL", "").strip()
    if not api_url:
        from states.errors import ConfigurationError

        raise ConfigurationError(
            "automations live on a Prefect server: set PREFECT_API_URL to its API"
            " (taskforce serve prints its own server's address)"
        )
    prefect_quietly()
    from taskforce.automations import install

    for name in install(api_url, pool=pool, block=notify):
        out.print(f"Automation ready: {name}")


def start_web_in_background(host: str, port: int) -> None:
    """The web server in a daemon thread, so the flows' runner keeps the main thread."""
    import threading

    import uvicorn

    from taskforce.web.app import create_app

    settings = load_settings()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning")
    )
    threading.Thread(target=server.run, name="taskforce-web", daemon=True).start()
    out.print(f"Serving the web on http://{host}:{port}")


app.command()(note)
app.add_typer(users, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(report_app, name="report")
report_app.command("sheet")(sheet)
report_app.command("refs")(refs_report)
report_app.command("decisions-template")(decisions_template)
app.add_typer(import_app, name="import")
import_app.command("decisions")(import_decisions)
register_people_commands(app)
register_refs_commands(app)
register_export_commands(app)
register_pipelines_commands(app)
register_pausing_commands(app)
register_assembly_commands(app)
register_calendar_commands(app)

mail = typer.Typer(
    help="Mail: see what a message says before anyone receives it.",
    no_args_is_help=True,
)
app.add_typer(mail, name="mail")


@mail.command("preview")
def mail_preview(
    kind: Annotated[str, typer.Argument(help="reminder, escalation, acknowledged or snoozed.")],
    key: Annotated[str, typer.Option("--key", help="The commitment's key, e.g. CSW-PUNJAB.")],
    lang: Annotated[str, typer.Option("--lang", help="en (English) or ur (Urdu).")] = "en",
    level: Annotated[
        int | None,
        typer.Option(
            "--level", help="The ladder rung to write (default: the one its stall reached)."
        ),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the HTML part to this file.")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--now", help="Write it as of this time (ISO 8601; no zone means Pakistan time)."
        ),
    ] = None,
) -> None:
    """Print the subject and text of a message about a commitment, as it would be sent now."""
    from notifications.compose import preview
    from notifications.render import Renderer

    moment = parse_moment(at) if at else now()
    with opened() as application, transaction(application.sessions) as session:
        rendered = preview(
            session,
            kind,
            key,
            lang,
            Renderer(),
            application.catalogue,
            base_url=application.settings.base_url,
            now=moment,
            calendar=application.calendar,
            level=level,
        )
    if html is not None:
        try:
            html.write_text(rendered.html, encoding="utf-8")
        except OSError as error:
            raise TaskforceError(f"--html {html}: cannot write it: {error.strerror}") from None
    typer.echo(f"Subject: {rendered.subject}")
    typer.echo("")
    typer.echo(rendered.text, nl=False)
    if html is not None:
        err.print(f"HTML written to {html}", markup=False, highlight=False)


def _stall_record(
    application: App, commitment: Commitment, moment: datetime
) -> dict[str, Any] | None:
    stall = stalls.assess(
        _pipeline(application, commitment),
        workflow.state_of(commitment),
        deadline=commitment.deadline,
        now=moment,
        calendar=application.calendar,
    )
    if stall is None:
        return None
    return {
        "reason": str(stall.due.reason),
        "due_at": stall.due.at.isoformat(),
        "overdue_working_days": stall.overdue_days,
        "level": stall.level.level if stall.level else None,
        "notify": str(stall.level.notify) if stall.level else None,
    }


def _print_stalled(records: list[dict[str, Any]]) -> None:
    table = Table(
        "Key",
        "Jurisdiction",
        "Stage",
        "Why",
        "Due by end of",
        "Overdue (working)",
        "Level",
        title=f"{len(records)} stalled commitments",
    )
    for record in records:
        stall = record["stall"] or {}
        level = stall.get("level")
        why = "stage limit" if stall.get("reason") == "stage_limit" else "deadline"
        table.add_row(
            record["key"],
            record["jurisdiction"],
            record["stage_title"],
            why,
            views.day_ending(datetime.fromisoformat(stall["due_at"])) if stall else "",
            f"{stall.get('overdue_working_days', 0)} days",
            f"{level} ({stall.get('notify')})" if level else "-",
        )
    out.print(table)


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date or time given on the command line; without a zone, Pakistan time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TaskforceError(
            f"--now {text!r}: write a date or time in ISO 8601, e.g. 2026-07-27 or 2026-07-27T10:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=views.LOCAL_ZONE)
    try:
        return moments.accepted(moment)
    except moments.MomentOutOfRangeError as error:
        raise moments.MomentOutOfRangeError(f"--now {text!r}: {error.message}") from None


def parse_effective(text: str, *, now: datetime) -> datetime:
    """When a move happened, as given to --on: a date means the start of that working day."""
    try:
        day = date.fromisoformat(text) if len(text.strip()) == 10 else None
        moment = (
            effective.start_of_day(day, now=now) if day else datetime.fromisoformat(text.strip())
        )
    except ValueError:
        raise TaskforceError(
            f"--on {text!r}: write a date or time in ISO 8601, e.g. 2026-07-07 or 2026-07-07T11:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=views.LOCAL_ZONE)
    try:
        return moments.accepted(moment)
    except moments.MomentOutOfRangeError as error:
        raise moments.MomentOutOfRangeError(f"--on {text!r}: {error.message}") from None


def _pipeline(application: App, commitment: Commitment) -> Pipeline:
    return application.catalogue.get(commitment.pipeline_key, commitment.pipeline_version)


@app.command()
def deliver(
    at: Annotated[
        str | None,
        typer.Option(
            "--now", help="Deliver as of this time (ISO 8601; no zone means Pakistan time)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Send the outbox's due messages now, directly (the deliver flow does it on a schedule).

    Runs until nothing is due. Exits 75 when the mail server could not be reached
    (or kept breaking the connection); the messages stay in the outbox.
    """
    from notifications import delivery
    from states.errors import MailUnavailableError

    moment = parse_moment(at) if at else None
    with opened() as application:
        mail = delivery.mail_config(application.settings)
        report = delivery.deliver(
            application.sessions,
            mail.transports(),
            delivery.composer(application.catalogue, base_url=mail.base_url),
            from_addr=mail.from_addr,
            now=moment,
            max_attempts=mail.max_attempts,
        ).as_dict()
    problem = delivery.needs_attention(report)
    if as_json:
        emit_json(report)
    else:
        _print_delivery(report)
    # Dead letters are in the table; an unreachable server is an outage to retry.
    if isinstance(problem, MailUnavailableError):
        raise problem


def _print_delivery(report: dict[str, Any]) -> None:
    deferred = f", {len(report['deferred'])} deferred" if report["deferred"] else ""
    out.print(
        f"Delivered {len(report['sent'])} message(s); {len(report['retried'])} to try again,"
        f" {len(report['dead'])} dead-lettered{deferred}; {report['remaining']} pending in"
        " the outbox"
    )
    failures = [("retry", f) for f in report["retried"]] + [("dead", f) for f in report["dead"]]
    if failures:
        table = Table("Id", "To", "Outcome", "Next try (PKT)", "Error", title="Not delivered")
        for outcome, f in failures:
            when = f["next_attempt_at"]
            table.add_row(
                str(f["id"]),
                f["recipient"],
                outcome,
                views.local(datetime.fromisoformat(when)) if when else "",
                f["error"],
            )
        out.print(table)


outbox_app = typer.Typer(
    help="The outbox: messages waiting to be sent, sent, or dead-lettered.",
    no_args_is_help=True,
)
app.add_typer(outbox_app, name="outbox")


def _outbox_record(message: Any) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind,
        "recipient": message.recipient_email,
        "recipient_name": message.recipient_name,
        "language": message.language,
        "subject": message.subject,
        "status": message.status,
        "attempts": message.attempts,
        "created_at": views.iso(message.created_at),
        "next_attempt_at": views.iso(message.next_attempt_at),
        "sent_at": views.iso(message.sent_at),
        "message_id": message.message_id,
        "last_error": message.last_error,
        "escalation_id": message.escalation_id,
        "digest_id": message.digest_id,
    }


@outbox_app.command("list")
def outbox_list(
    status: Annotated[
        str | None, typer.Option(help="Only messages in this status: pending, sent or dead.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """List outbox messages, newest first, with their tries and last error."""
    from db import outbox as outbox_store

    with opened() as application, transaction(application.sessions) as session:
        records = [
            _outbox_record(m)
            for m in outbox_store.list_messages(session, status=status, limit=limit)
        ]
        totals = outbox_store.counts(session)
    if as_json:
        emit_json(records)
        return
    summary = ", ".join(f"{count} {name}" for name, count in totals.items())
    table = Table(
        "Id", "Status", "Tries", "To", "Subject", "When (PKT)", "Last error", title=summary
    )
    for r in records:
        moment = r["sent_at"] or r["next_attempt_at"] or r["created_at"]
        table.add_row(
            str(r["id"]),
            r["status"],
            str(r["attempts"]),
            r["recipient"],
            r["subject"],
            views.local(datetime.fromisoformat(moment)) if moment else "",
            _error_column(r),
        )
    out.print(table)


def _error_column(record: dict[str, Any]) -> str:
    """The last error; for a sent message, marked as what happened before it was sent."""
    error = record["last_error"] or ""
    return f"(before it was sent) {error}" if error and record["status"] == "sent" else error


@outbox_app.command("show")
def outbox_show(
    message_id: Annotated[int, typer.Argument(help="The message's id (outbox list shows them).")],
    as_json: JsonOption = False,
) -> None:
    """Show a message as it would be sent: its headers and its plain text."""
    from db import outbox as outbox_store
    from notifications import delivery
    from notifications.message import build_message, message_id_for

    with opened() as application, transaction(application.sessions) as session:
        mail = delivery.mail_config(application.settings)
        message = outbox_store.get(session, message_id)
        record = _outbox_record(message)
        record["headers"], record["text"], record["problem"] = [], None, None
        render = delivery.composer(application.catalogue, base_url=mail.base_url)
        try:
            built = build_message(
                render(session, message),
                to_name=message.recipient_name,
                to_email=message.recipient_email,
                from_addr=mail.from_addr,
                message_id=message.message_id or message_id_for(message, mail.from_addr),
                language=message.language,
                outbox_id=message.id,
                date=message.sent_at or now(),
            )
        except TaskforceError as error:
            record["problem"] = error.message
        else:
            record["headers"] = [[name, str(value)] for name, value in built.items()]
            body = built.get_body(("plain",))
            record["text"] = body.get_content() if body is not None else ""
    if as_json:
        emit_json(record)
        return
    out.print(
        f"[bold]Outbox message {record['id']}[/bold]: {record['status']},"
        f" {record['attempts']} tries, {record['kind']}",
        highlight=False,
    )
    if record["last_error"]:
        label = "last error before it was sent" if record["status"] == "sent" else "last error"
        out.print(f"  {label}: {record['last_error']}", markup=False, highlight=False)
    if record["problem"]:
        out.print(f"  cannot be sent: {record['problem']}", markup=False, highlight=False)
        return
    for name, value in record["headers"]:
        if name.lower() not in ("content-type", "mime-version", "content-transfer-encoding"):
            out.print(f"{name}: {value}", markup=False, highlight=False)
    out.print()
    out.print(record["text"], markup=False, highlight=False)


@outbox_app.command("retry")
def outbox_retry(
    ids: Annotated[
        list[int] | None, typer.Argument(help="The messages to send again (dead or pending).")
    ] = None,
    all_dead: Annotated[
        bool, typer.Option("--all-dead", help="Re-queue every dead-lettered message.")
    ] = False,
) -> None:
    """Queue dead-lettered messages to be tried again at the next delivery, tries counted anew."""
    from db import outbox as outbox_store

    if bool(ids) == all_dead:
        raise TaskforceError("say which messages to retry: their ids, or --all-dead (not both)")
    with opened() as application, transaction(application.sessions) as session:
        queued = outbox_store.retry(
            session, outbox_store.ALL_DEAD if all_dead else list(ids or []), now=now()
        )
    if queued:
        listed = ", ".join(map(str, queued))
        out.print(f"Queued {len(queued)} message(s) for the next delivery: {listed}")
    else:
        out.print("No dead-lettered messages to retry.")


def main() -> None:
    """Run the CLI; errors become one clear line and an exit code, never a traceback."""
    try:
        app()
    except TaskforceError as error:
        err.print(f"error: {error.message}", markup=False, highlight=False)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as error:
        if os.environ.get("TASKFORCE_DEBUG"):
            raise
        err.print(
            f"internal error: {type(error).__name__}: {error}\n"
            "This is a bug in taskforce; run again with TASKFORCE_DEBUG=1 to see where.",
            markup=False,
            highlight=False,
        )
        sys.exit(70)
