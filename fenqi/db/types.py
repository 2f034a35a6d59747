"""Column types: exact decimals stored as NUMERIC, returned as ``Decimal``.

SQLite has no decimal type, so SQLAlchemy's ``Numeric`` warns and converts through
float anyway. These types do that conversion explicitly and quantize to the column's
scale, which is lossless for money (12 digits, 2 decimals) and fee rates.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy.types import Numeric, TypeDecorator


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
