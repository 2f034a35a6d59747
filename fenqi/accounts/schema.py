"""Validate accounts data (as parsed from YAML) into :mod:`fenqi.state` values.

:func:`validate_accounts` never touches the database except through the two lookups
it is given; it collects every problem and raises :class:`AccountsFileError` when there
is any, so callers write only fully valid data. The schema is documented in
``docs/accounts.md``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from fenqi import state
from fenqi.policy import (CREDIT_LIMIT_MAX, CREDIT_LIMIT_MIN, DEFAULT_MIN_CREDIT_RATING, DEFAULT_PARTNER,
                          DEFAULT_PERIODS, MAX_PERIODS)
from fenqi.accounts import relative_time
from fenqi.accounts.bill_plan import plan_bills
from fenqi.accounts.errors import AccountsFileError, Problem
from fenqi.accounts.yaml_source import Path, format_path, line_of

ROOT_FIELDS = ("users", "products", "orders", "service")
USER_FIELDS = ("user_id", "name", "region", "credit_rating", "previous_credit_rating",
               "account_status", "identity_verified", "info_complete", "credit", "reserve_fund",
               "cart", "auto_repay")
CREDIT_FIELDS = ("limit", "used", "status", "partner")
RESERVE_FUND_FIELDS = ("limit", "used", "status")
CART_FIELDS = ("sku", "quantity")
AUTO_REPAY_FIELDS = ("enabled", "method")
PRODUCT_FIELDS = ("sku", "name", "price", "installment_allowed", "payment_methods", "periods",
                  "promotion_restriction")
ORDER_FIELDS = ("order_id", "user_id", "product_name", "total", "periods", "fee_rate", "created",
                "bills", "first_due", "paid_periods")
BILL_FIELDS = ("period_no", "due_date", "principal", "fee", "paid")
SERVICE_FIELDS = ("maintenance", "suspended_partners", "restricted_regions", "min_credit_rating")
WINDOW_FIELDS = ("service", "start", "end", "note", "user_id")


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

class Invalid(ValueError):
    """A value is not acceptable; the message says why."""


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


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
    if number.as_tuple().exponent < -places and number != number.quantize(Decimal(1).scaleb(-places)):
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


def date_value(today: date) -> Callable[[Any], date]:
    """A date: YAML date, ISO string, or ``today±N[dw]``."""
    def convert(value: Any) -> date:
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


def datetime_value(now: datetime) -> Callable[[Any], datetime]:
    """A local datetime: YAML timestamp/date, ISO string, ``now±N[mhdw]`` or ``today±N[dw]``."""
    def convert(value: Any) -> datetime:
        if isinstance(value, datetime):
            return value.astimezone().replace(tzinfo=None) if value.tzinfo else value
        if isinstance(value, date):
            return datetime.combine(value, datetime.min.time())
        if isinstance(value, str):
            try:
                resolved = relative_time.resolve_datetime(value, now)
                return resolved if resolved is not None else convert(datetime.fromisoformat(value.strip()))
            except ValueError as exc:
                raise Invalid(f"must be a datetime (YYYY-MM-DD HH:MM or now+2h): {exc}") from None
        raise Invalid(f"must be a datetime (YYYY-MM-DD HH:MM or now+2h), got {_show(value)}")
    return convert


# ---------------------------------------------------------------- checker

_MISSING = object()


class _Checker:
    """Reads fields off parsed data, recording problems with their path and line."""

    def __init__(self, lines: Mapping[Path, int]):
        self.lines = lines
        self.problems: List[Problem] = []

    def fail(self, path: Path, message: str) -> None:
        self.problems.append(Problem(message, format_path(path), line_of(self.lines, path)))

    def record(self, value: Any, path: Path, fields: Sequence[str]) -> Optional[dict]:
        """``value`` as a mapping with only known fields, else None (problem recorded)."""
        if not isinstance(value, dict):
            self.fail(path, f"must be a mapping of fields, got {_show(value)}")
            return None
        for key in value:
            if key not in fields:
                self.fail(path + (key,), f"unknown field (allowed: {', '.join(fields)})")
        return value

    def items(self, value: Any, path: Path) -> List[Tuple[Path, Any]]:
        """The (path, item) pairs of a list field; missing/null is an empty list."""
        if value is None or value is _MISSING:
            return []
        if not isinstance(value, list):
            self.fail(path, f"must be a list, got {_show(value)}")
            return []
        return [(path + (i,), item) for i, item in enumerate(value)]

    def field(self, rec: dict, path: Path, name: str, convert: Callable[[Any], Any],
              default: Any = _MISSING) -> Any:
        """Converted ``rec[name]``; missing or null gives ``default`` (required when none)."""
        value = rec.get(name)
        if value is None:
            if default is _MISSING and name in rec:
                self.fail(path + (name,), "is required, got null")
            elif default is _MISSING:
                self.fail(path, f"missing required field '{name}'")
            return None if default is _MISSING else default
        try:
            return convert(value)
        except Invalid as exc:
            self.fail(path + (name,), str(exc))
            return None

    def values(self, rec: dict, path: Path, name: str, convert: Callable[[Any], Any],
               default: Tuple = ()) -> Tuple:
        """A list field of distinct values, each converted."""
        if rec.get(name) is None:
            return default
        out: List[Any] = []
        for item_path, item in self.items(rec[name], path + (name,)):
            try:
                value = convert(item)
            except Invalid as exc:
                self.fail(item_path, str(exc))
                continue
            if value in out:
                self.fail(item_path, f"duplicate value {value!r}")
            out.append(value)
        return tuple(out)


# ---------------------------------------------------------------- records

def _product(c: _Checker, raw: Any, path: Path) -> Optional[state.Product]:
    before = len(c.problems)
    rec = c.record(raw, path, PRODUCT_FIELDS)
    if rec is None:
        return None
    product = state.Product(
        sku=c.field(rec, path, "sku", identifier),
        name=c.field(rec, path, "name", text),
        price=c.field(rec, path, "price", money(positive=True)),
        installment_allowed=c.field(rec, path, "installment_allowed", boolean, True),
        payment_methods=c.values(rec, path, "payment_methods", one_of(state.PAYMENT_METHODS),
                                 state.PAYMENT_METHODS),
        periods=tuple(sorted(c.values(rec, path, "periods", integer(1, MAX_PERIODS), DEFAULT_PERIODS))),
        promotion_restriction=c.field(rec, path, "promotion_restriction", text, None),
    )
    if rec.get("payment_methods") is not None and not product.payment_methods:
        c.fail(path + ("payment_methods",), "must list at least one payment method")
    return product if len(c.problems) == before else None


def _credit(c: _Checker, raw: Any, path: Path) -> Optional[state.Credit]:
    rec = c.record(raw, path, CREDIT_FIELDS)
    if rec is None:
        return None
    return state.Credit(
        limit=c.field(rec, path, "limit", money(CREDIT_LIMIT_MIN, CREDIT_LIMIT_MAX)),
        used=c.field(rec, path, "used", money(), Decimal("0.00")),
        status=c.field(rec, path, "status", one_of(state.CREDIT_STATUSES), "active"),
        partner=c.field(rec, path, "partner", text, DEFAULT_PARTNER),
    )


def _reserve_fund(c: _Checker, raw: Any, path: Path) -> Optional[state.ReserveFund]:
    rec = c.record(raw, path, RESERVE_FUND_FIELDS)
    if rec is None:
        return None
    return state.ReserveFund(
        limit=c.field(rec, path, "limit", money()),
        used=c.field(rec, path, "used", money(), Decimal("0.00")),
        status=c.field(rec, path, "status", one_of(state.RESERVE_FUND_STATUSES), "active"),
    )


def _cart(c: _Checker, raw: Any, path: Path) -> Tuple[Tuple[Tuple[str, int], Path], ...]:
    lines: List[Tuple[Tuple[str, int], Path]] = []
    for item_path, item in c.items(raw, path):
        rec = c.record(item, item_path, CART_FIELDS)
        if rec is None:
            continue
        sku = c.field(rec, item_path, "sku", identifier)
        quantity = c.field(rec, item_path, "quantity", integer(1, 99), 1)
        if sku is not None and any(sku == s for (s, _), _ in lines):
            c.fail(item_path + ("sku",), f"sku {sku!r} is already in this cart")
        elif sku is not None and quantity is not None:
            lines.append(((sku, quantity), item_path + ("sku",)))
    return tuple(lines)


def _auto_repay(c: _Checker, raw: Any, path: Path) -> state.AutoRepay:
    if raw is None:
        return state.AutoRepay()
    rec = c.record(raw, path, AUTO_REPAY_FIELDS)
    if rec is None:
        return state.AutoRepay()
    enabled = c.field(rec, path, "enabled", boolean, False)
    method = c.field(rec, path, "method", text, None)
    if enabled and method is None and rec.get("method") is None:
        c.fail(path, "method is required when enabled is true")
    return state.AutoRepay(enabled=bool(enabled), method=method)


def _user(c: _Checker, raw: Any, path: Path):
    """(UserEntry, cart sku paths) or None."""
    before = len(c.problems)
    rec = c.record(raw, path, USER_FIELDS)
    if rec is None:
        return None
    user = state.User(
        user_id=c.field(rec, path, "user_id", identifier),
        name=c.field(rec, path, "name", text),
        region=c.field(rec, path, "region", text),
        credit_rating=c.field(rec, path, "credit_rating", one_of(state.CREDIT_RATINGS)),
        account_status=c.field(rec, path, "account_status", one_of(state.ACCOUNT_STATUSES), "active"),
        identity_verified=c.field(rec, path, "identity_verified", boolean, True),
        info_complete=c.field(rec, path, "info_complete", boolean, True),
        previous_credit_rating=c.field(rec, path, "previous_credit_rating",
                                       one_of(state.CREDIT_RATINGS), None),
    )
    credit = _credit(c, rec["credit"], path + ("credit",)) if rec.get("credit") is not None else None
    fund = (_reserve_fund(c, rec["reserve_fund"], path + ("reserve_fund",))
            if rec.get("reserve_fund") is not None else None)
    cart = _cart(c, rec.get("cart"), path + ("cart",))
    auto_repay = _auto_repay(c, rec.get("auto_repay"), path + ("auto_repay",))
    if len(c.problems) != before:
        return None
    entry = UserEntry(user=user, credit=credit, reserve_fund=fund,
                      cart=tuple(line for line, _ in cart), auto_repay=auto_repay)
    return entry, tuple((sku, p) for (sku, _), p in cart)


def _bills(c: _Checker, raw: Any, path: Path, today: date, periods: Optional[int],
           total: Optional[Decimal]) -> Tuple[state.Bill, ...]:
    before = len(c.problems)
    bills: List[state.Bill] = []
    seen: Dict[int, Path] = {}
    for item_path, item in c.items(raw, path):
        rec = c.record(item, item_path, BILL_FIELDS)
        if rec is None:
            continue
        bill = state.Bill(
            period_no=c.field(rec, item_path, "period_no", integer(1, MAX_PERIODS)),
            due_date=c.field(rec, item_path, "due_date", date_value(today)),
            principal=c.field(rec, item_path, "principal", money()),
            fee=c.field(rec, item_path, "fee", money(), Decimal("0.00")),
            paid=c.field(rec, item_path, "paid", boolean, False),
        )
        if bill.period_no is not None:
            if bill.period_no in seen:
                c.fail(item_path + ("period_no",), f"period {bill.period_no} appears twice")
            elif periods is not None and bill.period_no > periods:
                c.fail(item_path + ("period_no",), f"must be at most periods ({periods}), got {bill.period_no}")
            seen[bill.period_no] = item_path
        bills.append(bill)
    if len(c.problems) != before or periods is None or total is None:
        return ()
    missing = [n for n in range(1, periods + 1) if n not in seen]
    if missing:
        c.fail(path, f"must have one bill per period 1..{periods}; missing {', '.join(map(str, missing))}")
        return ()
    principal = sum((b.principal for b in bills), Decimal(0))
    if principal != total:
        c.fail(path, f"principals add up to {principal}, but the order total is {total}")
        return ()
    return tuple(sorted(bills, key=lambda b: b.period_no))


def _order(c: _Checker, raw: Any, path: Path, today: date) -> Optional[OrderEntry]:
    before = len(c.problems)
    rec = c.record(raw, path, ORDER_FIELDS)
    if rec is None:
        return None
    user_id = c.field(rec, path, "user_id", identifier)
    order_id = c.field(rec, path, "order_id", identifier)
    product_name = c.field(rec, path, "product_name", text)
    total = c.field(rec, path, "total", money(positive=True))
    periods = c.field(rec, path, "periods", integer(1, MAX_PERIODS))
    rate = c.field(rec, path, "fee_rate", fee_rate, Decimal(0))
    created = c.field(rec, path, "created", date_value(today))
    has_bills, has_first_due = rec.get("bills") is not None, rec.get("first_due") is not None
    bills: Tuple[state.Bill, ...] = ()
    if has_bills and has_first_due:
        c.fail(path + ("first_due",), "give either bills or first_due, not both")
    elif has_bills:
        if rec.get("paid_periods") is not None:
            c.fail(path + ("paid_periods",), "only applies with first_due (generated bills)")
        bills = _bills(c, rec["bills"], path + ("bills",), today, periods, total)
    elif has_first_due:
        first_due = c.field(rec, path, "first_due", date_value(today))
        paid = c.field(rec, path, "paid_periods", integer(0, MAX_PERIODS), 0)
        if None not in (first_due, paid, periods, total, rate):
            if paid > periods:
                c.fail(path + ("paid_periods",), f"must be at most periods ({periods}), got {paid}")
            elif created is not None and first_due < created:
                c.fail(path + ("first_due",), f"must not be before created ({created})")
            else:
                bills = plan_bills(total, periods, rate, first_due, paid)
    else:
        c.fail(path, "bills or first_due is required (explicit bills, or first_due to generate them)")
    if len(c.problems) != before:
        return None
    return OrderEntry(user_id=user_id, order=state.Order(
        order_id=order_id, product_name=product_name, total=total, periods=periods,
        fee_rate=rate, created=created, bills=bills))


def _service(c: _Checker, raw: Any, path: Path, now: datetime) -> Optional[ServiceEntry]:
    before = len(c.problems)
    rec = c.record(raw, path, SERVICE_FIELDS)
    if rec is None:
        return None
    windows: List[WindowEntry] = []
    for item_path, item in c.items(rec.get("maintenance"), path + ("maintenance",)):
        w = c.record(item, item_path, WINDOW_FIELDS)
        if w is None:
            continue
        start = c.field(w, item_path, "start", datetime_value(now))
        end = c.field(w, item_path, "end", datetime_value(now))
        if start is not None and end is not None and end <= start:
            c.fail(item_path + ("end",), f"must be after start ({start:%Y-%m-%d %H:%M}), got {end:%Y-%m-%d %H:%M}")
        windows.append(WindowEntry(
            window=state.MaintenanceWindow(service=c.field(w, item_path, "service", one_of(state.SERVICES)),
                                           start=start, end=end, note=c.field(w, item_path, "note", text, "")),
            user_id=c.field(w, item_path, "user_id", identifier, None)))
    entry = ServiceEntry(
        windows=tuple(windows),
        suspended_partners=c.values(rec, path, "suspended_partners", text),
        restricted_regions=c.values(rec, path, "restricted_regions", text),
        min_credit_rating=c.field(rec, path, "min_credit_rating", one_of(state.CREDIT_RATINGS),
                                  DEFAULT_MIN_CREDIT_RATING),
    )
    return entry if len(c.problems) == before else None


def _unique(c: _Checker, keyed: Sequence[Tuple[Optional[str], Path]], what: str) -> None:
    first: Dict[str, Path] = {}
    for key, path in keyed:
        if key is None:
            continue
        if key in first:
            c.fail(path, f"duplicate {what} {key!r} (also {format_path(first[key])})")
        else:
            first[key] = path


def validate_accounts(data: Any, *, now: datetime, lines: Optional[Mapping[Path, int]] = None,
                      user_known: Callable[[str], bool] = lambda _: False,
                      product_known: Callable[[str], bool] = lambda _: False,
                      source: Optional[str] = None) -> AccountsData:
    """Check ``data`` entirely and return its values, or raise :class:`AccountsFileError`.

    ``user_known`` / ``product_known`` say whether an id already exists in the store, so a
    file may refer to users and products loaded earlier.
    """
    c = _Checker(lines or {})
    if data is None:
        c.fail((), f"the file is empty; expected a mapping with {', '.join(ROOT_FIELDS)}")
        raise AccountsFileError(c.problems, source)
    root = c.record(data, (), ROOT_FIELDS)
    if root is None:
        raise AccountsFileError(c.problems, source)
    today = now.date()

    raw_products = c.items(root.get("products"), ("products",))
    raw_users = c.items(root.get("users"), ("users",))
    raw_orders = c.items(root.get("orders"), ("orders",))
    _unique(c, [(_id_of(r, "sku"), p + ("sku",)) for p, r in raw_products], "sku")
    _unique(c, [(_id_of(r, "user_id"), p + ("user_id",)) for p, r in raw_users], "user_id")
    _unique(c, [(_id_of(r, "order_id"), p + ("order_id",)) for p, r in raw_orders], "order_id")

    products = [p for p in (_product(c, raw, path) for path, raw in raw_products) if p]
    users = [u for u in (_user(c, raw, path) for path, raw in raw_users) if u]
    orders = [(o, path) for o, path in ((_order(c, raw, path, today), path) for path, raw in raw_orders) if o]
    service = _service(c, root["service"], ("service",), now) if root.get("service") is not None else None

    skus = {p.sku for p in products}
    user_ids = {_id_of(raw, "user_id") for _, raw in raw_users} - {None}
    for _, cart_paths in users:
        for sku, sku_path in cart_paths:
            if sku not in skus and not product_known(sku):
                c.fail(sku_path, f"unknown product {sku!r} (not in products nor in the database)")
    for entry, path in orders:
        if entry.user_id not in user_ids and not user_known(entry.user_id):
            c.fail(path + ("user_id",), f"unknown user {entry.user_id!r} (not in users nor in the database)")
    for i, window in enumerate(service.windows if service else ()):
        if window.user_id and window.user_id not in user_ids and not user_known(window.user_id):
            c.fail(("service", "maintenance", i, "user_id"), f"unknown user {window.user_id!r}")

    if c.problems:
        raise AccountsFileError(sorted(c.problems, key=lambda p: p.line or 0), source)
    return AccountsData(products=tuple(products), users=tuple(u for u, _ in users),
                        orders=tuple(o for o, _ in orders), service=service)


def _id_of(raw: Any, key: str) -> Optional[str]:
    value = raw.get(key) if isinstance(raw, dict) else None
    try:
        return identifier(value) if value is not None else None
    except Invalid:
        return None
