"""Finding, parsing and indexing pipeline definitions by key and version."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from states.definition import Pipeline
from states.documents import Document, format_loc, read_yaml, validate_and_check
from states.errors import DefinitionError, Finding, NotFoundError, VersionConflictError
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
        unknown = follow_up_findings(catalogue.sources(), catalogue.keys())
        if unknown:
            raise DefinitionError("pipelines", unknown)
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

    def sources(self) -> list[Source]:
        """Every version with where it came from, ordered by key then version."""
        return [self._versions[ident] for ident in sorted(self._versions)]

    def keys(self) -> set[str]:
        """The key of every pipeline known."""
        return {key for key, _ in self._versions}

    def all(self) -> list[Pipeline]:
        """Every version, ordered by key then version."""
        return [self._versions[ident].pipeline for ident in sorted(self._versions)]

    def latest_all(self) -> list[Pipeline]:
        return [self.latest(key) for key in sorted({k for k, _ in self._versions})]

    def _known(self) -> str:
        return ", ".join(sorted({key for key, _ in self._versions})) or "(none)"


def follow_up_findings(sources: Iterable[Source], known: Iterable[str]) -> list[Finding]:
    """A stage's `follow_up` names a pipeline of the catalogue: checked where the catalogue
    is known (a file alone cannot tell), each finding located in the file that names it."""
    keys = set(known)
    findings = []
    for source in sources:
        for index, stage in enumerate(source.pipeline.stages):
            if stage.follow_up is None or stage.follow_up in keys:
                continue
            findings.append(
                Finding(
                    format_loc(("stages", index, "follow_up")),
                    f"stage {stage.key!r} follows up with pipeline {stage.follow_up!r}, which"
                    f" is not among the pipelines: {', '.join(sorted(keys)) or '(none)'};"
                    " add its file beside this one or name a known pipeline",
                    source=source.origin,
                )
            )
    return findings
