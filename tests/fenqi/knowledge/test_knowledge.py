import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from fenqi.knowledge import DEFAULT_PATH, Knowledge, KnowledgeError, load_knowledge, parse_knowledge

SEEDS = Path("/work/shared/seeds")


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge()


@pytest.fixture
def raw() -> dict:
    return copy.deepcopy(yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8")))


def codes_citing(kb, domain, seed):
    return {c.code for c in kb.causes[domain].values() if seed in c.sources}


def test_load_is_cached_per_path(kb):
    assert load_knowledge() is kb
    assert load_knowledge(DEFAULT_PATH) is kb


def test_every_seed_article_is_cited(kb):
    assert {"seed-000", "seed-001", "seed-002", "seed-003", "seed-004"} <= kb.all_sources()


@pytest.mark.parametrize("key, seed, n_steps", [
    ("use_installment", "seed-000", 5),  # seed 000 use flow
    ("repay", "seed-001", 5),  # seed 001 repay flow
    ("installment_remedies", "seed-001", 5),  # seed 001 "分期不了" remedies
    ("repay_detail", "seed-002", 6),  # seed 002 repay / early-repay steps
    ("reserve_fund_checklist", "seed-004", 5),
])
def test_seed_step_lists_are_covered(kb, key, seed, n_steps):
    flow = kb.flow(key)
    assert seed in flow.sources
    assert len(flow.steps) == n_steps


def test_use_flow_keeps_the_article_facts(kb):
    text = "".join(kb.flow("use_installment").steps)
    for fact in ("购物车", "结算", "小米分期", "3 期免息", "24 期", "确认付款", "指纹"):
        assert fact in text


def test_repay_flow_mentions_order_page_and_auto_repay(kb):
    text = "".join(kb.flow("repay").steps)
    for fact in ("登录", "我的订单", "分期中", "立即还款", "自动还款"):
        assert fact in text


def test_remedies_cover_all_five_from_seed_001(kb):
    text = "\n".join(kb.flow("installment_remedies").steps)
    for fact in ("额度", "实名认证", "银行", "第三方", "客服"):
        assert fact in text


def test_reserve_fund_intro_from_seed_002(kb):
    assert "seed-002" in kb.texts["reserve_fund_intro"].sources
    assert "小额" in kb.text("reserve_fund_intro")


@pytest.mark.parametrize("domain, seed, expected", [
    # seed 000: credit rating, limit, product, system/account problems, promotion
    ("installment", "seed-000", {"credit_rating", "limit_insufficient", "product_unsupported", "account_abnormal",
                                 "maintenance", "promotion"}),
    # seed 003: partner, maintenance, product/promotion, credit assessment, regional policy
    ("installment", "seed-003", {"partner", "maintenance", "product_unsupported", "promotion", "credit_rating",
                                 "region"}),
    # seed 004: maintenance, credit change, limit used up, product/promotion, account security
    ("reserve_fund", "seed-004", {"maintenance", "credit_change", "exhausted", "promotion", "account_security"}),
])
def test_seed_cause_lists_are_covered(kb, domain, seed, expected):
    assert expected <= codes_citing(kb, domain, seed)


@pytest.mark.parametrize("domain, code, title", [
    ("installment", "credit_rating", "信用评级不足"), ("installment", "limit_insufficient", "额度不足"),
    ("installment", "product_unsupported", "商品不支持分期"), ("installment", "account_abnormal", "账户状态异常"),
    ("installment", "maintenance", "系统维护中"), ("installment", "promotion", "促销活动限制"),
    ("installment", "region", "地区政策限制"), ("installment", "partner", "合作机构调整"),
    ("installment", "not_opened", "未开通小米分期"),
    ("reserve_fund", "maintenance", "系统维护中"), ("reserve_fund", "credit_change", "信用状况变化"),
    ("reserve_fund", "exhausted", "备用金额度已用完"), ("reserve_fund", "promotion", "促销活动限制"),
    ("reserve_fund", "account_security", "账户安全限制"), ("reserve_fund", "not_opened", "未开通备用金"),
])
def test_cause_titles_and_content(kb, domain, code, title):
    cause = kb.cause(domain, code)
    assert cause.title == title
    assert cause.explanation and cause.fixes and cause.sources


def test_fix_variants_come_first(kb):
    cause = kb.cause("installment", "account_abnormal")
    fixes = cause.fixes_for("frozen")
    assert fixes[0] == cause.fix_variants["frozen"][0]
    assert fixes[-len(cause.fixes):] == cause.fixes
    assert cause.fixes_for() == cause.fixes


def test_fee_policy_is_marked_demo_and_rises_with_length(kb):
    fees = kb.fees
    assert fees.demo and "演示" in fees.notice
    assert fees.periods == (3, 6, 12, 24)
    assert fees.rate_for(3) == 0 and fees.interest_free_periods() == (3,)
    assert 0 < fees.rate_for(6) < fees.rate_for(12) < fees.rate_for(24)
    assert (fees.limit_min, fees.limit_max) == (Decimal("1000"), Decimal("100000"))
    assert fees.early_repayment.charge_current_period_fee and fees.early_repayment.waive_later_fees
    assert "剩余本金" in fees.early_repayment.summary


def test_policy_sections_present(kb):
    assert kb.overdue.consequences and kb.overdue.advice and kb.overdue.late_fee_daily_rate > 0
    assert kb.flow("raise_limit").steps and kb.flow("open_installment").steps
    assert "客服" in kb.text("customer_service")
    assert kb.login.line("expired").startswith("登录已过期，请重新登录")
    assert kb.login.line("unknown_user").startswith("未找到与您登录身份对应的账户")
    assert kb.login.line(None) == kb.login.line("missing")


def _sentences(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _sentences(value)
    elif isinstance(node, list):
        for value in node:
            yield from _sentences(value)


def _longest_shared(sentence: str, text: str) -> int:
    best = 0
    for i in range(len(sentence)):
        j = i + best + 1
        while j <= len(sentence) and sentence[i:j] in text:
            best, j = j - i, j + 1
    return best


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed articles not available")
def test_sentences_are_not_copied_from_the_articles(raw):
    articles = "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    copied = [s for s in _sentences(raw) if len(s) > 14 and _longest_shared(s, articles) >= 14]
    assert copied == []


def test_missing_title_names_the_entry(raw):
    del raw["causes"]["installment"][1]["title"]
    with pytest.raises(KnowledgeError, match=r"faq\.yml: causes\.installment\[1\]: missing required field 'title'"):
        parse_knowledge(raw)


def test_missing_required_cause_is_reported(raw):
    raw["causes"]["reserve_fund"] = [c for c in raw["causes"]["reserve_fund"] if c["code"] != "exhausted"]
    with pytest.raises(KnowledgeError, match="exhausted"):
        parse_knowledge(raw)


def test_bad_source_is_reported(raw):
    raw["flows"]["repay"]["source"] = "blog"
    with pytest.raises(KnowledgeError, match=r"flows\.repay.*source"):
        parse_knowledge(raw)


@pytest.mark.parametrize("section, key, value", [
    ("fees", "per_period_rate", {3: "0"}), ("fees", "periods", [3]), ("fees", "demo", True),
    ("overdue", "late_fee_daily_rate", "0.0005"),
])
def test_values_live_in_the_policy_file_not_here(raw, section, key, value):
    raw[section][key] = value  # faq.yml keeps wording; values are policy.yml's
    with pytest.raises(KnowledgeError, match=rf"faq\.yml: {section}\.{key}: unknown field"):
        parse_knowledge(raw)


def test_empty_step_is_reported(raw):
    raw["flows"]["use_installment"]["steps"][2] = ""
    with pytest.raises(KnowledgeError, match=r"flows\.use_installment\.steps\[2\]"):
        parse_knowledge(raw)


def test_invalid_yaml_file_is_reported(tmp_path):
    path = tmp_path / "faq.yml"
    path.write_text("flows: [unclosed", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"faq\.yml: line 1: malformed YAML"):
        load_knowledge(path)


def test_edited_file_loads_from_path(tmp_path, raw):
    raw["fees"]["notice"] = "以下费率为测试数值。"
    path = tmp_path / "faq.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert load_knowledge(path).fees.notice == "以下费率为测试数值。"


def test_texts_quoting_the_limit_range_match_the_policy(kb):
    from fenqi import policy

    def yuan(amount):
        return f"{amount:,}"

    quoted = f"{yuan(policy.CREDIT_LIMIT_MIN)} 到 {yuan(policy.CREDIT_LIMIT_MAX)} 元"
    raw = DEFAULT_PATH.read_text(encoding="utf-8")
    assert raw.count(" 到 ") and raw.count("元之间") == raw.count(quoted + "之间") == 1
    assert quoted in kb.cause("installment", "not_opened").fixes[-1]
