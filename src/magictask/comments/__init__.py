"""Comments feature."""
