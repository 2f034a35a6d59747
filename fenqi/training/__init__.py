"""From real traffic to a better model (issue #20), Rasa-free; the walk-through is docs/training-loop.md.

* ``inbox``: shopper messages the model was not trained on, masked, grouped when near-identical,
  sorted by need (``need``), labelled by a trainer in the console (``/inbox``);
* ``guards``: what may become a training example (no duplicate, no conflict, no evaluation line,
  nothing that still looks personal); ``export`` writes the accepted ones to ``data/nlu/reviewed/``;
* ``archive`` reads a trained model archive (its training data and configuration), ``crossval``
  cross-validates two models' training data on the same folds, ``measure`` scores the evaluation
  sets from parses (``parsing`` runs Rasa in a child process), ``gate`` compares a candidate with
  the live model and decides;
* ``releases`` keeps which model is live (the account store) and the previous ones (``models/history``);
  ``rollout`` switches every running Rasa instance, one at a time, through Rasa's HTTP API.
"""
