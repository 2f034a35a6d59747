"""Every YAML data file reports problems in one style: ``file: line N: field: reason``."""
import pytest

from fenqi.accounts.errors import AccountsFileError
from fenqi.datafile import DataFileError
from fenqi.fallback.topics import load_topics
from fenqi.handoff.hours import load_service_info
from fenqi.knowledge import KnowledgeError, load_knowledge


@pytest.mark.parametrize("loader, name, text, expected", [
    (load_topics, "topics.yml", "max_fallbacks: 3\ntopics:\n  a: 甲\nmenu:\n  - b\n",
     "topics.yml: line 4: menu: not in topics: b"),
    (load_service_info, "service.yml", "hours:\n  open: '09:00'\n  close: 9点\n",
     "service.yml: line 3: hours.close: expected HH:MM, got '9点'"),
    (load_knowledge, "faq.yml", "flows: {}\nnickname: x\n",
     "faq.yml: line 2: nickname: unknown field (allowed: version, flows, texts"),
])
def test_one_error_style(tmp_path, loader, name, text, expected):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        loader(path)
    assert str(info.value).startswith(str(tmp_path))
    assert "\n" not in str(info.value)
    assert any(expected in f"{name}: {p}" for p in info.value.problems)


def test_errors_are_value_errors_of_one_family():
    assert issubclass(AccountsFileError, DataFileError) and issubclass(KnowledgeError, DataFileError)
    assert issubclass(DataFileError, ValueError)
