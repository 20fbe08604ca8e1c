"""Settings, read once from the environment (prefix MAGICTASK_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAGICTASK_", extra="ignore")

    # With no URL the CLI boots the embedded servers and fills these in for its children.
    database_url: str | None = None
    database_read_url: str | None = None
    redis_url: str | None = None

    secret_key: str = "dev-insecure-change-me"
    sentry_dsn: str | None = None
    # /metrics answers localhost, or a scraper sending this as a bearer token (kit/ops_access.py).
    metrics_token: str | None = None
    # Largest request body the app reads (kit/body_limit.py); nginx has its own cap, a direct port doesn't.
    max_request_body_bytes: int = Field(default=1_048_576, ge=1024)
    # A log line per request (with its request id, route, status and time). Off by default: it cost 4-6% of a
    # task GET's CPU (docs/BENCHMARKS.md), and nginx in front logs every request anyway (deploy/nginx.conf).
    access_log: bool = False
    # On SIGTERM an API process answers /readyz with 503 and keeps serving this long before it closes its
    # listener (kit/drain.py): time for a load balancer that polls readiness to stop sending it work. 0 (the
    # default) suits nginx's passive checks and `up`'s shared port, where a closed listener is enough.
    drain_seconds: float = Field(default=0.0, ge=0, le=300)
    environment: str = "development"

    session_cookie_name: str = "magictask_session"
    # Secure cookies need HTTPS; the embedded default serves plain http on loopback.
    session_cookie_secure: bool = False
    session_ttl_days: int = 30
    # Origins besides the site's own whose pages may send cookie-authenticated changes (kit/origin.py),
    # e.g. ["http://localhost:5173"] for a dev server that does not proxy the Host header.
    trusted_origins: list[str] = []

    # Login throttling (accounts/ratelimit.py, docs/SECURITY.md). Each client of an account (a known device,
    # else the pair account + IP) gets `login_free_failures` failures, then waits base x 2^n seconds (capped)
    # after each further one; its record is forgotten `login_failure_memory_seconds` after its last failure.
    login_free_failures: int = Field(default=3, ge=1)
    login_backoff_base_seconds: float = Field(default=1.0, gt=0)
    login_backoff_max_seconds: float = Field(default=900.0, gt=0)
    login_failure_memory_seconds: int = Field(default=86400, ge=1)
    # Ceilings shared by clients that are not known devices, per window: attempts at one account (high
    # enough that one address, slowed by its backoff, never reaches it) and attempts from one IP.
    login_max_attempts_per_account: int = 50
    login_max_attempts_per_ip: int = 50
    login_window_seconds: int = 900
    # The signed "known device" cookie a browser gets at login (accounts/devices.py).
    device_cookie_name: str = "magictask_device"
    device_cookie_days: int = 365
    # Sign-ups per client IP per window: stops a script mass-creating accounts (or probing which emails
    # are taken) while an office behind one address can still onboard a team.
    signup_max_per_ip: int = 100
    signup_window_seconds: int = 3600
    # Password reset requests per window, per client IP and per address asked about (accounts/email_flows.py).
    password_reset_max_per_ip: int = 20
    password_reset_max_per_account: int = 5
    password_reset_window_seconds: int = 3600

    # Board cache of each API process: members held over all cached boards (~550 B each, so the default
    # is ~165 MB at most); least recently read boards go first. Size it to the members x 3 windows of the
    # workspaces read often.
    leaderboard_cache_max_members: int = Field(default=300_000, ge=0)

    # Resolved tokens each API process keeps in memory, so authentication costs no database statement
    # (accounts/auth_cache.py; 0 switches the cache off). Revocations reach every process through Redis
    # within a second; the TTL only bounds an entry should an invalidation fail to be published. The
    # listener PINGs Redis this often when idle, and serves from the database after an unanswered PING.
    auth_cache_max_entries: int = Field(default=10_000, ge=0)
    auth_cache_ttl_seconds: float = Field(default=10.0, gt=0)
    auth_cache_heartbeat_seconds: float = Field(default=0.25, gt=0)
    auth_cache_heartbeat_timeout_seconds: float = Field(default=0.5, gt=0)

    # Event stream partitions (by acting user). Fixed for the life of a deployment: changing it while
    # events are queued would reorder one user's events across partitions.
    event_partitions: int = 16
    reward_batch_size: int = 500
    reward_max_attempts: int = 5
    # An event committed but not processed after this long is re-published by the sweeper.
    outbox_grace_seconds: float = 30.0
    # ... and re-published again only after this long, if still unprocessed (a lagging worker's backlog is
    # not appended again on every sweep).
    outbox_republish_retry_seconds: float = Field(default=300.0, gt=0)
    # How often the worker trims acknowledged entries from the event stream partitions.
    stream_trim_seconds: float = Field(default=30.0, gt=0)
    # A worker that stops renewing its partition leases loses them after this long.
    partition_lease_seconds: float = 10.0
    worker_metrics_port: int = 0

    # Outgoing mail (mail/). With no URL `magictask up` starts its SMTP sink and sets this to it; a worker
    # with no URL at all leaves mail queued. smtp://user:pass@host:587?starttls=1 or smtps://host:465.
    smtp_url: str | None = None
    mail_from: str = "MagicTask <magictask@localhost>"
    # Where the embedded sink keeps messages (`magictask mail list`, GET /api/v1/admin/mail).
    mail_dir: str | None = None
    # The site's address as people reach it: links in mails point here.
    public_url: str = "http://127.0.0.1:8000"
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    # A message failing this many times is dead-lettered; between attempts, base x 2^(n-1) seconds.
    mail_max_attempts: int = Field(default=6, ge=1)
    mail_retry_base_seconds: float = Field(default=30.0, gt=0)
    mail_poll_seconds: float = Field(default=1.0, gt=0)

    db_pool_size: int = 10
    db_max_overflow: int = 20

    # Dependency timeouts: a stopped or paused PostgreSQL or Redis turns into a 503 `unavailable` within
    # about pool wait + connect + command timeout, never a hang (docs/RELIABILITY.md).
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    # Server-side limit per statement of the API and the reward worker (the leaderboard refresher has none).
    db_statement_timeout_seconds: float = Field(default=15.0, gt=0)
    # Client-side limit per round trip: catches a server that stopped answering (statement_timeout cannot).
    db_command_timeout_seconds: float = Field(default=20.0, gt=0)
    # Longest wait for a free connection of the pool.
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    redis_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    redis_socket_timeout_seconds: float = Field(default=5.0, gt=0)
    # Retries of a Redis command after a connection error or timeout (redis-py's default is 10, which
    # multiplies every timeout above by eleven).
    redis_retries: int = Field(default=1, ge=0)

    # Leaderboards and analytics read from `database_read_url` (a streaming replica) when it is set and
    # answers; after a failed replica read they use the primary for `read_replica_retry_seconds`.
    read_pool_size: int = 5
    read_max_overflow: int = 10
    read_connect_timeout_seconds: float = 2.0
    read_replica_retry_seconds: float = 10.0
    # How often the worker refreshes the leaderboard materialized views (one worker at a time).
    leaderboard_refresh_seconds: float = 300.0

    def require_database_url(self) -> str:
        if not self.database_url:
            raise RuntimeError(
                "MAGICTASK_DATABASE_URL is not set (magictask up sets it for the embedded default)"
            )
        return self.database_url

    def require_redis_url(self) -> str:
        if not self.redis_url:
            raise RuntimeError(
                "MAGICTASK_REDIS_URL is not set (magictask up sets it for the embedded default)"
            )
        return self.redis_url


@lru_cache
def get_settings() -> Settings:
    return Settings()
