"""Commands for web access: passwords (`taskforce users`) and API tokens (`taskforce tokens`)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from db import people, tokens
from db.engine import transaction
from states.errors import TaskforceError
from taskforce.console import JsonOption, emit_json, now, opened, out
from taskforce.views import iso, local

users = typer.Typer(help="People's web sign-in: set passwords.", no_args_is_help=True)
tokens_app = typer.Typer(
    help="API tokens for the JSON API: create, list, revoke.", no_args_is_help=True
)


def read_new_password(email: str) -> str:
    """From the terminal (asked twice, not shown), or the first line of standard input."""
    if sys.stdin.isatty():
        password: str = typer.prompt(
            f"New password for {email}", hide_input=True, confirmation_prompt=True
        )
        return password
    line = sys.stdin.readline()
    if not line.strip():
        raise TaskforceError(
            f"no password given for {email}: type it when asked, or send it on standard input"
            " (echo 'a long passphrase' | taskforce users set-password EMAIL)"
        )
    return line.rstrip("\r\n")


@users.command("set-password")
def set_password(
    email: Annotated[str, typer.Argument(help="The person's email, as in the meeting file.")],
) -> None:
    """Set a person's web password, read from standard input; their other sessions end."""
    # Here, not at the top: argon2 and its set-up cost every other command a fifth of a second.
    from db import accounts

    with opened() as application:
        with transaction(application.sessions) as session:
            person = people.by_email(session, email)
        password = read_new_password(person.email)
        with transaction(application.sessions) as session:
            person = people.by_email(session, email)
            accounts.set_password(session, person, password, now=now())
    out.print(f"Password set for {person.email}; they can sign in on the web now.")


@tokens_app.command("create")
def create_token(
    email: Annotated[str, typer.Argument(help="Whose token: the API acts as this person.")],
    name: Annotated[
        str, typer.Option("--name", help="What the token is for, to recognise it later.")
    ] = "api",
) -> None:
    """Create an API token and print it once: it cannot be shown again."""
    with opened() as application, transaction(application.sessions) as session:
        token = tokens.create_token(session, email=email, name=name, now=now())
    typer.echo(token)


@tokens_app.command("list")
def list_tokens(
    email: Annotated[str, typer.Argument(help="Whose tokens.")],
    as_json: JsonOption = False,
) -> None:
    """List a person's API tokens (never the tokens themselves)."""
    with opened() as application, transaction(application.sessions) as session:
        rows = tokens.tokens_of(session, email)
    if as_json:
        emit_json(
            [
                {
                    "id": row.id,
                    "name": row.name,
                    "created_at": iso(row.created_at),
                    "last_used_at": iso(row.last_used_at),
                    "revoked_at": iso(row.revoked_at),
                }
                for row in rows
            ]
        )
        return
    table = Table(title=f"API tokens of {email}", title_justify="left")
    for heading in ("Id", "Name", "Created", "Last used", "Revoked"):
        table.add_column(heading)
    for row in rows:
        table.add_row(
            str(row.id),
            row.name,
            local(row.created_at),
            local(row.last_used_at),
            local(row.revoked_at),
        )
    out.print(table)


@tokens_app.command("revoke")
def revoke_token(
    token_id: Annotated[
        int | None, typer.Argument(help="The token's id (taskforce tokens list EMAIL).")
    ] = None,
    every_token_of: Annotated[
        str | None, typer.Option("--all", help="Revoke every token of this email instead.")
    ] = None,
) -> None:
    """Revoke an API token at once: requests with it are refused from now on."""
    if (token_id is None) == (every_token_of is None):
        raise TaskforceError("say which token to revoke: its id, or --all EMAIL (not both)")
    with opened() as application, transaction(application.sessions) as session:
        if every_token_of is not None:
            count = tokens.revoke_all(session, people.by_email(session, every_token_of), now=now())
            out.print(f"Revoked {count} token(s) of {every_token_of}.")
            return
        assert token_id is not None
        row = tokens.revoke(session, token_id, now=now())
        out.print(f"Token {row.id} ({row.name}) is revoked.")
