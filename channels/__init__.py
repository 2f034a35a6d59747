"""Rasa input channels: thin adapters over the Rasa-free cores in ``fenqi``."""
from fenqi.privacy import install_log_filter

install_log_filter()  # phone, ID-card and bank-card numbers never reach the Rasa server's logs
