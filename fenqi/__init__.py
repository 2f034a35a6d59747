"""分期助手 core: accounts, FAQ knowledge, diagnosis, identity and channel protocol.

Nothing in this package imports Rasa; ``actions/`` and ``channels/`` adapt it.
"""
