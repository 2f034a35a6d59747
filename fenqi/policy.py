"""Service policy constants, defined once: read by state, models, migrations' checks, the accounts
loader and the knowledge file (``faq.yml`` must agree; a test checks it)."""
from __future__ import annotations

from decimal import Decimal

CREDIT_LIMIT_MIN = Decimal(1_000)  # 小米分期 credit line, yuan
CREDIT_LIMIT_MAX = Decimal(100_000)
MIN_PERIODS = 1
MAX_PERIODS = 60  # longest installment plan
DEFAULT_MIN_CREDIT_RATING = "C"  # worst rating still allowed to use 分期 / 备用金
DEFAULT_PARTNER = "小米消费金融"
DEFAULT_PERIODS = (3, 6, 12, 24)
