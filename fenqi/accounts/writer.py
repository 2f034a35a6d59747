"""Write validated accounts data into the store, upserting by id."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenqi import state
from fenqi.accounts.schema import AccountsData, OrderEntry, ServiceEntry, UserEntry
from fenqi.db import models as m


@dataclass(frozen=True)
class LoadSummary:
    users: int = 0
    products: int = 0
    orders: int = 0
    bills: int = 0
    maintenance_windows: int = 0
    service_replaced: bool = False

    def __str__(self) -> str:
        text = (f"{self.users} users, {self.products} products, {self.orders} orders "
                f"({self.bills} bills)")
        if self.service_replaced:
            text += f", service status ({self.maintenance_windows} maintenance windows)"
        return text


def write_accounts(session: Session, data: AccountsData) -> LoadSummary:
    """Upsert everything in ``data`` (flushes, does not commit)."""
    for product in data.products:
        _write_product(session, product)
    session.flush()
    for entry in data.users:
        _write_user(session, entry)
    session.flush()
    for order in data.orders:
        _write_order(session, order)
    if data.service is not None:
        _write_service(session, data.service)
    session.flush()
    return LoadSummary(
        users=len(data.users), products=len(data.products), orders=len(data.orders),
        bills=sum(len(o.order.bills) for o in data.orders),
        maintenance_windows=len(data.service.windows) if data.service else 0,
        service_replaced=data.service is not None,
    )


def _get_or_add(session: Session, model, key, **ident):
    row = session.get(model, key)
    if row is None:
        row = model(**ident)
        session.add(row)
    return row


def _replace(session: Session, collection: list, rows: list) -> None:
    """Swap a child collection; the flush in between lets new rows reuse primary keys."""
    collection.clear()
    session.flush()
    collection.extend(rows)


def _write_product(session: Session, product: state.Product) -> None:
    row = _get_or_add(session, m.Product, product.sku, sku=product.sku)
    row.name, row.price = product.name, product.price
    row.installment_allowed = product.installment_allowed
    row.promotion_restriction = product.promotion_restriction
    _replace(session, row.payment_methods, [m.ProductPaymentMethod(method=p) for p in product.payment_methods])
    _replace(session, row.periods, [m.ProductPeriod(periods=n) for n in product.periods])


def _write_user(session: Session, entry: UserEntry) -> None:
    user = entry.user
    row = _get_or_add(session, m.User, user.user_id, user_id=user.user_id)
    row.name, row.region = user.name, user.region
    row.credit_rating, row.previous_credit_rating = user.credit_rating, user.previous_credit_rating
    row.account_status = user.account_status
    row.identity_verified, row.info_complete = user.identity_verified, user.info_complete

    if entry.credit is None:
        row.credit = None
    else:
        credit = row.credit or m.CreditLine()
        credit.limit, credit.used = entry.credit.limit, entry.credit.used
        credit.status, credit.partner = entry.credit.status, entry.credit.partner
        row.credit = credit
    if entry.reserve_fund is None:
        row.reserve_fund = None
    else:
        fund = row.reserve_fund or m.ReserveFundAccount()
        fund.limit, fund.used, fund.status = (entry.reserve_fund.limit, entry.reserve_fund.used,
                                              entry.reserve_fund.status)
        row.reserve_fund = fund
    repay = row.auto_repay or m.AutoRepaySetting()
    repay.enabled, repay.method = entry.auto_repay.enabled, entry.auto_repay.method
    row.auto_repay = repay
    _replace(session, row.cart_items, [m.CartItem(sku=sku, quantity=qty) for sku, qty in entry.cart])


def _write_order(session: Session, entry: OrderEntry) -> None:
    order = entry.order
    row = _get_or_add(session, m.Order, order.order_id, order_id=order.order_id)
    row.user_id, row.product_name = entry.user_id, order.product_name
    row.total, row.periods, row.fee_rate, row.created = order.total, order.periods, order.fee_rate, order.created
    _replace(session, row.bills, [
        m.Bill(period_no=b.period_no, due_date=b.due_date, principal=b.principal, fee=b.fee, paid=b.paid)
        for b in order.bills])


def _write_service(session: Session, service: ServiceEntry) -> None:
    """The file's service section replaces the stored one as a whole."""
    for model in (m.MaintenanceWindow, m.PartnerSuspension, m.RegionPolicy):
        for row in session.scalars(select(model)):
            session.delete(row)
    session.flush()
    session.add_all(m.MaintenanceWindow(service=w.window.service, start=w.window.start, end=w.window.end,
                                        note=w.window.note, user_id=w.user_id) for w in service.windows)
    session.add_all(m.PartnerSuspension(partner=p) for p in service.suspended_partners)
    session.add_all(m.RegionPolicy(region=r) for r in service.restricted_regions)
    settings = _get_or_add(session, m.PolicySettings, 1, id=1)
    settings.min_credit_rating = service.min_credit_rating
