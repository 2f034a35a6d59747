"""Fallback and clarification, Rasa-free: the topics the bot answers (topics.yml), the step after a
not-understood message, and the masked transcript of recent turns that tickets keep."""
from .steps import FallbackStep, consecutive_misses, fallback_step, suggestions
from .topics import Topics, load_topics
from .transcript import TranscriptLine, recent_intents, recent_turns

__all__ = ["FallbackStep", "consecutive_misses", "fallback_step", "suggestions", "TranscriptLine",
           "recent_intents", "recent_turns", "Topics", "load_topics"]
