"""Analytics and conversation review, Rasa-free (issue #19; definitions: docs/analytics.md).

The figures come from what the stores hold: Rasa's tracker events (the tracker store), handoff
tickets, takeovers and ratings (the account store). ``events`` reads the tracker's table, ``fold``
decides what each event means (one definition per metric), ``rollup`` keeps a per-conversation and
per-message summary of the events in the account store up to date (incrementally; ``rebuild``),
``queries`` aggregates it with indexed SQL, ``metrics`` turns the aggregates into figures (pure),
``review`` lists and shows conversations (masked) and stores the leads' tags, ``charts`` draws SVG,
``export`` writes CSV, ``demo`` makes a realistic history (demo seed, tests, benchmark).
"""

DEMO_STAMP = "demo-history-day"  # in FENQI_VAR_DIR: the business date the demo history was last made
