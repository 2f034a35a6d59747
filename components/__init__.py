"""Rasa graph components of the project: thin adapters over Rasa-free models in :mod:`fenqi.nlp`."""
