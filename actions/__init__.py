"""rasa-sdk adapters: thin actions over the ``fenqi`` core (identity, accounts, answers)."""
