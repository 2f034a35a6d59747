"""Input bounds, server-derived conversation ids, rate limits and replay caches (no Rasa here).

The channels (``channels/``) call these pure functions before a message reaches NLU; every
limit is named in :mod:`fenqi.security.limits` and documented in ``docs/security.md``.
"""
