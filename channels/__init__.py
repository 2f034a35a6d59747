"""Rasa input channels: thin adapters over the Rasa-free cores in ``fenqi``."""
