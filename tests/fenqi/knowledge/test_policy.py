"""policy.yml: the one home of the local service rules, and what reads them."""
import copy
from datetime import date, timedelta
from decimal import Decimal

import pytest
import yaml

from fenqi.answers.early_repayment import payoff_quote
from fenqi.knowledge import (
    POLICY_PATH,
    PolicyError,
    load_knowledge,
    load_policy,
    load_questions,
    parse_knowledge,
    parse_policy,
)
from fenqi.knowledge.loader import DEFAULT_PATH
from fenqi.knowledge.policy_file import REQUIRED_RULES, SEED_VALUES
from fenqi.money import schedule_for
from fenqi.policy import DEFAULT_PERIODS
from fenqi.state import Bill, Order


@pytest.fixture(scope="module")
def rules():
    return load_policy()


@pytest.fixture
def raw() -> dict:
    return copy.deepcopy(yaml.safe_load(POLICY_PATH.read_text(encoding="utf-8")))


@pytest.fixture
def raw_faq() -> dict:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_bundled_policy_loads_cached_and_unconfirmed(rules):
    assert load_policy() is rules and load_policy(POLICY_PATH) is rules
    assert len(rules.rules) >= 20
    # nothing is confirmed by the business yet: every rule says so, and every rule says what it means
    assert all(not r.confirmed and r.meaning for r in rules.rules.values())
    assert "待确认" in rules.unconfirmed_note and "为准" in rules.unconfirmed_note


def test_every_rule_is_used_by_the_code_or_an_answer(rules):
    quoted = {name for q in load_questions().questions for name in q.policy_rules}
    unused = set(rules.rules) - quoted - set(REQUIRED_RULES)
    assert unused == set()


@pytest.mark.parametrize("name, shown", [
    ("grace_days", "0"), ("late_fee_daily_rate", "0.05%"), ("repay_cutoff", "23:59"),
    ("credit_card_repayment", "不能"), ("repayment_methods", "银行卡（储蓄卡）、微信支付、支付宝"),
    ("installment_periods", "3、6、12、24"), ("fee_rates", "3 期免息；6 期每期 0.50%；12 期每期 0.60%；24 期每期 0.70%"),
])
def test_values_read_as_answers_quote_them(rules, name, shown):
    assert rules.rule(name).text() == shown


def test_fill_quotes_rules_table_items_and_seed_facts(rules):
    text, used = rules.fill("宽限期 {grace_days} 天，12 期 {fee_rates.12}，最高 {limit_max} 元")
    assert text == "宽限期 0 天，12 期 0.60%，最高 100,000 元"
    assert used == ("grace_days", "fee_rates")  # seed facts are confirmed, not rules
    assert set(SEED_VALUES) == {"limit_min", "limit_max"}


@pytest.mark.parametrize("text, error, message", [
    ("{grace_day} 天", KeyError, "unknown placeholder {grace_day}"),
    ("{fee_rates.5}", KeyError, "no entry '5'"),
    ("{grace_days.1}", KeyError, "has no entries"),
    ("{ grace_days }", ValueError, "stray brace"),
    ("{GraceDays}", ValueError, "stray brace"),
])
def test_fill_refuses_unknown_placeholders(rules, text, error, message):
    with pytest.raises(error, match=message):
        rules.fill(text)


def test_fee_and_overdue_policies_read_the_policy_file(rules):
    kb = load_knowledge()
    assert kb.policy is rules
    assert kb.fees.periods == rules.value("installment_periods") == DEFAULT_PERIODS
    assert dict(kb.fees.rates) == dict(rules.value("fee_rates"))
    assert kb.fees.early_repayment.charge_current_period_fee is rules.value("early_repayment_current_fee")
    assert kb.fees.early_repayment.waive_later_fees is rules.value("early_repayment_later_fees_waived")
    assert kb.overdue.late_fee_daily_rate == rules.value("late_fee_daily_rate") == Decimal("0.0005")
    assert kb.fees.demo and kb.overdue.demo  # unconfirmed rules: answers show the demo notice


def kb_day(n):
    return date(2024, 1, 1) + timedelta(days=n)


def _write(tmp_path, raw, name="policy.yml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_an_edited_policy_changes_fees_quotes_and_overdue(tmp_path, raw):
    raw["rules"]["fee_rates"]["value"][6] = "0.0045"
    raw["rules"]["late_fee_daily_rate"]["value"] = "0.0010"
    raw["rules"]["early_repayment_later_fees_waived"]["value"] = False
    for name in ("installment_periods", "fee_rates", "early_repayment_current_fee",
                 "early_repayment_later_fees_waived", "late_fee_daily_rate"):
        raw["rules"][name]["confirmed"] = True
    kb = load_knowledge(policy_path=_write(tmp_path, raw))
    assert kb.fees.rate_for(6) == Decimal("0.0045")
    assert schedule_for(Decimal("3000"), 6, kb.fees).fee_per_period == Decimal("13.50")
    assert kb.overdue.late_fee_daily_rate == Decimal("0.0010")
    assert not kb.fees.demo and not kb.overdue.demo
    order = Order(order_id="A1", product_name="x", total=Decimal("300"), periods=3, fee_rate=Decimal("0.01"),
                  created=kb_day(0), bills=tuple(Bill(n, kb_day(n * 30), Decimal("100"), Decimal("3"))
                                                  for n in (1, 2, 3)))
    quote = payoff_quote(order, kb_day(1), kb.fees.early_repayment)
    assert quote.fees_due == Decimal("9") and quote.periods_waived == 0  # later fees no longer waived


def test_an_edited_policy_changes_the_answers(tmp_path, raw):
    raw["rules"]["grace_days"]["value"] = 3
    raw["rules"]["grace_days"]["confirmed"] = True
    raw["rules"]["repay_cutoff"]["confirmed"] = True
    book = load_questions(policy_path=_write(tmp_path, raw))
    answer = book.get("due.grace_period").variant().answer
    assert "宽限期 3 天" in answer and load_policy().unconfirmed_note not in answer  # all it quotes confirmed
    assert load_policy().unconfirmed_note in book.get("due.one_day_late").variant().answer  # late fee unconfirmed


@pytest.mark.parametrize("edit, message", [
    (lambda r: r["rules"]["fee_rates"]["value"].pop(12), r"rules\.fee_rates\.value: no rate for 12 periods"),
    (lambda r: r["rules"]["fee_rates"]["value"].update({9: "0.01"}),
     r"rules\.fee_rates\.value\.9: a rate for 9 periods, which installment_periods does not list"),
    (lambda r: r["rules"].pop("late_fee_daily_rate"), r"rules: missing rules \['late_fee_daily_rate'\]"),
    (lambda r: r["rules"]["grace_days"].pop("confirmed"), r"rules\.grace_days: missing required field 'confirmed'"),
    (lambda r: r["rules"]["grace_days"].update(confirmed="yes"), r"rules\.grace_days\.confirmed: value is not a valid bool"),
    (lambda r: r["rules"]["grace_days"].update(value=-1), r"rules\.grace_days\.value: must be a whole number of days"),
    (lambda r: r["rules"]["late_fee_daily_rate"].update(value="5%"), r"late_fee_daily_rate\.value: must be a rate"),
    (lambda r: r["rules"]["late_fee_daily_rate"].update(value="1.5"), r"must be at least 0 and below 1"),
    (lambda r: r["rules"]["repay_cutoff"].update(value="24:00"), r"repay_cutoff\.value: must be a time"),
    (lambda r: r["rules"]["credit_card_repayment"].update(value="no"), r"credit_card_repayment\.value: must be true or false"),
    (lambda r: r["rules"]["grace_days"].update(kind="weeks"), r"rules\.grace_days\.kind: unknown kind 'weeks'"),
    (lambda r: r["rules"]["grace_days"].update(shown_as={True: "是", False: "否"}),
     r"rules\.grace_days\.shown_as: only applies to kind yes_no"),
    (lambda r: r["rules"]["fee_rates"].update(kind="rate"), r"rules\.fee_rates"),
    (lambda r: r["rules"].update({"Grace": r["rules"]["grace_days"]}), r"rules\.Grace: bad rule name 'Grace'"),
    (lambda r: r["rules"].update({"limit_max": r["rules"]["grace_days"]}), r"seed fact kept in fenqi/policy\.py"),
    (lambda r: r.pop("unconfirmed_note"), r"missing required field 'unconfirmed_note'"),
])
def test_malformed_policy_is_reported(raw, edit, message):
    edit(raw)
    with pytest.raises(PolicyError, match=r"^policy\.yml: .*" + message):
        parse_policy(raw)


def test_policy_errors_name_the_line(tmp_path, raw):
    raw["rules"]["repay_cutoff"]["value"] = "9pm"
    path = _write(tmp_path, raw)
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "9pm" in text)
    with pytest.raises(PolicyError, match=rf"policy\.yml: line {line}: rules\.repay_cutoff\.value: must be a time"):
        load_policy(path)


def test_knowledge_parses_with_a_given_policy(raw, raw_faq):
    raw["rules"]["fee_rates"]["value"][24] = "0.0080"
    assert parse_knowledge(raw_faq, parse_policy(raw)).fees.rate_for(24) == Decimal("0.0080")


@pytest.mark.parametrize("where, rule", [
    (("fees", "early_repayment", "summary"), "early_repayment_current_fee"),
    (("fees", "early_repayment", "summary"), "early_repayment_later_fees_waived"),
    (("texts", "reserve_fund_auto_repay_scope", "text"), "auto_repay_shared"),
    (("texts", "reserve_fund_interest", "text"), "reserve_fund_interest_basis"),
    (("texts", "reserve_fund_early_fee", "text"), "reserve_fund_early_penalty"),
])
def test_faq_wording_that_restates_a_rule_agrees_with_it(rules, raw_faq, where, rule):
    text = raw_faq
    for key in where:
        text = text[key]
    assert rules.rule(rule).text() in text  # edit both together (docs/knowledge.md)
