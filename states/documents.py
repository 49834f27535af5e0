"""Reading YAML definition files safely, and turning every problem into a located finding.

The reader refuses tags, aliases (so no alias bombs) and duplicate keys, and
remembers the line of every value so pydantic's errors can point at the file.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from states.errors import DefinitionError, Finding
from states.text import preview

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]
ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_FILE_BYTES = 1_000_000
# Definitions nest a few levels; a deeper file is a mistake or an attack on the recursion limit.
MAX_DEPTH = 50


class _YamlRefusal(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that also refuses aliases, explicit tags and duplicate keys."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1 if event.start_mark else None
        if self.depth >= MAX_DEPTH:
            raise _YamlRefusal(
                f"values are nested more than {MAX_DEPTH} levels deep; a definition needs a few",
                line,
            )
        if isinstance(event, yaml.AliasEvent):
            raise _YamlRefusal("aliases (*name) are not allowed; write the value out", line)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise _YamlRefusal(f"tags such as {tag!r} are not allowed; write plain values", line)
        if getattr(event, "anchor", None) is not None:
            raise _YamlRefusal("anchors (&name) are not allowed; write the value out", line)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        # Python refuses to convert numbers of more than 4300 digits, with a bare ValueError.
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise _YamlRefusal(
                f"the number {preview(str(node.value), 20)} is too long",
                node.start_mark.line + 1,
            ) from None

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        # PyYAML raises a bare ValueError, with no line, for a date like 2026-02-30.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as error:
            raise _YamlRefusal(
                f"{node.value} is not a day in the calendar ({error})", node.start_mark.line + 1
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool | date) or key_node.tag.endswith(
                (":seq", ":map")
            ):
                raise _YamlRefusal(
                    "a key must be a plain word or number, not a list or mapping",
                    key_node.start_mark.line + 1,
                )
            if key in seen:
                raise _YamlRefusal(
                    f"duplicate key {key!r}; each key may appear once in a mapping",
                    key_node.start_mark.line + 1,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _line_index(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            lines[(*loc, key)] = key_node.start_mark.line + 1
            _line_index(value_node, (*loc, key), lines)
            lines[(*loc, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_index(item, (*loc, index), lines)


class Document:
    """A parsed YAML file with the line of each value, for error messages."""

    def __init__(self, source: str, data: Any, lines: dict[Loc, int]) -> None:
        self.source = source
        self.data = data
        self.lines = lines

    def line_of(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its nearest enclosing value; the whole file starts on 1."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return 1

    def finding(self, loc: Loc, message: str) -> Finding:
        return Finding(path=format_loc(loc), message=message, line=self.line_of(loc))

    def refuse(self, problems: Iterable[Problem]) -> DefinitionError:
        return DefinitionError(self.source, [self.finding(loc, msg) for loc, msg in problems])


def format_loc(loc: Loc) -> str:
    """`('stages', 2, 'owner')` as `stages[2].owner`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def parse_yaml(text: str, source: str) -> Document:
    """Parse `text` strictly; a syntax problem becomes a DefinitionError naming the line."""
    try:
        # The reader checks every character as it is built: construct it inside the try.
        loader = _StrictLoader(text)
    except yaml.reader.ReaderError as error:
        raise _unreadable(error, text, source) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _YamlRefusal as refusal:
        raise DefinitionError(source, [Finding("", refusal.message, refusal.line)]) from None
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else None
        problem = error.problem or str(error)
        raise DefinitionError(source, [Finding("", f"not valid YAML: {problem}", line)]) from None
    except yaml.reader.ReaderError as error:
        raise _unreadable(error, text, source) from None
    except yaml.YAMLError as error:
        raise DefinitionError(source, [Finding("", f"not valid YAML: {error}", 1)]) from None
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}
    if node is not None:
        _line_index(node, (), lines)
    return Document(source, data, lines)


def _unreadable(error: yaml.reader.ReaderError, text: str, source: str) -> DefinitionError:
    """A character the YAML reader will not take (NUL, a control character), located."""
    line = text.count("\n", 0, error.position) + 1
    character = f"U+{error.character:04X}" if isinstance(error.character, int) else "?"
    message = (
        f"contains the control character {character}, which YAML does not allow;"
        " remove it or write the text without it"
    )
    return DefinitionError(source, [Finding("", message, line)])


def read_yaml(path: Path) -> Document:
    """Read and parse a YAML file, refusing files too large to be definitions."""
    source = str(path)
    try:
        # Read at most one byte past the limit: a pipe or a device has no size to check first.
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise DefinitionError(source, [Finding("", "no such file")]) from None
    except IsADirectoryError:
        raise DefinitionError(source, [Finding("", "is a folder; name a .yaml file")]) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise DefinitionError(source, [Finding("", f"cannot be read: {reason}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise DefinitionError(
            source,
            [Finding("", f"is larger than {MAX_FILE_BYTES:,} bytes; the limit is 1 MB", 1)],
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DefinitionError(
            source,
            [Finding("", f"not UTF-8 text (byte {error.start}); save it as UTF-8", line)],
        ) from None
    return parse_yaml(text, source)


def _field_type(model: Any, loc: Loc) -> Any:
    """The type found by following `loc` into `model`'s fields, where it can be followed."""
    current: Any = model
    for part in loc:
        while True:
            origin = typing.get_origin(current)
            if origin is typing.Annotated:
                current = typing.get_args(current)[0]
            elif origin in (typing.Union, types.UnionType):
                models = [a for a in typing.get_args(current) if _is_model(a)]
                if not models:
                    return None
                current = models[0]
            else:
                break
        if _is_model(current) and isinstance(part, str):
            field = _field_by_name(current, part)
            if field is None:
                return None
            current = field
        elif isinstance(part, int) and typing.get_origin(current) in (tuple, list):
            current = typing.get_args(current)[0]
        elif isinstance(part, str) and typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return None
    return current


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _field_by_name(model: type[BaseModel], name: str) -> Any:
    for field_name, info in model.model_fields.items():
        if name in (field_name, info.alias):
            return info.annotation
    return None


def _allowed_keys(model: type[BaseModel]) -> str:
    return ", ".join(info.alias or name for name, info in model.model_fields.items())


def _describe(error: Any, model: type[BaseModel]) -> str:
    kind = error["type"]
    loc: Loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        parent = _field_type(model, loc[:-1])
        allowed = f"; allowed here: {_allowed_keys(parent)}" if _is_model(parent) else ""
        return f"unknown key {loc[-1]!r}{allowed}"
    if kind == "missing":
        return "is required but missing"
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    given = error.get("input")
    if isinstance(given, str) and repr(given) not in message:
        message += f" (got {preview(given)})"
    elif isinstance(given, int | float | bool) and repr(given) not in message:
        message += f" (got {given!r})"
    return message


def validate_and_check(
    model: type[ModelT], document: Document, check: Callable[[ModelT], list[Problem]]
) -> ModelT:
    """Validate each value, then `check` how they fit together; every problem is located."""
    parsed = validate_document(model, document)
    problems = check(parsed)
    if problems:
        raise document.refuse(problems)
    return parsed


def validate_document(model: type[ModelT], document: Document) -> ModelT:
    """Validate the document against `model`, with every error located in the file."""
    if document.data is None:
        raise document.refuse([((), "the file is empty; it should hold a mapping of keys")])
    if not isinstance(document.data, dict):
        kind = "a list" if isinstance(document.data, list) else "a single value"
        raise document.refuse(
            [((), f"the file holds {kind}; it should hold a mapping of keys (key: value)")]
        )
    try:
        return model.model_validate(document.data)
    except ValidationError as error:
        problems: list[Problem] = []
        for item in error.errors():
            problems.append((tuple(item["loc"]), _describe(item, model)))
        raise document.refuse(_dedupe(problems)) from None


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    result = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            result.append(problem)
    return result


_StrictLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    _StrictLoader.construct_yaml_timestamp,
)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)
