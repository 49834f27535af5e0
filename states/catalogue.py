"""Finding, parsing and indexing pipeline definitions by key and version."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from states.definition import Pipeline
from states.documents import Document, read_yaml, validate_and_check
from states.errors import DefinitionError, NotFoundError, VersionConflictError
from states.validation import check_pipeline

BUNDLED_PIPELINES = Path(__file__).parent / "pipelines"


def parse_pipeline(document: Document) -> Pipeline:
    """The pipeline a parsed file declares, or a DefinitionError listing every problem."""
    return validate_and_check(Pipeline, document, check_pipeline)


def load_pipeline_file(path: Path) -> Pipeline:
    """Read, validate and check one pipeline file."""
    return parse_pipeline(read_yaml(path))


def pipeline_files(directories: Iterable[Path]) -> list[Path]:
    """The pipeline files in `directories`, in a stable order."""
    files: list[Path] = []
    for directory in directories:
        files += sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    return files


@dataclass(frozen=True)
class Source:
    """Where a pipeline definition came from."""

    pipeline: Pipeline
    origin: str


class Catalogue:
    """Every known pipeline version, looked up by key and version."""

    def __init__(self, sources: Iterable[Source] = ()) -> None:
        self._versions: dict[tuple[str, int], Source] = {}
        for source in sources:
            self.add(source)

    def add(self, source: Source) -> None:
        """Add a definition; a different one under the same key and version is refused."""
        pipeline = source.pipeline
        ident = (pipeline.key, pipeline.version)
        known = self._versions.get(ident)
        if known is not None:
            if known.pipeline.checksum() != pipeline.checksum():
                raise VersionConflictError(
                    f"pipeline {pipeline.key!r} version {pipeline.version} in {source.origin}"
                    f" differs from the one in {known.origin}; give the changed definition a"
                    f" new version number (e.g. version: {pipeline.version + 1})"
                )
            return
        self._versions[ident] = source

    @classmethod
    def from_directories(cls, directories: Sequence[Path]) -> Catalogue:
        """Load every pipeline file in `directories`; all files' problems are reported together."""
        catalogue = cls()
        errors: list[DefinitionError] = []
        for path in pipeline_files(directories):
            try:
                catalogue.add(Source(load_pipeline_file(path), str(path)))
            except DefinitionError as error:
                errors.append(error)
        if errors:
            raise DefinitionError(
                "pipelines",
                [replace(f, source=f.source or e.source) for e in errors for f in e.findings],
            )
        return catalogue

    def get(self, key: str, version: int | None = None) -> Pipeline:
        """The pipeline `key` at `version` (the latest when None)."""
        if version is None:
            return self.latest(key)
        source = self._versions.get((key, version))
        if source is None:
            versions = sorted(v for (k, v) in self._versions if k == key)
            if versions:
                raise NotFoundError(
                    f"pipeline {key!r} has no version {version}; its versions are"
                    f" {', '.join(map(str, versions))}"
                )
            raise NotFoundError(f"no pipeline {key!r}; known pipelines: {self._known()}")
        return source.pipeline

    def latest(self, key: str) -> Pipeline:
        versions = [v for (k, v) in self._versions if k == key]
        if not versions:
            raise NotFoundError(f"no pipeline {key!r}; known pipelines: {self._known()}")
        return self._versions[(key, max(versions))].pipeline

    def origin(self, key: str, version: int) -> str:
        return self._versions[(key, version)].origin

    def all(self) -> list[Pipeline]:
        """Every version, ordered by key then version."""
        return [self._versions[ident].pipeline for ident in sorted(self._versions)]

    def latest_all(self) -> list[Pipeline]:
        return [self.latest(key) for key in sorted({k for k, _ in self._versions})]

    def _known(self) -> str:
        return ", ".join(sorted({key for key, _ in self._versions})) or "(none)"
