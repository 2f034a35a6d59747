"""A jieba tokenizer for spaCy with the domain dictionary and whole-number tokens.

Registered as ``fenqi.zh_jieba.v1`` in spaCy's tokenizer registry (entry point in
``pyproject.toml``), so a pipeline saved by :mod:`fenqi.nlp.pipeline` loads anywhere the
project is installed — Rasa's ``SpacyNLP`` included — with its dictionary intact: the words
live in the pipeline's own ``config.cfg``.
"""
from __future__ import annotations

import logging
import re
from typing import Iterable, List, Sequence

import jieba
from spacy.lang.zh import ChineseTokenizer, Segmenter
from spacy.tokens import Doc
from spacy.util import get_words_and_spaces, registry

jieba.setLogLevel(logging.WARNING)

# Amounts and ids stay one token: "¥3,999.00", "3999", "1.5", "202405301234567".
NUMBER = re.compile(r"(?<![A-Za-z\d.])[¥￥]?\d+(?:[,，]\d{3})*(?:\.\d+)?(?![A-Za-z\d])")


class DomainJiebaTokenizer(ChineseTokenizer):
    """jieba segmentation with a private dictionary; numbers are cut out before jieba sees them."""

    def __init__(self, vocab, user_words: Sequence[str] = ()):
        super().__init__(vocab, segmenter=Segmenter.char)  # avoid loading the global jieba
        self.segmenter = Segmenter.jieba
        self.user_words = list(user_words)
        self.jieba_seg = jieba.Tokenizer()
        for entry in self.user_words:
            word, _, freq = entry.partition(" ")
            self.jieba_seg.add_word(word, int(freq) if freq else None)

    def segment(self, text: str) -> List[str]:
        """Split ``text`` into words (whitespace kept as its own words, as jieba does)."""
        words: List[str] = []
        pos = 0
        for match in NUMBER.finditer(text):
            words.extend(self._jieba(text[pos:match.start()]))
            words.append(match.group())
            pos = match.end()
        words.extend(self._jieba(text[pos:]))
        return words

    def _jieba(self, chunk: str) -> Iterable[str]:
        return (w for w in self.jieba_seg.cut(chunk, HMM=True) if w) if chunk else ()  # type: ignore[union-attr]

    def __call__(self, text: str) -> Doc:
        words, spaces = get_words_and_spaces(self.segment(text), text)
        return Doc(self.vocab, words=words, spaces=spaces)


@registry.tokenizers("fenqi.zh_jieba.v1")
def create_domain_tokenizer(user_words: List[str] = []):  # noqa: B006 - spaCy config default
    def factory(nlp):
        return DomainJiebaTokenizer(nlp.vocab, user_words)

    return factory
