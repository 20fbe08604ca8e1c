"""A persisted inbox per person, produced by the worker from committed events (never inside a request)."""
