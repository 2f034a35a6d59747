"""Intent classifier: char and word n-gram TF-IDF + logistic regression, temperature-calibrated.

Rasa-free (scikit-learn only); ``components/ngram_intent.py`` adapts it to a Rasa graph component.
Word n-grams come from the project's jieba tokenizer with the domain dictionary
(:mod:`fenqi.nlp.tokenizer`), so cross-validation here and the trained bot see the same tokens.

A question with none of the known n-grams (keyboard mashing, emoji only, another script) gets the
flat distribution of the intercepts only, i.e. a low confidence: the fallback question.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

_NOISE = re.compile(r"[\W_]+", re.UNICODE)
FALLBACK = "nlu_fallback"
SMALL_TALK = frozenset({"greet", "goodbye", "thank", "affirm", "deny"})
MAX_CHARS = 500  # longer input is cut before featurising (bounded work per message)


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case, punctuation/space/emoji dropped."""
    return _NOISE.sub(" ", unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower()).strip()


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    from spacy.vocab import Vocab

    from fenqi.nlp.pipeline import load_lexicon
    from fenqi.nlp.tokenizer import DomainJiebaTokenizer

    return DomainJiebaTokenizer(Vocab(), load_lexicon().get("user_words", []))


def words(text: str) -> List[str]:
    """Word unigrams and bigrams of the normalised text (project jieba tokenizer)."""
    tokens = [w for w in _segmenter().segment(normalise(text)) if w.strip()]
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


def chars(text: str) -> str:
    """The text the char n-grams are taken from."""
    return normalise(text)


@dataclass(frozen=True)
class ModelConfig:
    char_ngrams: Tuple[int, int] = (1, 3)
    use_words: bool = True
    C: float = 10.0
    temperature: float = 1.0
    class_weight: Optional[str] = None
    max_iter: int = 2000


class NgramIntentModel:
    """fit(texts, labels); rank(text) → [(intent, confidence), …] best first."""

    def __init__(self, config: ModelConfig = ModelConfig()) -> None:
        self.config = config
        self.char_vec = TfidfVectorizer(analyzer="char", ngram_range=config.char_ngrams, sublinear_tf=True,
                                        preprocessor=chars, min_df=1)
        self.word_vec: Optional[TfidfVectorizer] = (
            TfidfVectorizer(analyzer=words, sublinear_tf=True, min_df=1) if config.use_words else None)
        self.clf = LogisticRegression(C=config.C, max_iter=config.max_iter, class_weight=config.class_weight)
        self.classes: List[str] = []

    def _features(self, texts: Sequence[str], fit: bool = False) -> sparse.csr_matrix:
        parts = [self.char_vec.fit_transform(texts) if fit else self.char_vec.transform(texts)]
        if self.word_vec is not None:
            parts.append(self.word_vec.fit_transform(texts) if fit else self.word_vec.transform(texts))
        return sparse.hstack(parts).tocsr()

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "NgramIntentModel":
        if len(texts) != len(labels) or len(set(labels)) < 2:
            raise ValueError("need equally many texts and labels, of at least two intents")
        self.clf.fit(self._features(texts, fit=True), list(labels))
        self.classes = [str(c) for c in self.clf.classes_]
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, columns in ``self.classes`` order."""
        logits = self.clf.decision_function(self._features(texts)) / self.config.temperature
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def rank(self, text: str, top: Optional[int] = None) -> List[Tuple[str, float]]:
        probs = self.predict_proba([text])[0]
        order = np.argsort(-probs)[:top]
        return [(self.classes[i], float(probs[i])) for i in order]

    def state(self) -> Dict[str, Any]:
        return {"config": self.config, "char_vec": self.char_vec, "word_vec": self.word_vec,
                "clf": self.clf, "classes": self.classes}

    @classmethod
    def from_state(cls, state: Dict[str, Any]) -> "NgramIntentModel":
        model = cls(state["config"])
        model.char_vec, model.word_vec, model.clf = state["char_vec"], state["word_vec"], state["clf"]
        model.classes = list(state["classes"])
        return model


def gate(ranking: Sequence[Tuple[str, float]], small_talk_threshold: float) -> Tuple[str, float]:
    """The intent to act on: small talk needs at least ``small_talk_threshold`` (a short unknown input
    must not be greeted or thanked); below it the answer is the fallback question."""
    name, confidence = ranking[0]
    if name in SMALL_TALK and confidence < small_talk_threshold:
        return FALLBACK, confidence
    return name, confidence
