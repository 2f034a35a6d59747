"""The knowledge files' errors: one class per file, all in the project's data-file style."""
from __future__ import annotations

from fenqi.datafile import DataFileError


class KnowledgeError(DataFileError):
    """A knowledge file is malformed; the message names the entry (e.g. ``causes.installment[2].title``)."""

    default_message = "invalid knowledge"


class PolicyError(KnowledgeError):
    """``policy.yml`` (the local service rules) is malformed."""

    default_message = "invalid service policy"


class QuestionError(KnowledgeError):
    """``questions.yml`` (the standard questions) is malformed."""

    default_message = "invalid standard questions"
