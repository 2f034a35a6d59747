"""Column types: exact decimals stored as NUMERIC, returned as ``Decimal``; instants stored in UTC.

SQLite has no decimal type, so SQLAlchemy's ``Numeric`` warns and converts through
float anyway. These types do that conversion explicitly and quantize to the column's
scale, which is lossless for money (12 digits, 2 decimals) and fee rates.

:class:`UtcDateTime` keeps every point in time as UTC in a plain ``DATETIME`` / ``TIMESTAMP WITHOUT
TIME ZONE`` column (the same on SQLite and PostgreSQL) and gives it back timezone-aware (UTC); a
naive datetime is refused, so no local time reaches the store. Rows written before revision 0005
held the writing server's local time; 0005 converted them (``fenqi/db/migrations/versions``).
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy.types import DateTime, Numeric, TypeDecorator


class ExactDecimal(TypeDecorator):
    """``NUMERIC(precision, scale)`` in DDL; ``Decimal`` quantized to ``scale`` in Python."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int, normalize: bool = False):
        super().__init__(precision=precision, scale=scale, asdecimal=False)
        self.quantum = Decimal(1).scaleb(-scale)
        self.normalize = normalize

    def process_bind_param(self, value, dialect):
        return None if value is None else Decimal(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        number = Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(self.quantum)
        return number.normalize() if self.normalize else number


def Money() -> ExactDecimal:  # noqa: N802 - reads like a type in column definitions
    """Amount in yuan: ``NUMERIC(12, 2)``."""
    return ExactDecimal(12, 2)


def Rate() -> ExactDecimal:  # noqa: N802
    """Fraction below 1 such as a per-period fee rate: ``NUMERIC(8, 6)``, read back
    without trailing zeros (``Decimal("0.006")``)."""
    return ExactDecimal(8, 6, normalize=True)


class UtcDateTime(TypeDecorator):
    """An instant: stored as naive UTC, returned aware in UTC; naive input is a ``ValueError``."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: store aware instants (fenqi.clock)")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
