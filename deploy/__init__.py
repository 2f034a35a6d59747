"""Production mode of 分期助手: PostgreSQL + Redis + several Rasa/action processes behind nginx.

See docs/deploy.md. ``deploy.services`` runs the infrastructure processes, ``deploy.cluster``
the whole stack; ``python -m deploy`` starts it in the foreground (scripts/run_prod.sh).
"""
