"""rasa-sdk adapters: thin actions over the ``fenqi`` core (identity, accounts, answers)."""

from fenqi.privacy import install_log_filter

install_log_filter()  # phone, ID-card and bank-card numbers never reach the action server's logs
