"""questions.yml: the standard questions (标准问) — the bundled book, its API and every validation rule."""
import copy
import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from fenqi.answers import INTENTS
from fenqi.knowledge import (
    DOMAIN_INTENTS,
    FACT_RULES,
    QUESTIONS_PATH,
    AnswerVariant,
    QuestionBook,
    QuestionError,
    StandardQuestion,
    load_knowledge,
    load_policy,
    load_questions,
    parse_questions,
)
from fenqi.knowledge.questions import ANSWER_MAX, DEFAULT_SLOTS, ID_PREFIXES, TITLE_MAX, VARIANT_MAX
from fenqi.state import Bill

SEEDS = Path("/work/shared/seeds")
NOTE = load_policy().unconfirmed_note
WECHAT_BYTES = 2048


@pytest.fixture(scope="module")
def book() -> QuestionBook:
    return load_questions()


@pytest.fixture(scope="module")
def bundled() -> dict:
    return yaml.load(QUESTIONS_PATH.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@pytest.fixture
def raw(bundled) -> dict:
    return copy.deepcopy(bundled)


def variants(book):
    return [(q, product, v) for q in book.questions for product, v in q.variants.items()]


def entry(raw, question_id):
    return next(q for q in raw["questions"] if q["id"] == question_id)


# ---------------------------------------------------------------- the bundled book

def test_bundled_book_loads_cached(book):
    assert load_questions() is book and load_questions(QUESTIONS_PATH) is book
    assert isinstance(book.get("due.grace_period"), StandardQuestion)


def test_book_covers_every_domain_intent(book):
    assert set(DOMAIN_INTENTS) == set(INTENTS)  # the nine the answers handle
    per_intent = Counter(q.intent for q in book.questions)
    assert len(book) == len(book.ids) == len(set(book.ids)) == 137
    assert set(per_intent) == set(DOMAIN_INTENTS) and min(per_intent.values()) >= 9
    for q in book.questions:
        assert ID_PREFIXES[q.id.split(".")[0]] == q.intent
        assert q.products and set(q.products) <= {"installment", "reserve_fund"}
        assert 1 <= len(q.title) <= TITLE_MAX and q.question.endswith("？")
        assert len(q.related) <= 3 and all(r in book for r in q.related)


def test_fact_rules_are_the_spec_names():
    assert FACT_RULES == ("credit", "cart", "reserve_fund", "next_bill", "remaining", "overdue", "auto_repay",
                          "repayment_maintenance", "fee_quote", "payoff", "installment_diagnosis",
                          "reserve_fund_diagnosis", "account")


def test_api_lookups(book):
    assert book.ids[0] == "use.how" and book.ids[-1] == "due.reserve_fund"  # file order
    assert [q.id for q in book.for_intent("early_repayment")][:2] == ["early.how", "early.fee"]
    assert book.for_intent("greet") == ()
    with pytest.raises(KeyError, match="no standard question 'due.nope'"):
        book.get("due.nope")
    q = book.get("repay.credit_card")
    assert (q.intent, q.products, q.source) == ("how_to_repay", ("installment", "reserve_fund"),
                                                ("seed-001", "seed-002", "local-policy"))
    assert q.related == ("repay.methods", "repay.no_bank_card", "auto.change_card")
    assert not q.per_order and not q.offer_human and q.default == ()


@pytest.mark.parametrize("intent, product, expected", [
    ("how_to_use_installment", "installment", "use.how"), ("how_to_use_installment", "reserve_fund", "use.how"),
    ("why_cannot_installment", "installment", "why.cannot"),
    ("how_to_repay", "installment", "repay.how"), ("how_to_repay", "reserve_fund", "repay.reserve_fund"),
    ("early_repayment", "installment", "early.how"), ("early_repayment", "reserve_fund", "early.reserve_fund"),
    ("auto_repay", "installment", "auto.status"), ("auto_repay", "reserve_fund", "auto.status"),
    ("installment_fees", "installment", "fees.overview"),
    ("installment_fees", "reserve_fund", "fees.reserve_fund_interest"),
    ("credit_limit", "installment", "limit.check"), ("credit_limit", "reserve_fund", "rf.limit"),
    ("reserve_fund_limit", "installment", "rf.cannot_use"), ("reserve_fund_limit", "reserve_fund", "rf.cannot_use"),
    ("repayment_due", "installment", "due.date"), ("repayment_due", "reserve_fund", "due.reserve_fund"),
])
def test_defaults_as_the_spec_lists(book, intent, product, expected):
    assert book.default_for(intent, product).id == expected
    assert len(DEFAULT_SLOTS) == 17


def test_default_lookups_refuse_what_has_none(book):
    with pytest.raises(KeyError, match="why_cannot_installment"):
        book.default_for("why_cannot_installment", "reserve_fund")  # routing sends it to reserve_fund_limit
    with pytest.raises(ValueError, match="unknown product 'loan'"):
        book.default_for("how_to_repay", "loan")
    assert book.get("rf.limit").default_intent == "credit_limit"
    assert book.get("limit.check").default_intent == "credit_limit"
    assert not any("account" in v.facts for q, _, v in variants(book) if not q.default)


def test_reserve_fund_variant_merges_over_the_main_answer(book):
    kb = load_knowledge()
    repay = book.get("repay.how")
    main, fund = repay.variant("installment"), repay.variant("reserve_fund")
    assert isinstance(fund, AnswerVariant)
    assert main.steps == kb.flow("repay").steps and fund.steps == kb.flow("reserve_fund_repay").steps
    assert "我的订单" in main.answer and "「备用金」" in fund.answer
    assert main.facts == ("account",) and fund.facts == ("reserve_fund", "auto_repay")
    limit = book.get("due.overdue_limit")  # the 备用金 entry only changes the facts
    assert limit.variant("reserve_fund").answer == limit.variant().answer
    assert limit.variant("reserve_fund").facts == ("reserve_fund",)
    wechat = book.get("repay.wechat")  # mentions fall back to the main ones
    assert wechat.variant("reserve_fund").mentions == ("微信", "零钱")
    failed = book.get("repay.failed")  # own steps replace the main steps
    assert failed.variant("reserve_fund").steps[1] == "换一张卡再试。"
    use = book.get("use.how")  # an installment-only question answers 备用金 with its main answer
    assert use.variant("reserve_fund") is use.variant()
    with pytest.raises(ValueError, match="unknown product"):
        use.variant("备用金")


def test_variants_only_where_the_product_is_served(book):
    for q, product, _ in variants(book):  # "installment" keys the main answer of every question
        assert product == "installment" or product in q.products
    with_fund = [q.id for q in book.questions if "reserve_fund" in q.variants]
    assert len(with_fund) >= 45


def test_placeholders_are_filled(book):
    for q, _, v in variants(book):
        assert "{" not in v.answer + "".join(v.steps) and "}" not in v.answer + "".join(v.steps), q.id
    assert "宽限期 0 天" in book.get("due.grace_period").variant().answer
    assert "23:59" in book.get("due.cutoff_time").variant().answer
    assert "不能用信用卡" in book.get("repay.credit_card").variant().answer
    assert "12 期，每期手续费是订单总额的 0.60%" in book.get("fees.rate_by_period").variant().answer
    assert "最高 100,000 元" in book.get("limit.max").variant().answer


def test_unconfirmed_note_appended_once_where_a_rule_is_quoted(book):
    quoting = [(q, v) for q, _, v in variants(book) if q.policy_rules and NOTE in v.answer]
    for q, _, v in variants(book):
        assert v.answer.count(NOTE) <= 1
        if NOTE in v.answer:
            assert v.answer.endswith(NOTE) and q.policy_rules
    assert len(quoting) >= 50
    limit = book.get("limit.max").variant().answer  # quotes confirmed seed facts only
    assert NOTE not in limit
    assert book.get("due.grace_period").policy_rules == ("grace_days", "repay_cutoff")
    raw_note = QUESTIONS_PATH.read_text(encoding="utf-8")
    assert NOTE not in raw_note  # never written by hand


def test_every_answer_names_what_was_asked(book):
    for q, product, v in variants(book):
        assert v.mentions, q.id
        missing = [m for m in v.mentions if m not in v.answer]
        assert missing == [], f"{q.id} ({product}) does not say {missing}"
    assert book.get("repay.credit_card").variant().answer.startswith("还款不能用信用卡")
    assert book.get("repay.credit_card").variant("reserve_fund").answer.startswith("备用金还款也不能用信用卡")


def test_answers_fit_a_message(book):
    for q, _, v in variants(book):
        assert len(v.answer) <= ANSWER_MAX + len(NOTE)
        assert len(v.answer) + sum(len(s) for s in v.steps) <= VARIANT_MAX, q.id
        message = "\n\n".join([v.answer, "\n".join(f"{i}. {s}" for i, s in enumerate(v.steps, 1))])
        assert len(message.encode("utf-8")) < WECHAT_BYTES - 300, q.id  # room for facts and a heading


def test_honest_answers_offer_a_person(book):
    honest = [q for q in book.questions if q.offer_human]
    assert len(honest) >= 30
    for q in honest:
        assert "为准" in q.variant().answer or "客服" in q.variant().answer, q.id
    # the undecided facts the spec names answer honestly
    for qid in ("rf.term", "rf.min_amount", "rf.arrival", "use.offline_store"):
        q = book.get(qid)
        assert q.offer_human and "没有确定" in q.variant().answer


def test_answers_agree_with_the_policy_and_the_account_model(book):
    rules = load_policy()
    fees = load_knowledge().fees
    assert fees.rate_for(3) == 0 and max(fees.periods) == 24  # "3 期免息，最长 24 期" (seed-000)
    assert all(fees.rate_for(a) < fees.rate_for(b) for a, b in zip(fees.periods, fees.periods[1:]))  # longer costs more
    # grace and cut-off as the account model counts overdue days (the due day itself is on time)
    due = date(2024, 6, 15)
    bill = Bill(period_no=1, due_date=due, principal=Decimal("100"), fee=Decimal("0"))
    grace = rules.value("grace_days")
    assert bill.overdue_days(due + timedelta(days=grace)) == 0 and bill.overdue_days(due + timedelta(days=grace + 1)) > 0
    # the fee formula the answers quote is the one the money module applies
    assert "订单金额 × 每期费率" in rules.value("fee_charging")
    answer = book.get("due.overdue_fee").variant().answer
    assert f"每天 {rules.rule('late_fee_daily_rate').text()}" in answer


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed articles not available")
def test_sentences_are_not_copied_from_the_articles(book):
    articles = "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    texts = [t for _, _, v in variants(book) for t in (v.answer, *v.steps)]
    copied = [t for t in texts if any(t[i:i + 14] in articles for i in range(len(t) - 13))]
    assert copied == []


# ---------------------------------------------------------------- validation (malformed copies)

def _parse(raw):
    return parse_questions(raw, load_knowledge())


@pytest.mark.parametrize("edit, message", [
    (lambda r: entry(r, "due.holiday").update(id="due.date"),
     r"questions\[\d+\]\.id: duplicate id 'due.date' \(first at questions\[\d+\]\)"),
    (lambda r: entry(r, "due.holiday").update(id="due-holiday"), r"\.id: bad id 'due-holiday'"),
    (lambda r: entry(r, "due.holiday").update(id="pay.holiday"), r"\.id: unknown id prefix in 'pay.holiday'"),
    (lambda r: entry(r, "due.holiday").update(intent="auto_repay"),
     r"\.intent: ids starting with 'due'\. belong to repayment_due, not auto_repay"),
    (lambda r: entry(r, "due.holiday").update(intent="greet"), r"\.intent: unknown intent 'greet'"),
    (lambda r: entry(r, "due.holiday").update(products=["loan"]), r"\.products\[0\]: unknown product 'loan'"),
    (lambda r: entry(r, "due.holiday").update(products=[]), r"\.products: ensure this value has at least 1 items"),
    (lambda r: entry(r, "due.holiday").update(title="还款日遇到节假日怎么办"),
     r"\.title: title must be 1\.\.10 characters \(a button label\), got 11"),
    (lambda r: entry(r, "repay.website").update(flow="pay_online"), r"\.flow: unknown flow 'pay_online'"),
    (lambda r: entry(r, "repay.website").update(steps=["登录官网。"]), r"\.flow: give steps or flow, not both"),
    (lambda r: entry(r, "due.holiday").update(source=["blog"]), r"\.source\[0\]: bad source 'blog'"),
    (lambda r: entry(r, "due.holiday").update(source=["seed-005"]), r"bad source 'seed-005'"),
    (lambda r: entry(r, "due.holiday").update(facts=["bills"]), r"\.facts\[0\]: unknown fact rule 'bills'"),
    (lambda r: entry(r, "due.holiday").update(facts=["account"]), r"'account' .* is only for default questions"),
    (lambda r: entry(r, "due.holiday").update(related=["due.nope"]), r"\.related\[0\]: unknown question id 'due.nope'"),
    (lambda r: entry(r, "due.holiday").update(related=["due.date", "due.amount", "due.reminder", "due.postpone"]),
     r"\.related: at most 3 related questions"),
    (lambda r: entry(r, "due.holiday").update(related=["due.holiday"]), r"a question is not related to itself"),
    (lambda r: entry(r, "due.holiday").update(default=["installment"]),
     r"\.default: repayment_due already has the default about installment: due\.date"),
    (lambda r: entry(r, "due.date").update(default=[], facts=["next_bill"]),
     r"questions: no default question for repayment_due/installment"),
    (lambda r: entry(r, "why.region").update(default=["reserve_fund"]),
     r"\.default: why_cannot_installment has no default about reserve_fund"),
    (lambda r: entry(r, "rf.limit").update(default_intent="reserve_fund_limit"), r"is the question's own intent"),
    (lambda r: entry(r, "due.after_overdue").update(reserve_fund={"answer": "备用金逾期还清后还能继续用吗以页面为准。"}),
     r"\.reserve_fund: a 备用金 variant needs reserve_fund among the products"),
    (lambda r: entry(r, "due.holiday").update(reserve_fund={}), r"\.reserve_fund: is empty"),
    (lambda r: entry(r, "due.holiday").update(answer="还款日遇到节假日{holiday}，请照常还款。"),
     r"\.answer: unknown placeholder \{holiday\}"),
    (lambda r: entry(r, "due.holiday").update(answer="还款日遇到节假日{Holiday_postpone}，请照常还款。"),
     r"\.answer: stray brace"),
    (lambda r: entry(r, "due.cutoff_time").update(steps=["当天 {repay_cut} 前还。"]),
     r"\.steps\[0\]: unknown placeholder \{repay_cut\}"),
    (lambda r: entry(r, "due.holiday").update(answer="还款日遇到节假日照常还款。" + NOTE),
     r"\.answer: the unconfirmed-rule note is appended by the loader"),
    (lambda r: entry(r, "due.holiday").update(source=["seed-001"]),
     r"\.source: quotes policy\.yml \(holiday_postpone\): cite local-policy"),
    (lambda r: entry(r, "repay.credit_card").update(answer="还款请用银行卡、微信支付或支付宝付款，别的方式不行。"),
     r"\.answer: the answer must name what was asked; it lacks 信用卡 \(mentions\)"),
    (lambda r: entry(r, "repay.credit_card")["reserve_fund"].update(answer="备用金还款请选储蓄卡等方式付款。"),
     r"\.reserve_fund\.answer: the answer must name what was asked; it lacks 信用卡"),
    (lambda r: entry(r, "repay.wechat")["reserve_fund"].update(mentions=["花呗"]),
     r"\.reserve_fund\.answer: the answer must name what was asked; it lacks 花呗"),
    (lambda r: entry(r, "due.holiday").update(answer="不顺延。"), r"\.answer: answer must be 8\.\.240 characters"),
    (lambda r: entry(r, "due.holiday").update(answer="节假日" * 81), r"answer must be 8\.\.240 characters .*got 243"),
    (lambda r: entry(r, "due.holiday").update(steps=["节假日照常还款，线上随时可以操作。" * 9] * 5),
     r"questions\[\d+\]: answer plus steps is \d+ characters, above 600"),
    (lambda r: entry(r, "due.holiday").pop("answer"), r"missing required field 'answer'"),
    (lambda r: entry(r, "due.holiday").pop("mentions"), r"missing required field 'mentions'"),
    (lambda r: entry(r, "due.holiday").update(mentions=[]), r"\.mentions: ensure this value has at least 1 items"),
    (lambda r: entry(r, "due.holiday").update(per_order="yes"), r"\.per_order: value is not a valid boolean"),
    (lambda r: entry(r, "due.holiday").update(shortcut="节假日"), r"\.shortcut: unknown field \(allowed: id, intent"),
])
def test_malformed_questions_are_reported(raw, edit, message):
    edit(raw)
    with pytest.raises(QuestionError, match=r"^questions\.yml: ") as err:
        _parse(raw)
    problems = [str(p) for p in err.value.problems]
    assert any(re.search(message, p) for p in problems), problems


def test_every_problem_is_listed(raw):
    entry(raw, "due.holiday")["related"] = ["due.nope"]
    entry(raw, "due.reminder")["answer"] = "会提醒您：还款日前 {reminder_days} 天。"
    with pytest.raises(QuestionError) as err:
        _parse(raw)
    assert len(err.value.problems) == 2 and "(and 1 more problem)" in str(err.value)


def test_errors_name_file_line_and_field(tmp_path, raw):
    entry(raw, "due.reminder")["answer"] = "会提醒您：还款日前 {reminder_days} 天。"
    path = tmp_path / "questions.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "{reminder_days}" in text)
    index = [q["id"] for q in raw["questions"]].index("due.reminder")
    with pytest.raises(QuestionError, match=re.escape(
            f"questions.yml: line {line}: questions[{index}].answer: unknown placeholder {{reminder_days}}")):
        load_questions(path)


def test_an_edited_file_loads_from_its_path(tmp_path, raw):
    entry(raw, "due.holiday")["title"] = "节假日"
    path = tmp_path / "questions.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert load_questions(path).get("due.holiday").title == "节假日"
