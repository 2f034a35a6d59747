from dataclasses import replace
from decimal import Decimal

from fenqi.answers import answer


def test_no_problem_found_gives_checklist(account, kb):
    text = answer("why_cannot_installment", account).text
    assert "没有发现账户方面的问题" in text and "可用 ¥7,653.44" in text
    for i, step in enumerate(kb.flow("installment_remedies").steps, 1):
        assert f"{i}. {step}" in text


def test_causes_in_order_with_users_numbers(account, kb):
    user = replace(account.user, credit_rating="D")
    credit = replace(account.credit, used=Decimal("8500"))
    text = answer("why_cannot_installment", replace(account, user=user, credit=credit)).text
    assert text.index("【信用评级不足】") < text.index("【额度不足】")
    assert "您的可用额度 ¥388.00 低于结算金额 ¥3,999.00" in text
    assert "D 级" in text and "没有发现" not in text
    assert kb.cause("installment", "limit_insufficient").fixes[0] in text


def test_not_opened(account):
    text = answer("why_cannot_installment", replace(account, credit=None)).text
    assert text.count("【") == 1 and "【未开通小米分期】" in text


def test_anonymous_lists_common_causes_and_checklist(kb):
    text = answer("why_cannot_installment", None).text
    assert "【合作机构调整】" in text and "【地区政策限制】" in text
    assert kb.flow("installment_remedies").steps[-1] in text
