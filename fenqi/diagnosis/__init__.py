"""Diagnosis: pure functions from an :class:`~fenqi.state.AccountSnapshot` to the causes blocking a service."""
from .cause import Cause, make_cause
from .installment import diagnose_installment
from .reserve_fund import diagnose_reserve_fund

__all__ = ["Cause", "make_cause", "diagnose_installment", "diagnose_reserve_fund"]
