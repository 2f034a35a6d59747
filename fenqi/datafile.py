"""YAML data files (accounts, knowledge, topics, service hours): parse with line numbers, validate
with a pydantic model, and report every problem in one style: ``file: line N: field.path: reason``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Type, TypeVar, Union

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.errors import PydanticValueError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = Tuple[Union[str, int], ...]
MERGE_TAG = "tag:yaml.org,2002:merge"
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a data file: where (line, field path) and what."""

    message: str
    path: str = ""
    line: Optional[int] = None

    def __str__(self) -> str:
        parts = [f"line {self.line}" if self.line else "", self.path, self.message]
        return ": ".join(p for p in parts if p)


class DataFileError(ValueError):
    """A data file is invalid. ``problems`` lists every finding; ``str()`` is one line: the source,
    the first problem, and how many more there are."""

    default_message = "invalid data"

    def __init__(self, problems: Iterable[Problem], source: Optional[str] = None):
        self.problems: Tuple[Problem, ...] = tuple(problems) or (Problem(self.default_message),)
        self.source = source
        first = str(self.problems[0])
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(f"{source}: {first}{suffix}" if source else f"{first}{suffix}")


class Invalid(PydanticValueError):
    """Raised by validators: ``reason`` is the message; ``at`` (optional) a sub-field it concerns."""

    code = "fenqi"
    msg_template = "{reason}"

    def __init__(self, reason: str, at: Union[str, int, Path] = ()):
        super().__init__(reason=reason, at=at if isinstance(at, tuple) else (at,))


@dataclass(frozen=True)
class YamlDocument:
    data: Any
    lines: Mapping[Path, int]  # field path -> 1-based line of its key (or list item)


class _Loader(yaml.SafeLoader):
    """Safe loader whose invalid timestamps are marked errors, not bare ValueErrors."""

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid date/time {node.value!r} ({exc})", node.start_mark) from exc


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _walk(node: Node, path: Path, lines: Dict[Path, int], problems: List[Problem], seen: set) -> None:
    if id(node) in seen:  # aliases: map each node once (and survive recursive ones)
        return
    seen.add(id(node))
    if isinstance(node, MappingNode):
        keys: Dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue
            key = key_node.value
            if key in keys:
                problems.append(Problem(f"duplicate key '{key}' (first at line {keys[key]})",
                                        format_path(path + (key,)), _line(key_node)))
                continue
            keys[key] = _line(key_node)
            lines[path + (key,)] = _line(key_node)
            _walk(value_node, path + (key,), lines, problems, seen)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            lines[path + (index,)] = _line(item)
            _walk(item, path + (index,), lines, problems, seen)


def parse_yaml(text: str, source: str = "<string>",
               error: Type[DataFileError] = DataFileError) -> YamlDocument:
    """Compose and construct one YAML document; malformed YAML raises ``error`` naming the line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: Dict[Path, int] = {(): 1}
        problems: List[Problem] = []
        if node is not None:
            lines[()] = _line(node)
            _walk(node, (), lines, problems, set())
        if problems:
            raise error(problems, source)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        context = exc.context or ""
        if context and exc.context_mark and exc.problem_mark and \
                exc.context_mark.line != exc.problem_mark.line:
            context += f" started at line {exc.context_mark.line + 1}"
        what = ": ".join(str(p) for p in (context, exc.problem) if p)
        raise error([Problem(f"malformed YAML: {what}", line=mark.line + 1 if mark else None)],
                    source) from exc
    except yaml.YAMLError as exc:
        raise error([Problem(f"malformed YAML: {exc}")], source) from exc
    finally:
        loader.dispose()
    return YamlDocument(data=data, lines=lines)


def read_yaml(path: Union[str, FilePath], error: Type[DataFileError] = DataFileError) -> YamlDocument:
    """Read and parse a YAML file; unreadable or non-UTF-8 files raise ``error``."""
    source = str(path)
    try:
        text = FilePath(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error([Problem(f"not UTF-8 text ({exc.reason} at byte {exc.start})")], source) from exc
    except OSError as exc:
        raise error([Problem(f"cannot read file: {exc.strerror or exc}")], source) from exc
    return parse_yaml(text, source, error)


def format_path(path: Path) -> str:
    """``("users", 1, "credit_rating")`` -> ``users[1].credit_rating``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(lines: Mapping[Path, int], path: Path) -> Optional[int]:
    """Line of ``path`` or of its nearest recorded ancestor."""
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        path = path[:-1]


def show(value: Any) -> str:
    """A value as error messages quote it (mappings and lists by kind)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


_MISSING = object()


def value_at(data: Any, path: Path) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return data


def _fields_at(model: Type[BaseModel], path: Path) -> Optional[Tuple[str, ...]]:
    """The field names of the model that validates the record at ``path``."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        fields = getattr(current, "__fields__", None)
        if not fields or part not in fields:
            return None
        current = fields[part].type_
    fields = getattr(current, "__fields__", None)
    return tuple(f.alias for f in fields.values()) if fields else None


def _message(model: Type[BaseModel], data: Any, error: Mapping[str, Any]) -> Tuple[Path, str]:
    loc: Path = tuple(p for p in error["loc"] if p != "__root__")
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error.fenqi":
        return loc + tuple(ctx.get("at") or ()), ctx["reason"]
    if kind == "value_error.missing":
        if isinstance(value_at(data, loc[:-1]), dict) and loc[-1] in value_at(data, loc[:-1]):
            return loc, "is required, got null"
        return loc[:-1], f"missing required field '{loc[-1]}'"
    if kind == "type_error.none.not_allowed":
        return loc, "is required, got null"
    if kind == "value_error.extra":
        allowed = _fields_at(model, loc[:-1])
        return loc, f"unknown field (allowed: {', '.join(allowed)})" if allowed else "unknown field"
    if kind == "type_error.dict":
        return loc, f"must be a mapping of fields, got {show(value_at(data, loc))}"
    if kind in ("type_error.list", "type_error.sequence"):
        return loc, f"must be a list, got {show(value_at(data, loc))}"
    return loc, error["msg"]


def problems_of(exc: ValidationError, model: Type[BaseModel], data: Any,
                lines: Optional[Mapping[Path, int]] = None) -> List[Problem]:
    """Every pydantic error as a :class:`Problem` with its field path and line (sorted by line)."""
    out: List[Problem] = []
    for error in exc.errors():
        path, message = _message(model, data, error)
        problem = Problem(message, format_path(path), line_of(lines or {}, path))
        if problem not in out:
            out.append(problem)
    return sorted(out, key=lambda p: p.line or 0)


def validate(model: Type[M], data: Any, *, source: Optional[str] = None,
             lines: Optional[Mapping[Path, int]] = None,
             error: Type[DataFileError] = DataFileError) -> M:
    """``data`` (parsed YAML) as ``model``, or ``error`` listing every problem."""
    if data is None:
        fields = ", ".join(f.alias for f in model.__fields__.values())
        raise error([Problem(f"the file is empty; expected a mapping with {fields}", line=1)], source)
    if not isinstance(data, dict):
        raise error([Problem(f"must be a mapping of fields, got {show(data)}", line=1)], source)
    try:
        return model.parse_obj(data)
    except ValidationError as exc:
        raise error(problems_of(exc, model, data, lines), source) from None


def load(path: Union[str, FilePath], model: Type[M], error: Type[DataFileError] = DataFileError) -> M:
    """Read, parse and validate one YAML file."""
    document = read_yaml(path, error)
    return validate(model, document.data, source=str(path), lines=document.lines, error=error)


class Record(BaseModel):
    """Base of file models: unknown fields are refused, values are not coerced silently."""

    class Config:
        extra = "forbid"
        allow_mutation = False
        arbitrary_types_allowed = True
