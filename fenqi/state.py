"""Account state as plain immutable values: what diagnosis and answers read.

The account store (``fenqi.accounts``) builds an :class:`AccountSnapshot` per request;
diagnosis and answer rendering are pure functions of it, so tests need no database.
Money is ``Decimal`` (yuan); dates are business dates (``date``), instants timezone-aware
``datetime`` (``fenqi.clock``: "today" is the business date of ``now``, whatever its zone).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Optional, Tuple

from fenqi import clock
from fenqi.policy import DEFAULT_MIN_CREDIT_RATING, DEFAULT_PERIODS

CREDIT_RATINGS = ("A", "B", "C", "D", "E")  # A is best
ACCOUNT_STATUSES = ("active", "frozen", "pending_verification")
CREDIT_STATUSES = ("active", "frozen", "closed")
RESERVE_FUND_STATUSES = ("active", "closed", "risk_hold")
SERVICES = ("installment", "reserve_fund", "repayment")
PAYMENT_METHODS = ("小米分期", "花呗", "信用卡", "银行卡", "微信", "支付宝", "备用金")
ZERO = Decimal("0")


def rating_below(rating: str, threshold: str) -> bool:
    """True when ``rating`` is worse than ``threshold`` (A best, E worst)."""
    return CREDIT_RATINGS.index(rating) > CREDIT_RATINGS.index(threshold)


@dataclass(frozen=True)
class User:
    user_id: str
    name: str
    region: str  # e.g. "北京", "上海", "海外-新加坡"
    credit_rating: str  # one of CREDIT_RATINGS
    account_status: str  # one of ACCOUNT_STATUSES
    identity_verified: bool = True  # 实名认证
    info_complete: bool = True  # 个人信息完整/未过期
    previous_credit_rating: Optional[str] = None  # set when the rating changed recently


@dataclass(frozen=True)
class Credit:
    """小米分期 credit line."""

    limit: Decimal
    used: Decimal
    status: str  # one of CREDIT_STATUSES
    partner: str  # partner institution funding the line, e.g. "小米消费金融"

    @property
    def available(self) -> Decimal:
        return max(self.limit - self.used, ZERO)


@dataclass(frozen=True)
class ReserveFund:
    """备用金 cash-credit reserve."""

    limit: Decimal
    used: Decimal
    status: str  # one of RESERVE_FUND_STATUSES

    @property
    def available(self) -> Decimal:
        return max(self.limit - self.used, ZERO)


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: Decimal
    installment_allowed: bool = True
    payment_methods: Tuple[str, ...] = ("小米分期", "花呗", "信用卡", "银行卡", "微信", "支付宝", "备用金")
    periods: Tuple[int, ...] = DEFAULT_PERIODS
    promotion_restriction: Optional[str] = None  # e.g. "秒杀活动商品不支持分期"


@dataclass(frozen=True)
class CartItem:
    product: Product
    quantity: int = 1

    @property
    def total(self) -> Decimal:
        return self.product.price * self.quantity


@dataclass(frozen=True)
class Bill:
    """One period of an installment plan."""

    period_no: int
    due_date: date
    principal: Decimal
    fee: Decimal
    paid: bool = False

    @property
    def amount(self) -> Decimal:
        return self.principal + self.fee

    def overdue_days(self, today: date) -> int:
        return 0 if self.paid or today <= self.due_date else (today - self.due_date).days


@dataclass(frozen=True)
class Order:
    """An order paid with 小米分期, with its installment plan."""

    order_id: str
    product_name: str
    total: Decimal
    periods: int
    fee_rate: Decimal  # fee per period as a fraction of the total, e.g. Decimal("0.006")
    created: date
    bills: Tuple[Bill, ...] = ()

    @property
    def unpaid_bills(self) -> Tuple[Bill, ...]:
        return tuple(b for b in self.bills if not b.paid)

    @property
    def next_bill(self) -> Optional[Bill]:
        unpaid = sorted(self.unpaid_bills, key=lambda b: b.due_date)
        return unpaid[0] if unpaid else None

    @property
    def remaining_principal(self) -> Decimal:
        return sum((b.principal for b in self.unpaid_bills), ZERO)

    @property
    def active(self) -> bool:
        return bool(self.unpaid_bills)

    def overdue_bills(self, today: date) -> Tuple[Bill, ...]:
        return tuple(b for b in self.bills if b.overdue_days(today) > 0)


@dataclass(frozen=True)
class AutoRepay:
    enabled: bool = False
    method: Optional[str] = None  # e.g. "招商银行储蓄卡(尾号 1234)"


@dataclass(frozen=True)
class MaintenanceWindow:
    service: str  # one of SERVICES
    start: datetime
    end: datetime
    note: str = ""

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class ServiceStatus:
    maintenance: Tuple[MaintenanceWindow, ...] = ()
    suspended_partners: Tuple[str, ...] = ()  # partner institutions that paused 分期
    restricted_regions: Tuple[str, ...] = ()  # regions where policy forbids 分期
    min_credit_rating: str = DEFAULT_MIN_CREDIT_RATING  # worst rating still allowed to use 分期 / 备用金

    def in_maintenance(self, service: str, moment: datetime) -> Optional[MaintenanceWindow]:
        return next((w for w in self.maintenance if w.service == service and w.covers(moment)), None)


@dataclass(frozen=True)
class AccountSnapshot:
    """Everything the bot may know about one verified user at one moment."""

    user: User
    now: datetime
    credit: Optional[Credit] = None  # None: 小米分期 not opened
    reserve_fund: Optional[ReserveFund] = None  # None: 备用金 not opened
    cart: Tuple[CartItem, ...] = ()  # the current checkout
    orders: Tuple[Order, ...] = ()
    auto_repay: AutoRepay = field(default_factory=AutoRepay)
    service: ServiceStatus = field(default_factory=ServiceStatus)

    @property
    def today(self) -> date:
        """The business date of ``now`` (Asia/Shanghai by default), never the server's or UTC's."""
        return clock.business_date(self.now)

    @property
    def cart_total(self) -> Decimal:
        return sum((i.total for i in self.cart), ZERO)

    @property
    def active_orders(self) -> Tuple[Order, ...]:
        return tuple(o for o in self.orders if o.active)
