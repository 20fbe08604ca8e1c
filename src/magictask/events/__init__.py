"""Events feature."""
