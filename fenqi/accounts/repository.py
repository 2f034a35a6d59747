"""Read one user's account state from the store as :class:`fenqi.state.AccountSnapshot`."""
from __future__ import annotations

from datetime import datetime
from typing import Optional, Tuple

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from fenqi import clock, state
from fenqi.db import models as m


def user_exists(session: Session, user_id: str) -> bool:
    return session.get(m.User, user_id) is not None


def list_users(session: Session) -> Tuple[state.User, ...]:
    """All users, ordered by id."""
    rows = session.scalars(select(m.User).order_by(m.User.user_id))
    return tuple(to_user(row) for row in rows)


# Built once (SQLAlchemy reuses its compiled form instead of re-deriving the cache key of seven
# loader options per call); the one-to-one rows joined, the collections by SELECT ... IN.
_SNAPSHOT_QUERY = select(m.User).where(m.User.user_id == bindparam("user_id")).options(
    joinedload(m.User.credit), joinedload(m.User.reserve_fund), joinedload(m.User.auto_repay),
    selectinload(m.User.cart_items).selectinload(m.CartItem.product).selectinload(m.Product.payment_methods),
    selectinload(m.User.cart_items).selectinload(m.CartItem.product).selectinload(m.Product.periods),
    selectinload(m.User.orders).selectinload(m.Order.bills),
)


def load_snapshot(session: Session, user_id: str,
                  now: Optional[datetime] = None) -> Optional[state.AccountSnapshot]:
    """The user's state at ``now`` (default: the business clock's now), or None for an unknown user.

    Maintenance windows that already ended are left out; windows scoped to another
    user are left out too.
    """
    now = now or clock.now()
    user = session.scalars(_SNAPSHOT_QUERY, {"user_id": user_id}).unique().one_or_none()
    if user is None:
        return None
    return state.AccountSnapshot(
        user=to_user(user),
        now=now,
        credit=to_credit(user.credit) if user.credit else None,
        reserve_fund=to_reserve_fund(user.reserve_fund) if user.reserve_fund else None,
        cart=tuple(state.CartItem(product=to_product(i.product), quantity=i.quantity)
                   for i in user.cart_items),
        orders=tuple(to_order(o) for o in user.orders),
        auto_repay=(state.AutoRepay(enabled=user.auto_repay.enabled, method=user.auto_repay.method)
                    if user.auto_repay else state.AutoRepay()),
        service=load_service_status(session, user_id, now),
    )


def load_service_status(session: Session, user_id: Optional[str], now: datetime) -> state.ServiceStatus:
    """Service-wide status as seen by ``user_id`` at ``now``."""
    windows = session.scalars(
        select(m.MaintenanceWindow)
        .where(m.MaintenanceWindow.end > now)
        .where(or_(m.MaintenanceWindow.user_id.is_(None), m.MaintenanceWindow.user_id == user_id))
        .order_by(m.MaintenanceWindow.start, m.MaintenanceWindow.service)
    )
    settings = session.get(m.PolicySettings, 1)
    return state.ServiceStatus(
        maintenance=tuple(state.MaintenanceWindow(service=w.service, start=w.start, end=w.end,
                                                  note=w.note or "") for w in windows),
        suspended_partners=tuple(session.scalars(
            select(m.PartnerSuspension.partner).order_by(m.PartnerSuspension.partner))),
        restricted_regions=tuple(session.scalars(
            select(m.RegionPolicy.region).order_by(m.RegionPolicy.region))),
        min_credit_rating=settings.min_credit_rating if settings else m.DEFAULT_MIN_CREDIT_RATING,
    )


def to_user(row: m.User) -> state.User:
    return state.User(user_id=row.user_id, name=row.name, region=row.region,
                      credit_rating=row.credit_rating, account_status=row.account_status,
                      identity_verified=row.identity_verified, info_complete=row.info_complete,
                      previous_credit_rating=row.previous_credit_rating)


def to_credit(row: m.CreditLine) -> state.Credit:
    return state.Credit(limit=row.limit, used=row.used, status=row.status, partner=row.partner)


def to_reserve_fund(row: m.ReserveFundAccount) -> state.ReserveFund:
    return state.ReserveFund(limit=row.limit, used=row.used, status=row.status)


def to_product(row: m.Product) -> state.Product:
    methods = {r.method for r in row.payment_methods}
    return state.Product(
        sku=row.sku, name=row.name, price=row.price, installment_allowed=row.installment_allowed,
        payment_methods=tuple(p for p in state.PAYMENT_METHODS if p in methods),
        periods=tuple(sorted(r.periods for r in row.periods)),
        promotion_restriction=row.promotion_restriction,
    )


def to_order(row: m.Order) -> state.Order:
    return state.Order(
        order_id=row.order_id, product_name=row.product_name, total=row.total,
        periods=row.periods, fee_rate=row.fee_rate, created=row.created,
        bills=tuple(state.Bill(period_no=b.period_no, due_date=b.due_date, principal=b.principal,
                               fee=b.fee, paid=b.paid)
                    for b in sorted(row.bills, key=lambda b: b.period_no)),
    )
