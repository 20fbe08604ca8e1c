"""The activity feed: who did what, when, read from the events (outbox) rows."""
