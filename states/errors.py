"""The error hierarchy every layer raises from.

Each message is written for the person who will read it: what they tried, why it
cannot be, and what to do instead. Messages a person can meet on a page are
`states.message.Message` values (English text that keeps its template), so the web
can say them in the page's language; `str(error)` is always the English.
`exit_code` lets the CLI map kinds of failure to distinct process exit codes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class TaskforceError(Exception):
    """Something went wrong in taskforce."""

    exit_code = 1

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        """The message in English, as the CLI, the API and the logs show it."""
        return str(self.args[0])

    @property
    def text(self) -> str:
        """The message as raised: a `states.message.Message` a page can translate, or plain."""
        first = self.args[0]
        return first if isinstance(first, str) else str(first)


@dataclass(frozen=True)
class Finding:
    """One problem in a pipeline or data file, located as precisely as possible."""

    path: str
    message: str
    line: int | None = None
    source: str | None = None

    def render(self, default_source: str) -> str:
        source = self.source or default_source
        where = f"{source}:{self.line}" if self.line else source
        prefix = f"{self.path}: " if self.path else ""
        return f"{where}: {prefix}{self.message}"


class DefinitionError(TaskforceError):
    """A pipeline or data file is not valid."""

    exit_code = 65

    def __init__(self, source: str, findings: Sequence[Finding]) -> None:
        self.source = source
        self.findings = tuple(findings)
        lines = [finding.render(source) for finding in self.findings]
        super().__init__("\n".join(lines) if lines else f"{source}: not valid")


class VersionConflictError(TaskforceError):
    """A pipeline definition changed but kept its version number."""

    exit_code = 65


class TransitionError(TaskforceError):
    """A transition request cannot be applied to a commitment."""

    exit_code = 2

    def __init__(self, message: str, *, key: str, stage: str, action: str) -> None:
        self.key = key
        self.stage = stage
        self.action = action
        super().__init__(message)


class IllegalTransitionError(TransitionError):
    """The action does not lead anywhere from the commitment's current stage."""


class CommitmentClosedError(TransitionError):
    """The commitment reached a terminal stage; nothing moves it any more."""


class RoleNotAllowedError(TransitionError):
    """The actor's role, or jurisdiction, may not take this action."""

    exit_code = 3


class OpenChildrenError(TransitionError):
    """The commitment would complete while some of its children are still open."""

    def __init__(
        self, message: str, *, key: str, stage: str, action: str, open_children: Sequence[str]
    ) -> None:
        self.open_children = tuple(open_children)
        super().__init__(message, key=key, stage=stage, action=action)


class FieldError(TransitionError):
    """A field the action needs is missing, unknown or malformed."""

    def __init__(
        self,
        message: str,
        *,
        key: str,
        stage: str,
        action: str,
        fields: Sequence[str],
        problems: Mapping[str, str] | None = None,
    ) -> None:
        self.fields = tuple(fields)
        # Each field's own problem, for a form to show beside the field.
        self.problems = dict(problems or {})
        super().__init__(message, key=key, stage=stage, action=action)


class CommentRequiredError(TransitionError):
    """The action must be explained with a comment."""


class NotFoundError(TaskforceError):
    """The thing asked for does not exist."""

    exit_code = 4


class AccessDeniedError(TaskforceError):
    """The person may not see or do this."""

    exit_code = 3


class ConflictError(TaskforceError):
    """Someone else changed the commitment first."""

    exit_code = 5


class ConfigurationError(TaskforceError):
    """A setting is missing or not usable."""

    exit_code = 78


class DatabaseUnavailableError(TaskforceError):
    """The database could not be reached or the connection was lost; nothing was changed
    beyond what had already committed. Try again once the database is back."""

    # EX_TEMPFAIL: a temporary failure that a retry may cure.
    exit_code = 75


class StorageError(TaskforceError):
    """The database refused a write for a reason other than someone else's change."""

    exit_code = 1


class MailUnavailableError(TaskforceError):
    """The mail server could not be reached, or kept breaking the connection; the messages
    stay in the outbox. Try again once the server is back."""

    # EX_TEMPFAIL, as for the database: a retry may cure it.
    exit_code = 75


class DeadLetteredError(TaskforceError):
    """Messages were dead-lettered: they are kept in the outbox with their last error."""

    exit_code = 1
