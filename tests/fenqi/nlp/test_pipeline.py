"""The zh spaCy pipeline: domain words stay whole, entities are found, the saved copy behaves the same."""
import pytest
import spacy

from fenqi.nlp.pipeline import build_pipeline, load_lexicon


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline()


@pytest.fixture(scope="module")
def saved_nlp(tmp_path_factory, nlp):
    path = tmp_path_factory.mktemp("spacy") / "zh"
    nlp.to_disk(path)
    return spacy.load(path)


@pytest.mark.parametrize("text, word", [
    ("小米分期怎么还款", "小米分期"),
    ("我的备用金用不了了", "备用金"),
    ("能不能提前还款呀？", "提前还款"),
    ("怎么开自动还款", "自动还款"),
    ("几期免息", "免息"),
    ("还款日是哪天", "还款日"),
    ("分期付款失败了😭", "分期付款"),
    ("my额度太低了", "额度"),
    ("ＡＰＰ里的小米分期在哪", "小米分期"),
    ("转人工！！！", "转人工"),
])
def test_domain_words_are_single_tokens(nlp, text, word):
    assert word in [t.text for t in nlp(text)]


@pytest.mark.parametrize("text, expected", [
    ("用花呗还是信用卡", {("花呗", "payment_method"), ("信用卡", "payment_method")}),
    ("我想用小米分期买Redmi K70，分12期", {("小米分期", "payment_method"), ("Redmi K70", "product"), ("12期", "period")}),
    ("¥3,999.00的小米14 Ultra为啥不能分期😭", {("¥3,999.00", "amount"), ("小米14 Ultra", "product")}),
    ("订单号202405301234567怎么提前还清？", {("202405301234567", "order_id")}),
    ("备用金额度只有500块", {("备用金", "payment_method"), ("500块", "amount")}),
    ("I want 6期 installment on 小米电视", {("6期", "period"), ("小米电视", "product")}),
    ("十二期手续费多少", {("十二期", "period")}),
    ("额度1万够不够", {("1万", "amount")}),
    ("￥4,999", {("￥4,999", "amount")}),
    ("用微信还，24期", {("微信", "payment_method"), ("24期", "period")}),
    ("我手机号13812345678", set()),  # personal numbers are never taken for order numbers
    ("卡号6222021234567890123", set()),
    ("身份证110101199003071234", set()),
])
def test_entities(nlp, saved_nlp, text, expected):
    for pipeline in (nlp, saved_nlp):
        assert {(e.text, e.label_) for e in pipeline(text).ents} == expected


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "？？？", "ok", "12345", "小米分期 小米分期"])
def test_odd_input_tokenizes_losslessly(nlp, text):
    doc = nlp(text)
    assert doc.text == text


def test_numbers_are_not_split_inside_model_names(nlp):
    words = [t.text for t in nlp("K70和v1.5，还有3,999元")]
    assert "K70" in words and "v1.5" in words and "3,999" in words


def test_saved_pipeline_keeps_dictionary(saved_nlp):
    words = [t.text for t in saved_nlp("一次性还清备用金")]
    assert words == ["一次性还清", "备用金"]


def test_lexicon_labels_are_rasa_entity_names():
    labels = set(load_lexicon()["entities"])
    assert labels == {"product", "payment_method", "period", "amount", "order_id"}
