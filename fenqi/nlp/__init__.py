"""Chinese spaCy pipeline for the bot's NLU: jieba with a domain dictionary and an entity ruler."""

# Intent names the classifier, the fallback and the evaluation decide by (one home).
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
SMALL_TALK = frozenset({"greet", "goodbye", "thank", "affirm", "deny"})
