"""One segmentation: the spaCy tokenizer and the n-gram features cut the same words, and the
features' segmenter loads without spaCy (the gate cross-validates without it)."""
import subprocess
import sys

from fenqi.nlp.pipeline import load_lexicon
from fenqi.nlp.segmenter import domain_segmenter
from tests.support.stack import ROOT

TEXTS = ["小米分期怎么还款", "我的备用金额度¥3,999.00怎么用", "订单202405301234567分12期", "Redmi K70 分期"]


def test_the_tokenizer_and_the_features_cut_the_same_words():
    from spacy.vocab import Vocab

    from fenqi.nlp.tokenizer import DomainJiebaTokenizer

    tokenizer = DomainJiebaTokenizer(Vocab(), load_lexicon().get("user_words", []))
    assert [tokenizer.segment(t) for t in TEXTS] == [domain_segmenter().segment(t) for t in TEXTS]
    assert "¥3,999.00" in domain_segmenter().segment(TEXTS[1])


def test_the_features_need_no_spacy():
    code = ("import sys; from fenqi.nlp.intent_model import words; words('小米分期怎么还款'); "
            "print('spacy' in sys.modules, 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False False", out.stderr
