"""A jieba tokenizer for spaCy with the domain dictionary and whole-number tokens.

Registered as ``fenqi.zh_jieba.v1`` in spaCy's tokenizer registry (entry point in
``pyproject.toml``), so a pipeline saved by :mod:`fenqi.nlp.pipeline` loads anywhere the
project is installed — Rasa's ``SpacyNLP`` included — with its dictionary intact: the words
live in the pipeline's own ``config.cfg``.
"""
from __future__ import annotations

from typing import List, Sequence

from spacy.lang.zh import ChineseTokenizer, Segmenter
from spacy.tokens import Doc
from spacy.util import get_words_and_spaces, registry

from fenqi.nlp.segmenter import NUMBER, DomainSegmenter  # noqa: F401 - NUMBER: its old home


class DomainJiebaTokenizer(ChineseTokenizer):
    """jieba segmentation with a private dictionary (:class:`fenqi.nlp.segmenter.DomainSegmenter`);
    numbers are cut out before jieba sees them."""

    def __init__(self, vocab, user_words: Sequence[str] = ()):
        super().__init__(vocab, segmenter=Segmenter.char)  # avoid loading the global jieba
        self.segmenter = Segmenter.jieba
        self.domain = DomainSegmenter(user_words)
        self.user_words = self.domain.user_words

    def segment(self, text: str) -> List[str]:
        """Split ``text`` into words (whitespace kept as its own words, as jieba does)."""
        return self.domain.segment(text)

    def __call__(self, text: str) -> Doc:
        words, spaces = get_words_and_spaces(self.segment(text), text)
        return Doc(self.vocab, words=words, spaces=spaces)


@registry.tokenizers("fenqi.zh_jieba.v1")
def create_domain_tokenizer(user_words: List[str] = []):  # noqa: B006 - spaCy config default
    def factory(nlp):
        return DomainJiebaTokenizer(nlp.vocab, user_words)

    return factory
