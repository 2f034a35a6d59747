"""Demo host app for the 分期助手 chat widget: serves the help page, its config and a dev login.

Run with ``python -m webapp`` (``make run`` does). Not part of the bot: in production the
shopping app embeds ``static/widget.js`` and its own backend mints the user token
(see ``docs/widget.md``).
"""
