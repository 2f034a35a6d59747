"""Conversation quality, Rasa-free: what the bot can talk about, fallback steps, turn history."""
from .fallback import FallbackStep, consecutive_fallbacks, fallback_step, suggestions
from .history import Turn, recent_intents, recent_turns
from .topics import Topics, load_topics

__all__ = ["FallbackStep", "consecutive_fallbacks", "fallback_step", "suggestions", "Turn",
           "recent_intents", "recent_turns", "Topics", "load_topics"]
