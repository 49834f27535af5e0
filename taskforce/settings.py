"""Settings, read once from TASKFORCE_* environment variables and an optional TOML file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from states.effective import DEFAULT_MAX_DAYS_BACK
from states.errors import ConfigurationError
from states.evidence import DEFAULT_MAX_BYTES, EvidencePolicy, FileKind

CONFIG_ENV = "TASKFORCE_CONFIG"
DEFAULT_CONFIG_FILE = Path("taskforce.toml")


class Settings(BaseSettings):
    """Everything an operator can set. The defaults need nothing set at all."""

    model_config = SettingsConfigDict(env_prefix="TASKFORCE_", extra="forbid")

    database_url: str = Field(
        default="sqlite:///taskforce.sqlite3",
        description="sqlite:///FILE (the default, in the working folder) or postgresql+psycopg://...",
    )
    pipelines_dir: Path | None = Field(
        default=None, description="a folder of extra pipeline files, beside the bundled ones"
    )
    calendar_file: Path | None = Field(
        default=None,
        description="a YAML file of extra closed days (beyond weekends and public holidays)",
    )
    base_url: str = Field(
        default="http://localhost:8000",
        description="where the web UI is reached; mail links to items under it",
    )
    mail_from: str = Field(
        default="Task Force Secretariat <taskforce@example.org>",
        description="the From of every message",
    )
    mail_transport: Literal["smtp", "eml"] = Field(
        default="smtp", description="smtp delivers; eml writes .eml files to mail_dir (dev/demo)"
    )
    mail_dir: Path = Field(default=Path("mail-out"), description="where the eml transport writes")
    smtp_host: str = Field(default="localhost")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    mail_max_attempts: int = Field(
        default=8, ge=1, description="tries before a message that keeps failing is dead-lettered"
    )
    backdate_max_days: int = Field(
        default=DEFAULT_MAX_DAYS_BACK,
        ge=0,
        description="how many days back an officer may date a move (a secretary or above: any)",
    )
    data_dir: Path = Field(
        default=Path("taskforce-data"),
        description="where taskforce serve keeps its local Prefect server (DATA_DIR/prefect)"
        " and the web keeps uploaded sheets until they are applied (DATA_DIR/sheet-uploads)",
    )
    prefect_port: int = Field(
        default=4200, ge=1, le=65535, description="the port of serve's local Prefect server"
    )
    prefect_startup_seconds: float = Field(
        default=180.0, gt=0, description="how long serve waits for its local Prefect server"
    )
    evidence_max_bytes: int = Field(
        default=DEFAULT_MAX_BYTES, ge=1, description="the largest file kept as evidence, in bytes"
    )
    evidence_kinds: list[FileKind] = Field(
        default_factory=lambda: list(FileKind),
        description="the kinds of file kept as evidence (pdf, png, jpeg, docx, xlsx),"
        " decided from the content",
    )
    serve_interval_seconds: float | None = Field(
        default=None,
        gt=0,
        description="trials only: serve runs the sweep and delivery at this interval",
    )
    web_requests_at_once: int = Field(
        default=2,
        ge=1,
        le=64,
        description="pages (GET requests) each web worker process builds at once; more"
        " wait their turn, so a busy server answers each in its own time, not all slowly",
    )

    def evidence_policy(self) -> EvidencePolicy:
        """What files are accepted as evidence."""
        return EvidencePolicy(
            max_bytes=self.evidence_max_bytes, kinds=frozenset(self.evidence_kinds)
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit arguments win, then the environment, then the config file.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, config_file()))


def config_file() -> Path | None:
    """The TOML file named by TASKFORCE_CONFIG, else ./taskforce.toml if present."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigurationError(f"{CONFIG_ENV}={named}: no such file")
        return path
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def load_settings() -> Settings:
    """Read the settings, turning a bad value into one clear line."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise ConfigurationError(f"settings are not valid: {problems}") from None
    except ValueError as error:  # e.g. a malformed TOML file
        raise ConfigurationError(f"settings file could not be read: {error}") from None
