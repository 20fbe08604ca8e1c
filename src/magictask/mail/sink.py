"""The embedded SMTP sink: accepts every message on loopback and keeps it as `<data dir>/mail/<id>.eml`.

Nothing leaves the machine; `magictask mail list|show` and the admin API read the directory back.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class _Handler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # Sortable names: the time first, so a listing is in arrival order.
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(envelope.original_content or envelope.content)
        os.replace(tmp, self.directory / f"{name}.eml")  # readers never see half a message
        return "250 Message accepted for delivery"


class MailSink:
    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        # aiosmtpd's controller checks its server by connecting to the port it was given: choose one first.
        self.host, self.port = host, port or _free_port(host)
        self._controller = Controller(_Handler(directory), hostname=self.host, port=self.port)

    def start(self) -> str:
        """Start in a background thread; returns the SMTP URL to hand to the worker."""
        self._controller.start()
        return f"smtp://{self.host}:{self.port}"

    def stop(self) -> None:
        self._controller.stop()


@dataclass(frozen=True)
class StoredMail:
    id: str
    to: str
    sender: str
    subject: str
    date: str
    text: str
    html: str


def _parse(path: Path) -> StoredMail:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    return StoredMail(
        id=path.stem,
        to=str(message.get("To", "")),
        sender=str(message.get("From", "")),
        subject=str(message.get("Subject", "")),
        date=str(message.get("Date", "")),
        text=text_part.get_content() if text_part is not None else "",
        html=html_part.get_content() if html_part is not None else "",
    )


def list_stored(directory: Path, *, to: str | None = None, limit: int = 100) -> list[StoredMail]:
    """Newest first; `to` keeps the messages whose To header contains it."""
    if not directory.is_dir():
        return []
    found: list[StoredMail] = []
    for path in sorted(directory.glob("*.eml"), reverse=True):
        stored = _parse(path)
        if to is None or to.lower() in stored.to.lower():
            found.append(stored)
            if len(found) >= limit:
                break
    return found


def read_stored(directory: Path, mail_id: str) -> StoredMail | None:
    if not mail_id.replace("-", "").isalnum():  # never a path
        return None
    path = directory / f"{mail_id}.eml"
    return _parse(path) if path.is_file() else None
