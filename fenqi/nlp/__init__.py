"""Chinese spaCy pipeline for the bot's NLU: jieba with a domain dictionary and an entity ruler."""
