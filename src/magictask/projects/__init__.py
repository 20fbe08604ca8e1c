"""Projects feature."""
