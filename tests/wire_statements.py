"""A TCP proxy in front of PostgreSQL that records every statement its clients execute.

Counting on the wire sees everything a request costs the database, whatever sent it: SQLAlchemy's prepared
statements, raw asyncpg queries, BEGIN/COMMIT/ROLLBACK and pool pre-pings. asyncpg's query loggers miss
prepared-statement executions (SQLAlchemy's path), so they would undercount.

In the frontend protocol a simple query is one 'Q' message and an extended-protocol execution one 'E'
(after a 'B' bind naming the statement a 'P' parse carried); each counts as one statement. Preparing
(Parse/Describe without Execute) costs a round trip but runs nothing, so it is not counted; requests are
measured once the connections are warm.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


class WireStatements:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.statements: list[str] = []
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._pipes):
            task.cancel()
        for task in list(self._pipes):
            with contextlib.suppress(BaseException):
                await task

    def take(self) -> list[str]:
        """The statements recorded since the last call."""
        taken, self.statements = self.statements, []
        return taken

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(*self.upstream)
        up = asyncio.create_task(self._client_to_server(client_r, client_w, server_w))
        down = asyncio.create_task(self._copy(server_r, client_w))
        self._pipes.update((up, down))
        try:
            await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (up, down):
                task.cancel()
                self._pipes.discard(task)
            for writer in (client_w, server_w):
                writer.close()

    @staticmethod
    async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()

    async def _client_to_server(
        self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter, server_w: asyncio.StreamWriter
    ) -> None:
        # Start-up: untyped messages. Refuse TLS/GSS encryption so the rest can be read (test-only).
        while True:
            head = await client_r.readexactly(8)
            length, code = struct.unpack("!ii", head)
            body = await client_r.readexactly(length - 8)
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                client_w.write(b"N")
                await client_w.drain()
                continue
            server_w.write(head + body)
            break
        prepared: dict[str, str] = {}  # statement name -> its SQL
        portal_sql = ""
        while True:
            head = await client_r.readexactly(5)
            kind, length = head[:1], struct.unpack("!i", head[1:])[0]
            body = await client_r.readexactly(length - 4)
            if kind == b"Q":
                self.statements.append(body.rstrip(b"\0").decode())
            elif kind == b"P":
                name, sql = body.split(b"\0")[:2]
                prepared[name.decode()] = sql.decode()
            elif kind == b"B":
                statement = body.split(b"\0")[1].decode()
                portal_sql = prepared.get(statement, "?")
            elif kind == b"E":
                self.statements.append(portal_sql)
            server_w.write(head + body)
            await server_w.drain()
