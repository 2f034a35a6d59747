"""A known history for the NLU inbox, written the way Rasa and the actions store it (fenqi.analytics.demo),
and what the inbox must make of it — worked out by hand here, not by the code under test.

  conv  channel  shopper messages (predicted intent, confidence, next intent's confidence)  then
  A1    widget   "请教下分12期的话手续费一共收多少呀" (installment_fees .62, how_to_repay .30)   answered
                 "谢谢" (a training line: never in the inbox)
  A2    wechat   "请教下分24期的话手续费一共收多少呀" (installment_fees .58, early_repayment .35) answered
  A3    widget   the same as A1 with "？" (installment_fees .66, how_to_repay .20)               answered
  B1    widget   "那个东西怎么弄" (fallback; how_to_repay .30, repayment_due .28)   clarified
                 "转人工" (training line)                                          handed off, rated 1
  C1    rest     "我手机13812345678还款失败了" (how_to_repay .70, repay.how .6)       answered
  D1    widget   the first line of tests/nlu/holdout.yml (how_to_use_installment .90, use.how .8)
  E1    widget   "分期还款可以用信用卡吗求解答" (how_to_repay .97, auto_repay .01; repay.credit_card .95)
  F1    widget   "/credit_limit" (a button payload: never in the inbox)
  G1    widget   NEAR: the longest how_to_repay training line + "呀" (how_to_repay .93; its question .9)

Inbox: 7 items in 6 groups — A1+A3 are one item seen twice, A2 joins their group (digits folded);
B1, C1, D1, E1, G1 one group each. The phone number is stored masked (138****5678) and flagged.
An item's confidence is the mean of its sightings, its margin the smallest (A1+A3: .64, .32).
Need (fenqi/training/need.py), by hand:
  B1: uncertainty .70, fallback 1, boundary 1-.02/.2=.9, trouble (clarified 1 + handoff 1 + low 1)/1 → 1
      → (0.7+1+0.9+1)/4 × (1+0) = 0.900
  A:  seen 3, mean conf (.62+.66+.58)/3=.62 → .38; fallback 0; min margin .23 → 0; trouble 0
      → .38/4 × (1+log2 3) = 0.095 × 2.585 = 0.2456
  C1: .30, margin .70 → 0 → .30/4 = 0.075
  D1: .10/4 = 0.025 (margin .9)      E1: .03/4 = 0.0075      G1: .07/4 = 0.0175
So the order is B1, A, C1, D1, G1, E1.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fenqi.analytics import demo
from fenqi.db.engine import Store
from fenqi.handoff.reasons import AFTER_FALLBACK
from fenqi.nlp.training_data import EVALUATION_SETS, read_examples, training_examples

PHONE = "13812345678"
FEES_12, FEES_24, FEES_12Q = "请教下分12期的话手续费一共收多少呀", "请教下分24期的话手续费一共收多少呀", \
    "请教下分12期的话手续费一共收多少呀？"
UNCLEAR = "那个东西怎么弄"
PHONE_TEXT = f"我手机{PHONE}还款失败了"
CREDIT_CARD = "分期还款可以用信用卡吗求解答"


def holdout_line() -> str:
    return read_examples(EVALUATION_SETS["holdout"])[0].text


def near_training_line():
    """The longest how_to_repay training line with a standard question: G1 types it with 呀 added."""
    lines = [ex for ex in training_examples() if ex.intent == "how_to_repay" and ex.question and "reviewed" not in ex.source]
    return max(lines, key=lambda ex: (len(ex.text), ex.text))


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    """A Beijing wall-clock time in November 2026, aware in UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc) - timedelta(hours=8)


def history() -> demo.History:
    h = demo.History()
    h.chat("anon:a1", utc(10, 9)).say(FEES_12, "installment_fees", 0.62, 5, ranking=[("how_to_repay", 0.30)],
                                      question=("fees.rate_by_period", 0.7)).answer("installment_fees") \
        .say("谢谢", "thank", 0.97, 5).answer("thank")
    h.chat("wx:o" + "a2".ljust(27, "x"), utc(10, 10), "wechat").say(
        FEES_24, "installment_fees", 0.58, 5, ranking=[("early_repayment", 0.35)],
        question=("fees.rate_by_period", 0.6)).answer("installment_fees")
    h.chat("anon:a3", utc(10, 11)).say(FEES_12Q, "installment_fees", 0.66, 5, ranking=[("how_to_repay", 0.20)],
                                       question=("fees.rate_by_period", 0.8)).answer("installment_fees")
    h.chat("anon:b1", utc(10, 12)).say(UNCLEAR, "nlu_fallback", 0.3, 5,
                                       ranking=[("how_to_repay", 0.30), ("repayment_due", 0.28)]) \
        .clarify(options=("how_to_repay", "repayment_due")) \
        .say("转人工", "request_human", 0.98, 5).hand_off(AFTER_FALLBACK, accepted_after=30, rating=1)
    h.chat("rest:anon:c1", utc(10, 13), "rest").say(PHONE_TEXT, "how_to_repay", 0.70, 5,
                                                    question=("repay.how", 0.6)).answer("how_to_repay")
    h.chat("anon:d1", utc(10, 14)).say(holdout_line(), "how_to_use_installment", 0.90, 5,
                                       question=("use.how", 0.8)).answer("how_to_use_installment")
    h.chat("anon:e1", utc(10, 15)).say(CREDIT_CARD, "how_to_repay", 0.97, 5, ranking=[("auto_repay", 0.01)],
                                       question=("repay.credit_card", 0.95)).answer("how_to_repay")
    h.chat("anon:f1", utc(10, 16)).say("/credit_limit", "credit_limit", 1.0, 5).answer("credit_limit")
    near = near_training_line()
    h.chat("anon:g1", utc(10, 17)).say(near.text + "呀", "how_to_repay", 0.93, 5, question=(str(near.question), 0.9)) \
        .answer("how_to_repay")
    return h


def load(store: Store, tracker) -> demo.History:
    h = history()
    demo.write_events(tracker, h.rows)
    with store.session() as session:
        demo.write_tickets(session, h.tickets)
    return h


NOW = utc(11, 9)  # a day later: every message has settled
NEED = {"B1": 0.9, "A": 0.095 * 2.584962500721156, "C1": 0.075, "D1": 0.025, "G1": 0.0175, "E1": 0.0075}
