"""Near-duplicate detection used to keep evaluation questions out of training data."""
from fenqi.overlap import bigrams, jaccard, near_duplicates, normalise


def test_normalise_drops_punctuation_space_and_case():
    assert normalise(" 备用金，啥时候 到账？OK! ") == "备用金啥时候到账ok"


def test_identical_after_normalising_is_a_full_match():
    assert jaccard(bigrams("备用金怎么开通？"), bigrams("备用金 怎么开通")) == 1.0


def test_near_duplicates_finds_copies_not_topics():
    training = ["小米分期怎么提前还款呀", "备用金额度是多少", "快递到哪了"]
    hits = near_duplicates(["小米分期怎么提前还款", "分期的手续费怎么算"], training, threshold=0.7)
    assert [(q, t) for q, t, _ in hits] == [("小米分期怎么提前还款", "小米分期怎么提前还款呀")]


def test_empty_inputs():
    assert near_duplicates([], ["a"]) == [] and near_duplicates(["abc"], []) == []
