"""Declarative models of the account store (SQLAlchemy 1.4, used 2.0-style).

Allowed values come from :mod:`fenqi.state` and are enforced by CHECK constraints, so a
row that ``fenqi.accounts.repository`` reads can always become a valid snapshot value.
Money is ``NUMERIC(12, 2)`` read back as ``Decimal``; instants are ``UtcDateTime`` (stored in UTC,
read back timezone-aware); business dates (``Date``) are dates of the business zone (fenqi.clock).
"""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import declarative_base, relationship

from fenqi.db.types import Money, Rate, UtcDateTime
from fenqi.policy import CREDIT_LIMIT_MAX, CREDIT_LIMIT_MIN, DEFAULT_MIN_CREDIT_RATING, MAX_PERIODS, MIN_PERIODS
from fenqi.state import (
    ACCOUNT_STATUSES,
    CREDIT_RATINGS,
    CREDIT_STATUSES,
    PAYMENT_METHODS,
    RESERVE_FUND_STATUSES,
    SERVICES,
)

Base: Any = declarative_base()
PERIODS_RANGE = f"periods BETWEEN {MIN_PERIODS} AND {MAX_PERIODS}"


def one_of(column: str, values: Iterable[str], nullable: bool = False) -> str:
    """SQL text for ``column IN (...)`` (optionally allowing NULL)."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    check = f"{column} IN ({quoted})"
    return f"{column} IS NULL OR {check}" if nullable else check


def _user_fk(nullable: bool = False, primary_key: bool = False) -> Column:
    return Column(String(64), ForeignKey("users.user_id", ondelete="CASCADE"),
                  nullable=nullable, primary_key=primary_key)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("length(user_id) > 0", name="user_id_not_empty"),
        CheckConstraint(one_of("credit_rating", CREDIT_RATINGS), name="credit_rating_valid"),
        CheckConstraint(one_of("previous_credit_rating", CREDIT_RATINGS, nullable=True),
                        name="previous_credit_rating_valid"),
        CheckConstraint(one_of("account_status", ACCOUNT_STATUSES), name="account_status_valid"),
    )

    user_id = Column(String(64), primary_key=True)
    name = Column(String(64), nullable=False)
    region = Column(String(64), nullable=False)
    credit_rating = Column(String(1), nullable=False)
    previous_credit_rating = Column(String(1), nullable=True)
    account_status = Column(String(32), nullable=False, default="active")
    identity_verified = Column(Boolean, nullable=False, default=True)
    info_complete = Column(Boolean, nullable=False, default=True)

    credit = relationship("CreditLine", uselist=False, cascade="all, delete-orphan",
                          passive_deletes=True)
    reserve_fund = relationship("ReserveFundAccount", uselist=False, cascade="all, delete-orphan",
                                passive_deletes=True)
    auto_repay = relationship("AutoRepaySetting", uselist=False, cascade="all, delete-orphan",
                              passive_deletes=True)
    cart_items = relationship("CartItem", cascade="all, delete-orphan", passive_deletes=True,
                              order_by="CartItem.sku")
    orders = relationship("Order", cascade="all, delete-orphan", passive_deletes=True,
                          order_by="(Order.created, Order.order_id)")


class CreditLine(Base):
    """小米分期 credit line (at most one per user)."""

    __tablename__ = "credit_lines"
    __table_args__ = (
        CheckConstraint(f"credit_limit BETWEEN {CREDIT_LIMIT_MIN} AND {CREDIT_LIMIT_MAX}",
                        name="credit_limit_range"),
        CheckConstraint("used >= 0", name="credit_used_not_negative"),
        CheckConstraint(one_of("status", CREDIT_STATUSES), name="credit_status_valid"),
        CheckConstraint("length(partner) > 0", name="credit_partner_not_empty"),
    )

    user_id = _user_fk(primary_key=True)
    limit = Column("credit_limit", Money(), nullable=False)
    used = Column(Money(), nullable=False, default=0)
    status = Column(String(16), nullable=False, default="active")
    partner = Column(String(64), nullable=False)


class ReserveFundAccount(Base):
    """备用金 cash-credit reserve (at most one per user)."""

    __tablename__ = "reserve_funds"
    __table_args__ = (
        CheckConstraint("fund_limit >= 0", name="reserve_limit_not_negative"),
        CheckConstraint("used >= 0", name="reserve_used_not_negative"),
        CheckConstraint(one_of("status", RESERVE_FUND_STATUSES), name="reserve_status_valid"),
    )

    user_id = _user_fk(primary_key=True)
    limit = Column("fund_limit", Money(), nullable=False)
    used = Column(Money(), nullable=False, default=0)
    status = Column(String(16), nullable=False, default="active")


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("length(sku) > 0", name="sku_not_empty"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    sku = Column(String(64), primary_key=True)
    name = Column(String(128), nullable=False)
    price = Column(Money(), nullable=False)
    installment_allowed = Column(Boolean, nullable=False, default=True)
    promotion_restriction = Column(Text, nullable=True)

    payment_methods = relationship("ProductPaymentMethod", cascade="all, delete-orphan",
                                   passive_deletes=True)
    periods = relationship("ProductPeriod", cascade="all, delete-orphan", passive_deletes=True,
                           order_by="ProductPeriod.periods")


class ProductPaymentMethod(Base):
    """One payment method accepted for a product."""

    __tablename__ = "product_payment_methods"
    __table_args__ = (CheckConstraint(one_of("method", PAYMENT_METHODS), name="method_valid"),)

    sku = Column(String(64), ForeignKey("products.sku", ondelete="CASCADE"), primary_key=True)
    method = Column(String(16), primary_key=True)


class ProductPeriod(Base):
    """One installment plan length (number of periods) offered for a product."""

    __tablename__ = "product_periods"
    __table_args__ = (CheckConstraint(PERIODS_RANGE, name="periods_range"),)

    sku = Column(String(64), ForeignKey("products.sku", ondelete="CASCADE"), primary_key=True)
    periods = Column(Integer, primary_key=True, autoincrement=False)


class CartItem(Base):
    """A line of the user's current checkout."""

    __tablename__ = "cart_items"
    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity_positive"),)

    user_id = _user_fk(primary_key=True)
    sku = Column(String(64), ForeignKey("products.sku", ondelete="CASCADE"), primary_key=True)
    quantity = Column(Integer, nullable=False, default=1)

    product = relationship("Product", lazy="joined")


class Order(Base):
    """An order paid with 小米分期."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("length(order_id) > 0", name="order_id_not_empty"),
        CheckConstraint("total > 0", name="order_total_positive"),
        CheckConstraint(PERIODS_RANGE, name="order_periods_range"),
        CheckConstraint("fee_rate >= 0 AND fee_rate < 1", name="fee_rate_range"),
    )

    order_id = Column(String(64), primary_key=True)
    user_id = _user_fk()
    product_name = Column(String(128), nullable=False)
    total = Column(Money(), nullable=False)
    periods = Column(Integer, nullable=False)
    fee_rate = Column(Rate(), nullable=False, default=0)
    created = Column(Date, nullable=False)

    bills = relationship("Bill", cascade="all, delete-orphan", passive_deletes=True,
                         order_by="Bill.period_no")


class Bill(Base):
    """One period of an order's installment plan."""

    __tablename__ = "bills"
    __table_args__ = (
        CheckConstraint("period_no >= 1", name="period_no_positive"),
        CheckConstraint("principal >= 0", name="principal_not_negative"),
        CheckConstraint("fee >= 0", name="fee_not_negative"),
    )

    order_id = Column(String(64), ForeignKey("orders.order_id", ondelete="CASCADE"),
                      primary_key=True)
    period_no = Column(Integer, primary_key=True, autoincrement=False)
    due_date = Column(Date, nullable=False)
    principal = Column(Money(), nullable=False)
    fee = Column(Money(), nullable=False, default=0)
    paid = Column(Boolean, nullable=False, default=False)


class AutoRepaySetting(Base):
    __tablename__ = "auto_repay"

    user_id = _user_fk(primary_key=True)
    enabled = Column(Boolean, nullable=False, default=False)
    method = Column(String(128), nullable=True)


class MaintenanceWindow(Base):
    """Planned downtime of a service. ``user_id`` set: applies to that user only (demos)."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (
        CheckConstraint(one_of("service", SERVICES), name="service_valid"),
        CheckConstraint("end_at > start_at", name="window_ends_after_start"),
    )

    id = Column(Integer, primary_key=True)
    service = Column(String(16), nullable=False)
    start = Column("start_at", UtcDateTime(), nullable=False)
    end = Column("end_at", UtcDateTime(), nullable=False)
    note = Column(Text, nullable=False, default="")
    user_id = _user_fk(nullable=True)


class PartnerSuspension(Base):
    """A partner institution that has paused 小米分期."""

    __tablename__ = "partner_suspensions"
    __table_args__ = (CheckConstraint("length(partner) > 0", name="partner_not_empty"),)

    partner = Column(String(64), primary_key=True)


class RegionPolicy(Base):
    """A region where policy forbids 小米分期."""

    __tablename__ = "region_policies"
    __table_args__ = (CheckConstraint("length(region) > 0", name="region_not_empty"),)

    region = Column(String(64), primary_key=True)


class PolicySettings(Base):
    """Single row (id = 1) of service-wide policy values."""

    __tablename__ = "policy_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint(one_of("min_credit_rating", CREDIT_RATINGS), name="min_rating_valid"),
    )

    id = Column(Integer, primary_key=True, default=1, autoincrement=False)
    min_credit_rating = Column(String(1), nullable=False, default=DEFAULT_MIN_CREDIT_RATING)


class WechatBinding(Base):
    """A WeChat openid bound to a user (for the WeChat channel)."""

    __tablename__ = "wechat_bindings"
    __table_args__ = (CheckConstraint("length(openid) > 0", name="openid_not_empty"),)

    openid = Column(String(64), primary_key=True)
    user_id = _user_fk()
    bound_at = Column(UtcDateTime(), nullable=False)


class BindingCode(Base):
    """A one-time code a user enters in WeChat to bind their openid."""

    __tablename__ = "binding_codes"
    __table_args__ = (CheckConstraint("length(code) > 0", name="code_not_empty"),)

    code = Column(String(32), primary_key=True)
    user_id = _user_fk()
    expires_at = Column(UtcDateTime(), nullable=False)
    used = Column(Boolean, nullable=False, default=False)


class BindingAttempt(Base):
    """Binding attempts per key in the current window (issue #11): ``openid:<hash>``,
    ``code:<hash>`` and ``global``; counted atomically in the store, shared by every process."""

    __tablename__ = "binding_attempts"
    __table_args__ = (CheckConstraint("attempts >= 0", name="attempts_not_negative"),)

    key = Column(String(80), primary_key=True)
    window_start = Column(UtcDateTime(), nullable=False)
    attempts = Column(Integer, nullable=False, default=0)


TICKET_STATUSES = ("open", "closed")


class HandoffTicket(Base):
    """A conversation handed over to a human agent (fenqi.handoff). At most one open per sender."""

    __tablename__ = "handoff_tickets"
    __table_args__ = (
        CheckConstraint(one_of("status", TICKET_STATUSES), name="ticket_status_valid"),
        CheckConstraint("(status = 'open' AND closed_at IS NULL) OR "
                        "(status = 'closed' AND closed_at IS NOT NULL)", name="ticket_closed_at_matches"),
        CheckConstraint("length(sender_id) > 0", name="ticket_sender_not_empty"),
        Index("one_open_ticket_per_sender", "sender_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("handoff_tickets_by_sender", "sender_id", "id"),  # a shopper's tickets (outbox, #21)
    )

    id = Column(Integer, primary_key=True)
    user_id = Column(String(64), ForeignKey("users.user_id", ondelete="SET NULL"), nullable=True)
    channel = Column(String(32), nullable=True)
    sender_id = Column(String(255), nullable=False)
    summary = Column(String(255), nullable=False, default="")
    transcript = Column(JSON, nullable=False, default=list)  # [{"speaker": "user"|"bot", "text": masked}]
    status = Column(String(8), nullable=False, default="open")
    created_at = Column(UtcDateTime(), nullable=False)
    closed_at = Column(UtcDateTime(), nullable=True)
    # why the bot handed over (fenqi.handoff.reasons: asked, after_fallback, fallback_ladder); NULL
    # for tickets opened before it was recorded. Added by ALTER TABLE (no rebuild), hence last.
    reason = Column(String(16), nullable=True)


# --- live agent takeover (fenqi.handoff.takeover, the agent console) ---------------------------

TAKEOVER_STATES = ("queued", "accepted", "returned", "closed")
MESSAGE_AUTHORS = ("shopper", "agent", "system")
MESSAGE_KINDS = ("text", "rating_request")
DELIVERY_STATES = ("received", "pending", "delivered", "failed")


class Agent(Base):
    """A customer-service agent who signs in to the console (password: argon2id hash only)."""

    __tablename__ = "agents"
    __table_args__ = (CheckConstraint("length(name) > 0", name="agent_name_not_empty"),)

    id = Column(Integer, primary_key=True)
    name = Column(String(32), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(UtcDateTime(), nullable=False)
    last_seen_at = Column(UtcDateTime(), nullable=True)  # last console request: "an agent is online"


AGENT_ROLES = ("lead", "trainer")  # lead: analytics and conversation review; trainer: NLU inbox


class AgentRole(Base):
    """A role granted to an agent (``python -m fenqi agents grant NAME ROLE``); none = a plain agent."""

    __tablename__ = "agent_roles"
    __table_args__ = (CheckConstraint(one_of("role", AGENT_ROLES), name="agent_role_valid"),)

    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    role = Column(String(16), primary_key=True)


class AgentSession(Base):
    """A signed-in console session: only the SHA-256 of the cookie's token is stored."""

    __tablename__ = "agent_sessions"

    token_hash = Column(String(64), primary_key=True)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(UtcDateTime(), nullable=False)
    expires_at = Column(UtcDateTime(), nullable=False)


class TicketTakeover(Base):
    """The takeover state of one ticket (1:1 with ``handoff_tickets``; no row = queued)."""

    __tablename__ = "ticket_takeovers"
    __table_args__ = (
        CheckConstraint(one_of("state", TAKEOVER_STATES), name="takeover_state_valid"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="takeover_rating_valid"),
        CheckConstraint("state <> 'accepted' OR agent_id IS NOT NULL", name="takeover_accepted_has_agent"),
    )

    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id", ondelete="CASCADE"), primary_key=True)
    state = Column(String(10), nullable=False, default="queued")
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"), nullable=True)
    served = Column(Boolean, nullable=False, default=False)
    rating = Column(Integer, nullable=True)
    rating_offered = Column(Boolean, nullable=False, default=False)  # the last thing asked was a rating
    accepted_at = Column(UtcDateTime(), nullable=True)
    ended_at = Column(UtcDateTime(), nullable=True)
    last_inbound_at = Column(UtcDateTime(), nullable=True)  # the shopper's last message (WeChat's 48 h window)


class TicketMessage(Base):
    """The live conversation of a ticket: shopper, agent and system messages, with delivery state."""

    __tablename__ = "ticket_messages"
    __table_args__ = (
        CheckConstraint(one_of("author", MESSAGE_AUTHORS), name="ticket_message_author_valid"),
        CheckConstraint(one_of("kind", MESSAGE_KINDS), name="ticket_message_kind_valid"),
        CheckConstraint(one_of("delivery", DELIVERY_STATES), name="ticket_message_delivery_valid"),
        Index("ticket_messages_by_ticket", "ticket_id", "id"),
        Index("ticket_messages_pending", "delivery", "id"),
        Index("ticket_messages_pending_by_ticket", "ticket_id", "delivery", "id"),  # outbox per recipient (#21)
    )

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id", ondelete="CASCADE"), nullable=False)
    author = Column(String(8), nullable=False)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"), nullable=True)
    kind = Column(String(16), nullable=False, default="text")
    text = Column(Text, nullable=False)
    created_at = Column(UtcDateTime(), nullable=False)
    delivery = Column(String(10), nullable=False)  # shopper: received; to the shopper: pending -> ...
    delivered_at = Column(UtcDateTime(), nullable=True)
    delivery_error = Column(String(64), nullable=True)


class TokenRevocation(Base):
    """A user signed out (issue 21): their tokens issued up to ``revoked_before`` are refused
    (``fenqi.identity.Revocations``); one row per user, moved forward by each sign-out."""

    __tablename__ = "token_revocations"
    __table_args__ = (CheckConstraint("length(user_id) > 0", name="revocation_user_not_empty"),)

    user_id = Column(String(64), primary_key=True)
    revoked_before = Column(UtcDateTime(), nullable=False)


# --- analytics and conversation review (fenqi.analytics, the console's lead pages) -------------

REVIEW_TAGS = ("答非所问", "应转人工", "知识缺失")  # fixed tags; free-text tags are allowed beside them


class AnalyticsConversation(Base):
    """One conversation (a Rasa session of one sender) as counted by analytics: a rollup derived
    from the tracker store's events (``fenqi.analytics.rollup``), rebuilt with
    ``python -m fenqi analytics rebuild``. ``id`` is the tracker event id that starts it."""

    __tablename__ = "analytics_conversations"
    __table_args__ = (
        Index("analytics_conversations_by_day", "day", "channel"),
        Index("analytics_conversations_by_sender", "sender_id", "id"),
    )

    id = Column(Integer, primary_key=True, autoincrement=False)
    sender_id = Column(String(255), nullable=False)  # to attach tickets and read events; never shown
    channel = Column(String(8), nullable=False)
    day = Column(Date, nullable=False)               # business date (Asia/Shanghai) of the start
    started_at = Column(UtcDateTime(), nullable=False)
    last_at = Column(UtcDateTime(), nullable=False)  # the newest event folded in
    last_event_id = Column(Integer, nullable=False)
    open_turn_id = Column(Integer, nullable=True)    # the shopper message whose reply is still coming
    messages = Column(Integer, nullable=False, default=0)
    fallbacks = Column(Integer, nullable=False, default=0)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id", ondelete="SET NULL"), nullable=True)


class AnalyticsTurn(Base):
    """One shopper message of a conversation, as analytics counts it (no text: that stays in the
    tracker store). ``id`` is the tracker event id of the message."""

    __tablename__ = "analytics_turns"
    __table_args__ = (
        Index("analytics_turns_by_day", "day", "channel"),
        Index("analytics_turns_by_conversation", "conversation_id", "intent"),
    )

    id = Column(Integer, primary_key=True, autoincrement=False)
    conversation_id = Column(Integer, ForeignKey("analytics_conversations.id", ondelete="CASCADE"),
                             nullable=False)
    day = Column(Date, nullable=False)
    at = Column(UtcDateTime(), nullable=False)
    channel = Column(String(8), nullable=False)
    intent = Column(String(64), nullable=False)      # "" when the message had none
    confidence = Column(Float, nullable=True)
    guess = Column(String(64), nullable=False)       # the likeliest answerable intent (fallback analysis)
    question_id = Column(String(64), nullable=True)  # parse_data.question.id (second NLU stage)
    question = Column(Boolean, nullable=False)       # a question, not small talk or a request for a human
    fallback = Column(Boolean, nullable=False)       # clarifying question or out_of_scope
    clarified = Column(Boolean, nullable=False)      # the reply asked "您是想问…"
    latency_ms = Column(Integer, nullable=True)      # to the bot's first reply


class AnalyticsCursor(Base):
    """Single row (id = 1): how far the rollup has read the tracker's events and the tickets.
    ``horizon_*``: the newest event id seen and when (PostgreSQL commits ids out of order);
    ``events_until``: how far in time the folded events reach (a ticket waits for that)."""

    __tablename__ = "analytics_cursor"
    __table_args__ = (CheckConstraint("id = 1", name="analytics_cursor_single_row"),)

    id = Column(Integer, primary_key=True, default=1, autoincrement=False)
    last_event_id = Column(Integer, nullable=False, default=0)
    last_ticket_id = Column(Integer, nullable=False, default=0)
    horizon_event_id = Column(Integer, nullable=False, default=0)
    horizon_at = Column(UtcDateTime(), nullable=True)
    events_until = Column(UtcDateTime(), nullable=True)  # the time of the newest event folded
    updated_at = Column(UtcDateTime(), nullable=True)


class ConversationReview(Base):
    """A lead's review of one conversation: tags (fixed and free text) and whether it was reviewed.
    Not a foreign key to the rollup: a rebuild must not drop reviews."""

    __tablename__ = "conversation_reviews"

    conversation_id = Column(Integer, primary_key=True, autoincrement=False)
    tags = Column(JSON, nullable=False, default=list)  # ["答非所问", "利率说明不清", ...]
    reviewed = Column(Boolean, nullable=False, default=False)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"), nullable=True)
    updated_at = Column(UtcDateTime(), nullable=False)


# --- the training loop: NLU inbox and model releases (fenqi.training, issue #20) ----------------

INBOX_DECISIONS = ("open", "confirmed", "relabelled", "out_of_scope", "discarded")
INBOX_STATES = ("new", "accepted", "blocked", "discarded", "exported")
RELEASE_ACTIONS = ("baseline", "promote", "rollback")


class InboxGroup(Base):
    """Near-identical inbox messages, labelled by one decision of a trainer (``/inbox``)."""

    __tablename__ = "nlu_inbox_groups"
    __table_args__ = (
        CheckConstraint(one_of("decision", INBOX_DECISIONS), name="inbox_decision_valid"),
        Index("nlu_inbox_groups_by_decision", "decision", "id"),
    )

    id = Column(Integer, primary_key=True)
    decision = Column(String(12), nullable=False, default="open")
    intent = Column(String(64), nullable=True)       # the label decided (confirmed, relabelled, out_of_scope)
    question = Column(String(64), nullable=True)     # its standard question (questions.yml id)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"), nullable=True)
    decided_at = Column(UtcDateTime(), nullable=True)     # UTC
    created_at = Column(UtcDateTime(), nullable=False)    # UTC


class InboxItem(Base):
    """One distinct shopper message (masked) the model was not trained on, with what the model made of
    it when it was last seen and how often it was seen, fell back, was clarified."""

    __tablename__ = "nlu_inbox_items"
    __table_args__ = (
        CheckConstraint(one_of("state", INBOX_STATES), name="inbox_state_valid"),
        Index("nlu_inbox_items_by_group", "group_id"),
        Index("nlu_inbox_items_by_state", "state", "id"),
    )

    id = Column(Integer, primary_key=True)
    group_id = Column(Integer, ForeignKey("nlu_inbox_groups.id", ondelete="CASCADE"), nullable=False)
    text = Column(String(500), nullable=False)        # masked (fenqi.privacy) before it was stored
    key = Column(String(64), nullable=False, unique=True)  # SHA-256 of the normalised masked text
    channel = Column(String(8), nullable=False)       # where it was first seen (provenance)
    intent = Column(String(64), nullable=False)       # predicted (latest): the likeliest intent but the fallback
    confidence = Column(Float, nullable=False)        # its mean confidence over the sightings
    margin = Column(Float, nullable=False)            # the smallest top-1 minus top-2 intent confidence
    question_id = Column(String(64), nullable=True)   # predicted standard question
    question_confidence = Column(Float, nullable=True)
    seen = Column(Integer, nullable=False, default=1)
    fallbacks = Column(Integer, nullable=False, default=0)
    clarified = Column(Integer, nullable=False, default=0)
    first_at = Column(UtcDateTime(), nullable=False)       # UTC
    last_at = Column(UtcDateTime(), nullable=False)        # UTC
    personal = Column(String(64), nullable=True)      # what still looks personal after masking (never trained on)
    state = Column(String(10), nullable=False, default="new")
    note = Column(String(500), nullable=True)         # why a guard blocked it
    exported_at = Column(UtcDateTime(), nullable=True)


class InboxSighting(Base):
    """Which shopper message (tracker event id = analytics turn id) was which inbox item: how the
    conversation went on (a ticket, a low rating) is read through it."""

    __tablename__ = "nlu_inbox_sightings"
    __table_args__ = (Index("nlu_inbox_sightings_by_item", "item_id"),)

    turn_id = Column(Integer, primary_key=True, autoincrement=False)
    item_id = Column(Integer, ForeignKey("nlu_inbox_items.id", ondelete="CASCADE"), nullable=False)
    conversation_id = Column(Integer, nullable=False)  # analytics conversation (not a key: it is rebuilt)


class InboxCursor(Base):
    """Single row (id = 1): the last analytics turn the inbox has looked at."""

    __tablename__ = "nlu_inbox_cursor"
    __table_args__ = (CheckConstraint("id = 1", name="nlu_inbox_cursor_single_row"),)

    id = Column(Integer, primary_key=True, default=1, autoincrement=False)
    last_turn_id = Column(Integer, nullable=False, default=0)
    updated_at = Column(UtcDateTime(), nullable=True)


class ModelRelease(Base):
    """Which model the Rasa instances serve: the newest row is live (``python -m fenqi model promote``,
    ``rollback``). ``model`` is a file of ``models/history/``; ``previous_id`` the release that was live
    before this one (where a rollback returns); ``gate`` the gate record it was promoted with."""

    __tablename__ = "model_releases"
    __table_args__ = (CheckConstraint(one_of("action", RELEASE_ACTIONS), name="model_release_action_valid"),)

    id = Column(Integer, primary_key=True)
    action = Column(String(10), nullable=False)
    model = Column(String(255), nullable=False)
    sha256 = Column(String(64), nullable=False)
    previous_id = Column(Integer, ForeignKey("model_releases.id", ondelete="SET NULL"), nullable=True)
    gate = Column(JSON, nullable=True)
    by = Column(String(64), nullable=False)
    created_at = Column(UtcDateTime(), nullable=False)     # UTC: live since
    rollout = Column(JSON, nullable=True)             # per instance: url, seconds, ok
