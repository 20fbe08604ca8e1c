"""The outbox, the bottom layer: event rows and their types, publication after commit, the event stream.

Imports no feature; the activity feed that reads these rows is `magictask.activity`.
"""
