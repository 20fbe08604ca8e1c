"""Reactions feature."""
