"""Workspaces feature."""
