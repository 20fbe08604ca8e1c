"""MagicTask: project management where real work earns XP."""

__version__ = "0.1.0"
