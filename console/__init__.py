"""The agent console: a small aiohttp app where agents sign in, take over and answer conversations.

It only reads and writes the account store (fenqi.handoff.live); the Rasa process delivers what
agents write (channels poll the store's outbox). Run with ``python -m console``.
"""
