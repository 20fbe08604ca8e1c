"""Outgoing email: queued as a row in the caller's transaction, delivered by the worker over SMTP.

`queue_mail` is the one API features call (invites, account flows, notifications): it renders the message
from its Jinja2 templates and adds an `outgoing_mail` row to the unit of work. Nothing is sent inside a
request; the worker's mail sender (mail/sender.py) delivers committed rows with retries and dead-letters
the ones that keep failing. `magictask up` runs a local SMTP sink (mail/sink.py) unless
MAGICTASK_SMTP_URL is set, so every flow can be walked end to end on a fresh clone.
"""
