"""Rasa input channels: thin adapters over the Rasa-free cores in ``fenqi``."""
from channels.tracker_hygiene import install_token_scrubber
from fenqi.privacy import install_log_filter

install_log_filter()  # phone/ID/card numbers and tokens never reach the Rasa server's logs
install_token_scrubber()  # bearer tokens never reach the tracker store
