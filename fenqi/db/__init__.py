"""Relational account store: SQLAlchemy models and engine/session helpers."""
