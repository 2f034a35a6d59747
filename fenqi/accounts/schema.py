"""Validate accounts data (as parsed from YAML) into :mod:`fenqi.state` values.

The file's shape is a set of pydantic models (:mod:`fenqi.datafile`, one error style for every
data file); :func:`validate_accounts` touches the database only through the two lookups it is
given, collects every problem and raises :class:`AccountsFileError` when there is any, so callers
write only fully valid data. The schema is documented in ``docs/accounts.md``.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from pydantic import root_validator, validator

from fenqi import clock, state
from fenqi.accounts import relative_time
from fenqi.accounts.errors import AccountsFileError, Problem
from fenqi.datafile import Invalid, Path, Record, format_path, line_of, show, validate
from fenqi.money import plan_bills
from fenqi.policy import (
    CREDIT_LIMIT_MAX,
    CREDIT_LIMIT_MIN,
    DEFAULT_MIN_CREDIT_RATING,
    DEFAULT_PARTNER,
    DEFAULT_PERIODS,
    MAX_PERIODS,
)

_NOW: ContextVar[datetime] = ContextVar("accounts_now")  # relative dates resolve against this


# ---------------------------------------------------------------- validated entries

@dataclass(frozen=True)
class UserEntry:
    """A user with everything the file says about them (replaces their stored state)."""

    user: state.User
    credit: Optional[state.Credit]
    reserve_fund: Optional[state.ReserveFund]
    cart: Tuple[Tuple[str, int], ...]  # (sku, quantity)
    auto_repay: state.AutoRepay


@dataclass(frozen=True)
class OrderEntry:
    user_id: str
    order: state.Order


@dataclass(frozen=True)
class WindowEntry:
    window: state.MaintenanceWindow
    user_id: Optional[str] = None  # None: applies to everyone


@dataclass(frozen=True)
class ServiceEntry:
    windows: Tuple[WindowEntry, ...]
    suspended_partners: Tuple[str, ...]
    restricted_regions: Tuple[str, ...]
    min_credit_rating: str


@dataclass(frozen=True)
class AccountsData:
    products: Tuple[state.Product, ...] = ()
    users: Tuple[UserEntry, ...] = ()
    orders: Tuple[OrderEntry, ...] = ()
    service: Optional[ServiceEntry] = None  # None: the file has no service section


# ---------------------------------------------------------------- value converters

_show = show


def identifier(value: Any) -> str:
    """An id: a non-empty string (or integer) without spaces, at most 64 characters."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Invalid(f"must be an id string, got {_show(value)}")
    text = str(value)
    if not text or any(c.isspace() for c in text) or len(text) > 64:
        raise Invalid(f"must be 1-64 characters without spaces, got {text!r}")
    return text


def text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"must be a non-empty string, got {_show(value)}")
    return value.strip()


def one_of(choices: Sequence[str]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in choices:
            raise Invalid(f"must be one of {', '.join(choices)}, got {_show(value)}")
        return value
    return convert


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, got {_show(value)}")
    return value


def integer(minimum: int, maximum: Optional[int] = None) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"must be a whole number, got {_show(value)}")
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            raise Invalid(f"must be {bound}, got {value}")
        return value
    return convert


def _decimal(value: Any, places: int, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise Invalid(f"must be {what}, got {_show(value)}")
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise Invalid(f"must be {what}, got {_show(value)}") from None
    if not number.is_finite():
        raise Invalid(f"must be {what}, got {_show(value)}")
    exponent = number.as_tuple().exponent  # an int: the number is finite
    if isinstance(exponent, int) and exponent < -places and number != number.quantize(Decimal(1).scaleb(-places)):
        raise Invalid(f"must have at most {places} decimal places, got {value}")
    return number.quantize(Decimal(1).scaleb(-places))


def money(minimum: Optional[Decimal] = Decimal(0), maximum: Optional[Decimal] = None,
          positive: bool = False) -> Callable[[Any], Decimal]:
    """An amount in yuan (at most 2 decimals) within the given bounds."""
    def convert(value: Any) -> Decimal:
        amount = _decimal(value, 2, "an amount in yuan")
        if positive and amount <= 0:
            raise Invalid(f"must be greater than 0, got {amount}")
        if maximum is not None and minimum is not None and not minimum <= amount <= maximum:
            raise Invalid(f"must be between {minimum} and {maximum}, got {amount}")
        if minimum is not None and amount < minimum:
            raise Invalid(f"must not be negative, got {amount}" if minimum == 0
                          else f"must be at least {minimum}, got {amount}")
        return amount
    return convert


def fee_rate(value: Any) -> Decimal:
    rate = _decimal(value, 6, "a fraction such as 0.006")
    if not Decimal(0) <= rate < Decimal(1):
        raise Invalid(f"must be at least 0 and below 1 (a fraction, 0.6% is 0.006), got {rate}")
    return rate.normalize()


def date_value() -> Callable[[Any], date]:
    """A date: YAML date, ISO string, or ``today±N[dw]`` (today of the load)."""
    def convert(value: Any) -> date:
        today = clock.business_date(_NOW.get())
        if isinstance(value, datetime):
            raise Invalid(f"must be a date without time, got {value.isoformat(sep=' ')}")
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                resolved = relative_time.resolve_date(value, today)
                return resolved if resolved is not None else date.fromisoformat(value.strip())
            except ValueError as exc:
                raise Invalid(f"must be a date (YYYY-MM-DD or today+5d): {exc}") from None
        raise Invalid(f"must be a date (YYYY-MM-DD or today+5d), got {_show(value)}")
    return convert


def datetime_value() -> Callable[[Any], datetime]:
    """An instant: YAML timestamp/date, ISO string, ``now±N[mhdw]`` or ``today±N[dw]``; a time
    without an offset is business time (Beijing), one with an offset keeps it; aware, business zone."""
    def convert(value: Any) -> datetime:
        now = clock.local(_NOW.get())
        if isinstance(value, datetime):
            return clock.local(value) if value.tzinfo else value.replace(tzinfo=clock.zone())
        if isinstance(value, date):
            return clock.at_business_time(value)
        if isinstance(value, str):
            try:
                resolved = relative_time.resolve_datetime(value, now)
                return resolved if resolved is not None else convert(datetime.fromisoformat(value.strip()))
            except ValueError as exc:
                raise Invalid(f"must be a datetime (YYYY-MM-DD HH:MM or now+2h): {exc}") from None
        raise Invalid(f"must be a datetime (YYYY-MM-DD HH:MM or now+2h), got {_show(value)}")
    return convert


def checked(convert: Callable[[Any], Any], name: str = "Value") -> type:
    """A pydantic field type whose only validator is ``convert``."""
    return type(name, (), {"__get_validators__": classmethod(lambda cls: iter((convert,)))})


if TYPE_CHECKING:  # what the checked types hold
    Id = str
    Text = str
    Rating = str
    AccountStatus = str
    CreditStatus = str
    FundStatus = str
    PaymentMethod = str
    Service = str
    Amount = Decimal
    Price = Decimal
    CreditLimit = Decimal
    FeeRate = Decimal
    Periods = int
    PaidPeriods = int
    Quantity = int
    Boolean = bool
    Day = date
    Moment = datetime
else:
    Id = checked(identifier, "Id")
    Text = checked(text, "Text")
    Boolean = checked(boolean, "Boolean")
    Amount = checked(money(), "Amount")
    Price = checked(money(positive=True), "Price")
    CreditLimit = checked(money(CREDIT_LIMIT_MIN, CREDIT_LIMIT_MAX), "CreditLimit")
    FeeRate = checked(fee_rate, "FeeRate")
    Periods = checked(integer(1, MAX_PERIODS), "Periods")
    PaidPeriods = checked(integer(0, MAX_PERIODS), "PaidPeriods")
    Quantity = checked(integer(1, 99), "Quantity")
    Rating = checked(one_of(state.CREDIT_RATINGS), "Rating")
    AccountStatus = checked(one_of(state.ACCOUNT_STATUSES), "AccountStatus")
    CreditStatus = checked(one_of(state.CREDIT_STATUSES), "CreditStatus")
    FundStatus = checked(one_of(state.RESERVE_FUND_STATUSES), "FundStatus")
    PaymentMethod = checked(one_of(state.PAYMENT_METHODS), "PaymentMethod")
    Service = checked(one_of(state.SERVICES), "Service")
    Day = checked(date_value(), "Day")
    Moment = checked(datetime_value(), "Moment")


def _distinct(values: List[Any]) -> List[Any]:
    for i, value in enumerate(values):
        if value in values[:i]:
            raise Invalid(f"duplicate value {value!r}", i)
    return values


class Entry(Record):
    """A record of the accounts file: a null field means "not given" (its default)."""

    @validator("*", pre=True)
    def _null_is_default(cls, value: Any, field: Any) -> Any:
        return field.default if value is None and not field.required else value


class ProductRecord(Entry):
    sku: Id
    name: Text
    price: Price
    installment_allowed: Boolean = True
    payment_methods: List[PaymentMethod] = list(state.PAYMENT_METHODS)
    periods: List[Periods] = list(DEFAULT_PERIODS)
    promotion_restriction: Optional[Text] = None

    _distinct = validator("payment_methods", "periods", allow_reuse=True)(_distinct)

    @validator("payment_methods")
    def _some_method(cls, methods: List[str]) -> List[str]:
        if not methods:
            raise Invalid("must list at least one payment method")
        return methods

    def value(self) -> state.Product:
        return state.Product(sku=self.sku, name=self.name, price=self.price,
                             installment_allowed=self.installment_allowed,
                             payment_methods=tuple(self.payment_methods), periods=tuple(sorted(self.periods)),
                             promotion_restriction=self.promotion_restriction)


class CreditRecord(Entry):
    limit: CreditLimit
    used: Amount = Decimal("0.00")
    status: CreditStatus = "active"
    partner: Text = DEFAULT_PARTNER

    def value(self) -> state.Credit:
        return state.Credit(limit=self.limit, used=self.used, status=self.status, partner=self.partner)


class ReserveFundRecord(Entry):
    limit: Amount
    used: Amount = Decimal("0.00")
    status: FundStatus = "active"

    def value(self) -> state.ReserveFund:
        return state.ReserveFund(limit=self.limit, used=self.used, status=self.status)


class CartRecord(Entry):
    sku: Id
    quantity: Quantity = 1


class AutoRepayRecord(Entry):
    enabled: Boolean = False
    method: Optional[Text] = None

    @root_validator(skip_on_failure=True)
    def _method_when_enabled(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if values["enabled"] and values["method"] is None:
            raise Invalid("method is required when enabled is true")
        return values

    def value(self) -> state.AutoRepay:
        return state.AutoRepay(enabled=self.enabled, method=self.method)


class UserRecord(Entry):
    user_id: Id
    name: Text
    region: Text
    credit_rating: Rating
    previous_credit_rating: Optional[Rating] = None
    account_status: AccountStatus = "active"
    identity_verified: Boolean = True
    info_complete: Boolean = True
    credit: Optional[CreditRecord] = None
    reserve_fund: Optional[ReserveFundRecord] = None
    cart: List[CartRecord] = []
    auto_repay: Optional[AutoRepayRecord] = None

    @validator("cart")
    def _one_line_per_sku(cls, cart: List[CartRecord]) -> List[CartRecord]:
        for i, line in enumerate(cart):
            if any(line.sku == other.sku for other in cart[:i]):
                raise Invalid(f"sku {line.sku!r} is already in this cart", (i, "sku"))
        return cart

    def value(self) -> UserEntry:
        user = state.User(user_id=self.user_id, name=self.name, region=self.region,
                          credit_rating=self.credit_rating, account_status=self.account_status,
                          identity_verified=self.identity_verified, info_complete=self.info_complete,
                          previous_credit_rating=self.previous_credit_rating)
        return UserEntry(user=user, credit=self.credit.value() if self.credit else None,
                         reserve_fund=self.reserve_fund.value() if self.reserve_fund else None,
                         cart=tuple((line.sku, line.quantity) for line in self.cart),
                         auto_repay=self.auto_repay.value() if self.auto_repay else state.AutoRepay())


class BillRecord(Entry):
    period_no: Periods
    due_date: Day
    principal: Amount
    fee: Amount = Decimal("0.00")
    paid: Boolean = False

    def value(self) -> state.Bill:
        return state.Bill(period_no=self.period_no, due_date=self.due_date, principal=self.principal,
                          fee=self.fee, paid=self.paid)


class OrderRecord(Entry):
    order_id: Id
    user_id: Id
    product_name: Text
    total: Price
    periods: Periods
    fee_rate: FeeRate = Decimal(0)
    created: Day
    bills: Optional[List[BillRecord]] = None
    first_due: Optional[Day] = None
    paid_periods: Optional[PaidPeriods] = None

    @root_validator(skip_on_failure=True)
    def _plan(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        bills, first_due, periods = values["bills"], values["first_due"], values["periods"]
        if bills is not None and first_due is not None:
            raise Invalid("give either bills or first_due, not both", "first_due")
        if bills is not None:
            if values["paid_periods"] is not None:
                raise Invalid("only applies with first_due (generated bills)", "paid_periods")
            seen: set = set()
            for i, bill in enumerate(bills):
                if bill.period_no in seen:
                    raise Invalid(f"period {bill.period_no} appears twice", ("bills", i, "period_no"))
                if bill.period_no > periods:
                    raise Invalid(f"must be at most periods ({periods}), got {bill.period_no}",
                                  ("bills", i, "period_no"))
                seen.add(bill.period_no)
            missing = [n for n in range(1, periods + 1) if n not in seen]
            if missing:
                raise Invalid(f"must have one bill per period 1..{periods}; missing {', '.join(map(str, missing))}",
                              "bills")
            principal = sum((b.principal for b in bills), Decimal(0))
            if principal != values["total"]:
                raise Invalid(f"principals add up to {principal}, but the order total is {values['total']}", "bills")
        elif first_due is not None:
            paid = values["paid_periods"] or 0
            if paid > periods:
                raise Invalid(f"must be at most periods ({periods}), got {paid}", "paid_periods")
            if first_due < values["created"]:
                raise Invalid(f"must not be before created ({values['created']})", "first_due")
        else:
            raise Invalid("bills or first_due is required (explicit bills, or first_due to generate them)")
        return values

    def value(self) -> OrderEntry:
        if self.bills is not None:
            bills = tuple(sorted((b.value() for b in self.bills), key=lambda b: b.period_no))
        else:
            assert self.first_due is not None  # checked by _plan
            bills = plan_bills(self.total, self.periods, self.fee_rate, self.first_due, self.paid_periods or 0)
        return OrderEntry(user_id=self.user_id, order=state.Order(
            order_id=self.order_id, product_name=self.product_name, total=self.total, periods=self.periods,
            fee_rate=self.fee_rate, created=self.created, bills=bills))


class WindowRecord(Entry):
    service: Service
    start: Moment
    end: Moment
    note: Text = ""
    user_id: Optional[Id] = None

    @root_validator(skip_on_failure=True)
    def _ends_after_start(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        start, end = values["start"], values["end"]
        if end <= start:
            raise Invalid(f"must be after start ({start:%Y-%m-%d %H:%M}), got {end:%Y-%m-%d %H:%M}", "end")
        return values

    def value(self) -> WindowEntry:
        return WindowEntry(window=state.MaintenanceWindow(service=self.service, start=self.start,
                                                          end=self.end, note=self.note),
                           user_id=self.user_id)


class ServiceRecord(Entry):
    maintenance: List[WindowRecord] = []
    suspended_partners: List[Text] = []
    restricted_regions: List[Text] = []
    min_credit_rating: Rating = DEFAULT_MIN_CREDIT_RATING

    _distinct = validator("suspended_partners", "restricted_regions", allow_reuse=True)(_distinct)

    def value(self) -> ServiceEntry:
        return ServiceEntry(windows=tuple(w.value() for w in self.maintenance),
                            suspended_partners=tuple(self.suspended_partners),
                            restricted_regions=tuple(self.restricted_regions),
                            min_credit_rating=self.min_credit_rating)


class AccountsFile(Entry):
    """Schema of an accounts file (``docs/accounts.md``)."""

    users: List[UserRecord] = []
    products: List[ProductRecord] = []
    orders: List[OrderRecord] = []
    service: Optional[ServiceRecord] = None


# ---------------------------------------------------------------- cross-record checks

def _items(data: Any, key: str) -> List[Tuple[Path, Any]]:
    raw = data.get(key) if isinstance(data, dict) else None
    return [((key, i), item) for i, item in enumerate(raw)] if isinstance(raw, list) else []


def _unique(data: Any, key: str, id_field: str, lines: Mapping[Path, int]) -> List[Problem]:
    first: Dict[str, Path] = {}
    problems = []
    for path, raw in _items(data, key):
        value = _id_of(raw, id_field)
        if value is None:
            continue
        if value in first:
            problems.append(Problem(f"duplicate {id_field} {value!r} (also {format_path(first[value] + (id_field,))})",
                                    format_path(path + (id_field,)), line_of(lines, path + (id_field,))))
        else:
            first[value] = path
    return problems


def validate_accounts(data: Any, *, now: datetime, lines: Optional[Mapping[Path, int]] = None,
                      user_known: Callable[[str], bool] = lambda _: False,
                      product_known: Callable[[str], bool] = lambda _: False,
                      source: Optional[str] = None) -> AccountsData:
    """Check ``data`` entirely and return its values, or raise :class:`AccountsFileError`.

    ``user_known`` / ``product_known`` say whether an id already exists in the store, so a
    file may refer to users and products loaded earlier.
    """
    lines = lines or {}
    problems = [p for key, field in (("products", "sku"), ("users", "user_id"), ("orders", "order_id"))
                for p in _unique(data, key, field, lines)]
    token = _NOW.set(now)
    try:
        file: Optional[AccountsFile] = validate(AccountsFile, data, source=source, lines=lines,
                                                error=AccountsFileError)
    except AccountsFileError as exc:
        problems += exc.problems
        file = None
    finally:
        _NOW.reset(token)

    def fail(path: Path, message: str) -> None:
        problems.append(Problem(message, format_path(path), line_of(lines, path)))

    if file is not None and not problems:
        skus = {p.sku for p in file.products}
        user_ids = {u.user_id for u in file.users}
        for i, user in enumerate(file.users):
            for j, line in enumerate(user.cart):
                if line.sku not in skus and not product_known(line.sku):
                    fail(("users", i, "cart", j, "sku"),
                         f"unknown product {line.sku!r} (not in products nor in the database)")
        for i, order in enumerate(file.orders):
            if order.user_id not in user_ids and not user_known(order.user_id):
                fail(("orders", i, "user_id"), f"unknown user {order.user_id!r} (not in users nor in the database)")
        for i, window in enumerate(file.service.maintenance if file.service else ()):
            if window.user_id and window.user_id not in user_ids and not user_known(window.user_id):
                fail(("service", "maintenance", i, "user_id"), f"unknown user {window.user_id!r}")
    if problems or file is None:
        raise AccountsFileError(sorted(problems, key=lambda p: p.line or 0), source)
    return AccountsData(products=tuple(p.value() for p in file.products),
                        users=tuple(u.value() for u in file.users),
                        orders=tuple(o.value() for o in file.orders),
                        service=file.service.value() if file.service else None)


def _id_of(raw: Any, key: str) -> Optional[str]:
    value = raw.get(key) if isinstance(raw, dict) else None
    try:
        return identifier(value) if value is not None else None
    except Invalid:
        return None
