"""The data lifecycle (PIPL, issue #21): what personal data is held, for how long, and the
operator commands that purge it by age, export one user's and erase it (``python -m fenqi data``).

``trackers`` (Rasa's tracker store as plain SQL), ``registry`` (account-store kinds: tickets,
bindings, ...; a new table registers itself), ``subjects`` (a user's conversation ids), ``logs``
(rotation and expiry of log files), ``purge``, ``subject_data`` (export, erase), ``masking``.
"""
