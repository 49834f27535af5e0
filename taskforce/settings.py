"""Settings, read once from TASKFORCE_* environment variables and an optional TOML file."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from states.errors import ConfigurationError

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
