"""Intent classifier: char and word n-gram TF-IDF + a linear SVM (or logistic regression), temperature-calibrated.

Rasa-free (scikit-learn only); ``components/ngram_intent.py`` adapts it to a Rasa graph component.
Word n-grams come from the project's jieba tokenizer with the domain dictionary
(:mod:`fenqi.nlp.tokenizer`), so cross-validation here and the trained bot see the same tokens.

A question with none of the known n-grams (emoji or punctuation only, unseen letters) gets the
uniform distribution, i.e. the lowest confidence: the fallback question. So does a *degenerate*
question — one character, or one character repeated ("8", "你你你你") — unless it is one of the
training examples ("好", "对对对") or the model calls it out of scope: its n-grams are evidence of
nothing but that character.

An intent made of several unlike kinds of question (out_of_scope: account support, other lenders,
banking, after-sales, nonsense, unrelated topics) can be learnt as sub-labels: ``fit(..., sublabels=...)``
trains one class per (intent, sub-label) and ``predict_proba`` sums them back into the intent.
"""
from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from fenqi.nlp import FALLBACK, OUT_OF_SCOPE, SMALL_TALK

_NOISE = re.compile(r"[\W_]+", re.UNICODE)
MAX_CHARS = 500  # longer input is cut before featurising (bounded work per message)
SUB = "/"  # joins an intent and its training-only sub-label into one fine class


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case, punctuation/space/emoji dropped."""
    return _NOISE.sub(" ", unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower()).strip()


_WORDS: Optional[Dict[str, List[str]]] = None  # while cross-validating: each text's words, computed once


@contextmanager
def words_computed_once() -> Iterator[None]:
    """Within it, :func:`words` segments each text once: cross-validation fits and predicts the same
    texts fold after fold (and the question models again); outside it nothing is kept."""
    global _WORDS
    previous, _WORDS = _WORDS, {}
    try:
        yield
    finally:
        _WORDS = previous


def words(text: str) -> List[str]:
    """Word unigrams and bigrams of the normalised text (project jieba tokenizer)."""
    if _WORDS is not None:
        known = _WORDS.get(text)
        if known is None:
            known = _WORDS[text] = _words(text)
        return known
    return _words(text)


def _words(text: str) -> List[str]:
    from fenqi.nlp.segmenter import domain_segmenter

    tokens = [w for w in domain_segmenter().segment(normalise(text)) if w.strip()]
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


def chars(text: str) -> str:
    """The text the char n-grams are taken from."""
    return normalise(text)


def degenerate(text: str) -> Optional[str]:
    """The normalised text when it is one character or one character repeated, else None."""
    core = normalise(text).replace(" ", "")
    return core if core and len(set(core)) == 1 else None


def typo_variants(text: str, n: int) -> List[str]:
    """Up to ``n`` copies of ``text`` with one character dropped (deterministic; texts of 5+ characters)."""
    if n <= 0 or len(text) < 5:
        return []
    step = max(1, len(text) // (n + 1))
    return [text[:i] + text[i + 1:] for i in range(step, len(text), step)][:n]


@lru_cache(maxsize=32)
def _fitted(vectorizer: TfidfVectorizer) -> Tuple[Any, Dict[str, int], np.ndarray]:
    """Analyzer, vocabulary and idf of a fitted vectorizer, read once (sklearn rebuilds both the
    analyzer and ``idf_`` on every access)."""
    return vectorizer.build_analyzer(), vectorizer.vocabulary_, np.asarray(vectorizer.idf_)


def tfidf_rows(vectorizer: TfidfVectorizer, texts: Sequence[str]) -> sparse.csr_matrix:
    """``vectorizer.transform(texts)`` for a fitted sublinear-tf, l2-normalised TF-IDF, computed row by
    row from its vocabulary and idf: the same values (tested) at a fraction of the cost for the one or
    two texts of a message."""
    analyze, vocabulary, idf = _fitted(vectorizer)
    indptr, indices, data = [0], [], []
    for text in texts:
        counts: Dict[int, int] = {}
        for gram in analyze(text):
            j = vocabulary.get(gram)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        cols = sorted(counts)
        values = (1.0 + np.log(np.asarray([counts[j] for j in cols], dtype=np.float64))) * idf[cols]
        norm = float(np.sqrt((values ** 2).sum())) if len(values) else 0.0
        indices.extend(cols)
        data.extend((values / norm).tolist() if norm else values.tolist())
        indptr.append(len(indices))
    return sparse.csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int32),
                              np.asarray(indptr, dtype=np.int32)), shape=(len(texts), len(vocabulary)))


@dataclass(frozen=True)
class ModelConfig:
    """Defaults are the configured pipeline's but for ``class_weight`` (config.yml; chosen in docs/evaluation.md)."""

    char_ngrams: Tuple[int, int] = (1, 3)
    use_words: bool = True
    C: float = 1.0
    temperature: float = 0.2
    class_weight: Optional[Any] = None  # None, "balanced" or {intent: weight}
    max_iter: int = 2000
    # "stack": one model on char+word features; two models, probabilities averaged: "average" (a char model
    # and a word model) or "char+stack" (a char model and a char+word model)
    combine: str = "char+stack"
    # "svm" (linear SVM, softmax of its margins / T), "svm-platt" (linear SVM with sklearn's sigmoid
    # calibration on inner folds) or "lr" (logistic regression)
    classifier: str = "svm"
    second_weight: float = 0.5  # weight of the second model (word or char+word) when two are averaged
    sublabel_pool: str = "sum"  # an intent's sub-labels: "sum" their probabilities or take their "max" score
    augment: int = 0  # typo variants per training text (one character dropped), learnt with the same intent

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "ModelConfig":
        """From a pipeline entry's options (config.yml keys); a missing key keeps the default."""
        d = cls()
        return cls(char_ngrams=(int(options.get("char_min_ngram", d.char_ngrams[0])),
                                int(options.get("char_max_ngram", d.char_ngrams[1]))),
                   use_words=bool(options.get("use_words", d.use_words)), C=float(options.get("C", d.C)),
                   temperature=float(options.get("temperature", d.temperature)),
                   class_weight=options.get("class_weight", d.class_weight),
                   combine=str(options.get("combine", d.combine)),
                   classifier=str(options.get("classifier", d.classifier)),
                   second_weight=float(options.get("second_weight", d.second_weight)),
                   sublabel_pool=str(options.get("sublabel_pool", d.sublabel_pool)),
                   augment=int(options.get("augment", d.augment)))


class NgramIntentModel:
    """fit(texts, labels); rank(text) → [(intent, confidence), …] best first."""

    def __init__(self, config: ModelConfig = ModelConfig()) -> None:
        self.config = config
        self.char_vec = TfidfVectorizer(analyzer="char", ngram_range=config.char_ngrams, sublinear_tf=True,
                                        preprocessor=chars, min_df=1)
        self.word_vec: Optional[TfidfVectorizer] = (
            TfidfVectorizer(analyzer=words, sublinear_tf=True, min_df=1) if config.use_words else None)
        self.clf = self.classifier()
        self.second_clf: Optional[Any] = (self.classifier() if config.use_words and config.combine != "stack"
                                          else None)
        self.classes: List[str] = []
        self.collapse: Optional[np.ndarray] = None  # fine class × intent 0/1 matrix (None: fine == intents)
        self.known_degenerate: frozenset = frozenset()  # degenerate training texts (kept as learnt)

    def classifier(self) -> Any:
        if self.config.classifier == "svm-platt":  # per-class sigmoid fitted on 3 inner folds
            return CalibratedClassifierCV(LinearSVC(C=self.config.C, class_weight=self.config.class_weight,
                                                    max_iter=self.config.max_iter, random_state=0),
                                          method="sigmoid", cv=3)
        if self.config.classifier == "svm":
            return LinearSVC(C=self.config.C, class_weight=self.config.class_weight, max_iter=self.config.max_iter,
                             random_state=0)
        return LogisticRegression(C=self.config.C, max_iter=self.config.max_iter,
                                  class_weight=self.config.class_weight)

    def features(self, texts: Sequence[str], fit: bool = False) -> List[sparse.csr_matrix]:
        if fit:
            _fitted.cache_clear()  # a vectorizer refitted in place must not keep its old vocabulary
            parts = [self.char_vec.fit_transform(texts)]
            if self.word_vec is not None:
                parts.append(self.word_vec.fit_transform(texts))
        else:  # the per-message path: one text at a time, without sklearn's per-call overhead
            parts = [tfidf_rows(self.char_vec, texts)]
            if self.word_vec is not None:
                parts.append(tfidf_rows(self.word_vec, texts))
        if self.second_clf is None:
            return [sparse.hstack(parts, format="csr")]
        if self.config.combine == "char+stack":
            return [parts[0].tocsr(), sparse.hstack(parts, format="csr")]
        return [p.tocsr() for p in parts]

    def fit(self, texts: Sequence[str], labels: Sequence[str],
            sublabels: Optional[Sequence[Optional[str]]] = None) -> "NgramIntentModel":
        """Learn from ``texts``; examples without any n-gram (emoji or punctuation only) teach nothing
        and are left out (they would only bias the intercepts). ``sublabels`` (optional, one per text,
        None for none) split an intent into classes of its own for training only."""
        subs = list(sublabels) if sublabels is not None else [None] * len(texts)
        if len(texts) != len(labels) or len(subs) != len(texts):
            raise ValueError("need equally many texts and labels")
        kept = [(t, lab, f"{lab}{SUB}{sub}" if sub else lab) for t, lab, sub in zip(texts, labels, subs) if chars(t)]
        if len({lab for _, lab, _ in kept}) < 2:
            raise ValueError("need examples of at least two intents")
        kept += [(v, lab, f) for t, lab, f in kept for v in typo_variants(t, self.config.augment)]
        features = self.features([t for t, _, _ in kept], fit=True)
        fine = np.asarray([f for _, _, f in kept])
        weights = self.config.class_weight
        if isinstance(weights, Mapping):  # an intent's weight holds for each of its sub-labels
            weights = {f: float(weights[lab]) for _, lab, f in kept if lab in weights}
            for clf in (self.clf, self.second_clf):
                if clf is not None:
                    (clf.base_estimator if isinstance(clf, CalibratedClassifierCV) else clf).set_params(
                        class_weight=weights)
        self.clf.fit(features[0], fine)
        if self.second_clf is not None:
            self.second_clf.fit(features[1], fine)
        fine_classes = [str(c) for c in self.clf.classes_]
        intent_of = {f: lab for _, lab, f in kept}
        self.classes = sorted({lab for _, lab, _ in kept})
        self.known_degenerate = frozenset(d for d in (degenerate(t) for t, _, _ in kept) if d)
        if fine_classes == self.classes:
            self.collapse = None
        else:
            self.collapse = np.zeros((len(fine_classes), len(self.classes)))
            for i, f in enumerate(fine_classes):
                self.collapse[i, self.classes.index(intent_of[f])] = 1.0
        return self

    def softmax(self, clf: Any, features: sparse.csr_matrix) -> np.ndarray:
        if isinstance(clf, CalibratedClassifierCV):  # already probabilities: their logs are the scores
            scores = np.log(np.clip(clf.predict_proba(features), 1e-12, None))
        else:
            scores = clf.decision_function(features)
        if scores.ndim == 1:  # two classes: one margin
            scores = np.column_stack([-scores, scores])
        logits = scores / self.config.temperature
        if self.collapse is not None and self.config.sublabel_pool == "max":
            logits = np.stack([logits[:, self.collapse[:, j] > 0].max(axis=1) for j in range(len(self.classes))],
                              axis=1)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, columns in ``self.classes`` order. A text with no known n-gram,
        or a degenerate one not learnt as such (unless ranked out of scope), gets the uniform
        distribution: there is no evidence for any intent."""
        features = self.features(texts)
        probs = self.softmax(self.clf, features[0])
        if self.second_clf is not None:
            w = self.config.second_weight
            probs = (1 - w) * probs + w * self.softmax(self.second_clf, features[1])
        if self.collapse is not None and self.config.sublabel_pool != "max":
            probs = probs @ self.collapse
        unknown = np.asarray(sum(f.getnnz(axis=1) for f in features) == 0)
        for i, text in enumerate(texts):  # a degenerate text is out of scope or unknown
            d = degenerate(text)
            if d is not None and d not in self.known_degenerate:
                unknown[i] |= self.classes[int(np.argmax(probs[i]))] != OUT_OF_SCOPE
        probs[unknown] = 1.0 / len(self.classes)
        return probs

    def rank(self, text: str, top: Optional[int] = None) -> List[Tuple[str, float]]:
        probs = self.predict_proba([text])[0]
        order = np.argsort(-probs)[:top]
        return [(self.classes[i], float(probs[i])) for i in order]

    def state(self) -> Dict[str, Any]:
        return {"config": self.config, "char_vec": self.char_vec, "word_vec": self.word_vec,
                "clf": self.clf, "second_clf": self.second_clf, "classes": self.classes, "collapse": self.collapse,
                "known_degenerate": self.known_degenerate}

    @classmethod
    def from_state(cls, state: Dict[str, Any]) -> "NgramIntentModel":
        model = cls(state["config"])
        model.char_vec, model.word_vec, model.clf = state["char_vec"], state["word_vec"], state["clf"]
        model.second_clf, model.collapse = state.get("second_clf"), state.get("collapse")
        model.classes = list(state["classes"])
        model.known_degenerate = frozenset(state.get("known_degenerate", ()))
        return model


def gate(ranking: Sequence[Tuple[str, float]], small_talk_threshold: float) -> Tuple[str, float]:
    """The intent to act on: small talk needs at least ``small_talk_threshold`` (a short unknown input
    must not be greeted or thanked); below it the answer is the fallback question."""
    name, confidence = ranking[0]
    if name in SMALL_TALK and confidence < small_talk_threshold:
        return FALLBACK, confidence
    return name, confidence
