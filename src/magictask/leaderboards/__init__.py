"""Workspace and team leaderboards over calendar windows, served from materialized views."""
