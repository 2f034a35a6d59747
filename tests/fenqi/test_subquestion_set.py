"""Loading and checking the sub-question set: every structural mistake is refused naming line and field."""
import pytest

from fenqi.subquestion_set import SubQuestion, SubQuestionSetError, coverage, load_subquestions, thin, unknown_ids

GOOD = """\
version: 1
questions:
  - {text: 信用卡能还不, question: repay.credit_card, voice: short, must: [信用卡]}
  - {text: 那微信呢, question: repay.wechat, voice: followup, after: repay.credit_card}
  - {text: 花呗怎么还, question: out_of_scope, voice: short}
"""
CASES = (SubQuestion("信用卡能还不", "repay.credit_card", "short", ("信用卡",)),
         SubQuestion("那微信呢", "repay.wechat", "followup", (), "repay.credit_card"),
         SubQuestion("花呗怎么还", "out_of_scope", "short"))


def write(tmp_path, text):
    path = tmp_path / "subquestions.yml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path, text):
    with pytest.raises(SubQuestionSetError) as caught:
        load_subquestions(write(tmp_path, text))
    return str(caught.value)


def test_a_good_file_loads_in_order(tmp_path):
    cases = load_subquestions(write(tmp_path, GOOD))
    assert cases == CASES
    assert [c.in_scope for c in cases] == [True, True, False]


@pytest.mark.parametrize("line, message", [
    ("  - {text: 宽限几天, question: due.grace_period, voice: whisper}", "line 6: questions[3].voice: unexpected value"),
    ("  - {text: 宽限几天, question: Due Grace, voice: short}", "line 6: questions[3].question: not a standard question id"),
    ("  - {text: '  ', question: due.grace_period, voice: short}", "line 6: questions[3].text: ensure this value has at least 1"),
    ("  - {text: 宽限几天, question: due.grace_period, voice: short, must: [宽限, 宽限]}", "questions[3].must: lists a word twice"),
    ("  - {text: 宽限几天, question: due.grace_period, voice: short, must: ['']}", "questions[3].must[0]"),
    ("  - {text: 宽限几天, question: due.grace_period, voice: short, after: due.date}", "questions[3].after: a follow-up names"),
    ("  - {text: 宽限几天呢, question: due.grace_period, voice: followup}", "questions[3].after: a follow-up names"),
    ("  - {text: 那宽限呢, question: due.grace_period, voice: followup, after: due.grace_period}",
     "questions[3].after: a follow-up asks something other"),
    ("  - {text: 那宽限呢, question: due.grace_period, voice: followup, after: out_of_scope}",
     "questions[3].after: a follow-up comes after an answered standard question"),
    ("  - {text: 京东白条咋还, question: out_of_scope, voice: short, must: [白条]}",
     "questions[3].must: an out_of_scope question has no words"),
    ("  - {text: 宽限几天, question: due.grace_period, voice: short, product: 备用金}", "questions[3].product: unknown field"),
    ("  - {text: 信用卡能还不？, question: repay.credit_card, voice: short}",
     "line 6: questions[3].text: the same question as questions[0]"),
    ("  - {text: 宽限几天, question: due.grace_period}", "questions[3]: missing required field 'voice'"),
])
def test_a_mistake_is_refused_naming_line_and_field(tmp_path, line, message):
    error = refused(tmp_path, GOOD + line + "\n")
    assert "subquestions.yml: " in error and message in error, error


def test_a_long_text_and_a_wrong_version_are_refused(tmp_path):
    long_text = "我" * 501
    assert "questions[3].text: ensure this value has at most 500" in refused(
        tmp_path, GOOD + f"  - {{text: {long_text}, question: due.date, voice: long}}\n")
    assert "line 1: version: unexpected value" in refused(tmp_path, GOOD.replace("version: 1", "version: 2"))
    assert "questions: lists no question" in refused(tmp_path, "version: 1\nquestions: []\n")


def test_unknown_ids_name_the_entry_and_field():
    assert unknown_ids(CASES, {"repay.credit_card", "repay.wechat"}) == []
    assert unknown_ids(CASES, {"repay.wechat"}) == [
        "questions[0].question: unknown standard question 'repay.credit_card'",
        "questions[1].after: unknown standard question 'repay.credit_card'",
    ]


def test_coverage_counts_gold_questions_and_thin_names_those_below_the_minimum():
    assert coverage(CASES) == {"repay.credit_card": 1, "repay.wechat": 1}
    assert thin(CASES, {"repay.credit_card", "due.date"}, minimum=1) == {"due.date": 0}
    assert thin(CASES, {"repay.credit_card"}, minimum=2) == {"repay.credit_card": 1}

