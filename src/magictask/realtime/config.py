"""Real-time settings, read from the environment (prefix MAGICTASK_REALTIME_)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class RealtimeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAGICTASK_REALTIME_", extra="ignore")

    # Engine.IO heartbeats: the server pings every `ping_interval` seconds and drops a client that
    # has not answered within `ping_timeout` seconds more.
    ping_interval: float = 25.0
    ping_timeout: float = 20.0
    # The Redis pub/sub channel every API instance shares (the control channel is this + ":control").
    channel: str = "magictask:socketio"
    # No message to a client may exceed this: a larger event is sent with ids only and the client
    # refetches. Redis closes a subscriber whose output buffer grows past its limit, so big messages
    # are a threat to every instance, not just a slow client.
    max_message_bytes: int = 4096
    # Hard cap for anything published on the shared channel (the emitter refuses larger ones).
    max_publish_bytes: int = 65536
    # Largest message a client may send (join/leave/ping are tiny).
    max_client_message_bytes: int = 16384
    # How often the subscriber checks that its Redis connection is alive, and how long it waits for
    # the answer before declaring the subscription dead and subscribing again.
    pubsub_ping_interval: float = 5.0
    pubsub_ping_timeout: float = 5.0
    # Presence entries expire unless refreshed: an instance that dies takes its viewers with it.
    presence_ttl: float = 60.0
    # How often live sockets' tokens are re-checked: a socket whose token was revoked (logout, a deleted
    # personal token) or expired is disconnected within this many seconds.
    token_recheck_interval: float = 30.0
    # Token resolutions of connecting sockets running at once (the rest queue in memory, so a
    # reconnect storm cannot starve the REST API of database connections).
    connect_concurrency: int = 8
    # At most this many task/project rooms per socket.
    max_views_per_socket: int = 20
    # Abuse limits, per API process (realtime/limits.py). Generous for real use: an office behind one
    # address reconnecting after a deploy, a person with many tabs and devices.
    max_connects_per_ip_per_minute: int = 600
    max_connects_per_user_per_minute: int = 120
    max_sockets_per_user: int = 50
    max_joins_per_user_per_minute: int = 300
    # Origins allowed to open a socket; empty means same origin only (non-browser clients have none).
    cors_allowed_origins: list[str] = []
