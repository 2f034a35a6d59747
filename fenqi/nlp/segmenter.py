"""Word segmentation without spaCy: jieba with the domain dictionary, numbers kept whole.

The one segmentation of the project: the spaCy tokenizer (:mod:`fenqi.nlp.tokenizer`, Rasa's
pipeline) and the n-gram models' word features (:mod:`fenqi.nlp.intent_model`) both use it, so
the models see the same words in training, cross-validation and serving. Importing it costs no
spaCy (nor, through spaCy, TensorFlow).
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable, List, Sequence

import jieba
import yaml

jieba.setLogLevel(logging.WARNING)

LEXICON = Path(__file__).with_name("lexicon.yml")
# Amounts and ids stay one token: "¥3,999.00", "3999", "1.5", "202405301234567".
NUMBER = re.compile(r"(?<![A-Za-z\d.])[¥￥]?\d+(?:[,，]\d{3})*(?:\.\d+)?(?![A-Za-z\d])")


class DomainSegmenter:
    """jieba segmentation with a private dictionary; numbers are cut out before jieba sees them."""

    def __init__(self, user_words: Sequence[str] = ()):
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
        return (w for w in self.jieba_seg.cut(chunk, HMM=True) if w) if chunk else ()


@lru_cache(maxsize=1)
def domain_segmenter() -> DomainSegmenter:
    """The segmenter with the user words of ``lexicon.yml``."""
    with open(LEXICON, encoding="utf-8") as fh:
        return DomainSegmenter((yaml.safe_load(fh) or {}).get("user_words", []))
