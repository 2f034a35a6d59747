"""Parse YAML while keeping the line of every field, for error messages."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Tuple, Union

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from fenqi.accounts.errors import AccountsFileError, Problem

Path = Tuple[Union[str, int], ...]
MERGE_TAG = "tag:yaml.org,2002:merge"


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


def parse_yaml(text: str, source: str = "<string>") -> YamlDocument:
    """Compose and construct one YAML document; malformed YAML raises
    :class:`AccountsFileError` naming the line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: Dict[Path, int] = {(): 1}
        problems: List[Problem] = []
        if node is not None:
            lines[()] = _line(node)
            _walk(node, (), lines, problems, set())
        if problems:
            raise AccountsFileError(problems, source)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        context = exc.context or ""
        if context and exc.context_mark and exc.problem_mark and \
                exc.context_mark.line != exc.problem_mark.line:
            context += f" started at line {exc.context_mark.line + 1}"
        what = ": ".join(str(p) for p in (context, exc.problem) if p)
        raise AccountsFileError([Problem(f"malformed YAML: {what}",
                                         line=mark.line + 1 if mark else None)], source) from exc
    except yaml.YAMLError as exc:
        raise AccountsFileError([Problem(f"malformed YAML: {exc}")], source) from exc
    finally:
        loader.dispose()
    return YamlDocument(data=data, lines=lines)


def format_path(path: Path) -> str:
    """``("users", 1, "credit_rating")`` -> ``users[1].credit_rating``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(lines: Mapping[Path, int], path: Path) -> int | None:
    """Line of ``path`` or of its nearest recorded ancestor."""
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        path = path[:-1]
