"""Realtime feature."""
