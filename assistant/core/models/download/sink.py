"""Receiving the body into the part file: reused buffers, and writer, hasher and flusher threads beside the reader."""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import queue
import threading
from pathlib import Path

from assistant.core.models.download.verify import hash_file

CHUNK = 1 << 20
#: Receive buffers of CHUNK bytes shared by the reader, writer and hasher threads (few
#: enough to stay in the CPU cache between the three).
BUFFERS = 4
#: Bytes per write call. Large writes make Linux fill the page cache with large folios,
#: which in a VM with free-page reporting come from memory the host has taken back and
#: cost several times more to fill (800 MB: 0.14-1.9 s with 1 MiB writes, 0.2-0.3 s
#: with 16 KiB ones, on the machine in BENCHMARKS.md); curl writes 16 KiB too.
WRITE_PIECE = 16 * 1024
#: Bytes written between two syncs to disk while a download runs.
FLUSH_EVERY = 64 * 1024 * 1024


def _write_chunk(fd: int, data: memoryview) -> None:
    """Write one chunk, :data:`WRITE_PIECE` bytes per call (a seam: tests simulate the disk filling up)."""
    while data:
        data = data[os.write(fd, data[:WRITE_PIECE]) :]


def read_some(response: http.client.HTTPResponse, view: memoryview) -> int:
    """Up to ``len(view)`` bytes of the body with at most one read from the socket (0 at the end).

    ``readinto`` waits until the whole buffer is full, and a timeout then loses what had
    arrived; this returns what one read gave. A body of known length is read straight
    into the buffer (no copy), as ``HTTPResponse.readinto`` does.
    """
    if response.fp is None or response.chunked or response.length is None:
        data = response.read1(len(view))
        view[: len(data)] = data
        return len(data)
    count = response.fp.readinto1(view[: response.length])
    response.length -= count
    if not count:
        response.close()
    return count


class WriteFailed(Exception):
    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _Buffer:
    """One receive buffer, handed from the reader to the writer and back."""

    __slots__ = ("data", "size")

    def __init__(self) -> None:
        self.data = bytearray(CHUNK)
        self.size = 0

    def view(self) -> memoryview:
        return memoryview(self.data)[: self.size]


class Sink:
    """Appends the response body to the part file and hashes it, on threads beside the reader.

    The reader receives into a few reused buffers (:data:`BUFFERS`), so every byte is
    copied once from the socket and once to the page cache, with no allocation per
    chunk; a writer thread writes each buffer and hands it back. The hasher thread
    reads back from the part file what the writer wrote (from the page cache, in
    parallel), so the SHA-256 is that of the file on disk, never only of the bytes
    received: a disk or another writer changing them cannot pass the check. It covers
    the bytes already in the part file, so a resumed file is verified as a whole, and
    :meth:`finish` checks that it covered every byte of the file. A flusher thread syncs every
    :data:`FLUSH_EVERY` bytes while the download goes on, so the final fsync has little
    left to do and dirty pages never pile up and stall the writer.
    """

    _STOP = None

    def __init__(self, part: Path) -> None:
        self.error: OSError | None = None
        self.fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), 0o644)
        self.reader = part.open("rb")
        self.digest = hash_file(hashlib.sha256(), part)
        self.written = self.hashed = self.reader.seek(0, os.SEEK_END)
        self._failed: Exception | None = None
        self._free: queue.Queue[_Buffer] = queue.Queue()
        for _ in range(BUFFERS):
            self._free.put(_Buffer())
        self._start()

    def _start(self) -> None:
        self.write_queue: queue.Queue = queue.Queue()
        self.hash_queue: queue.Queue = queue.Queue()
        self._unsynced = 0
        self._flush_wanted = threading.Condition()
        self._flush_pending = False
        self._closing = False
        self.writer = threading.Thread(target=self._write_loop, name="download-writer", daemon=True)
        self.hasher = threading.Thread(target=self._hash_loop, name="download-hasher", daemon=True)
        self.flusher = threading.Thread(target=self._flush_loop, name="download-flusher", daemon=True)
        for thread in (self.writer, self.hasher, self.flusher):
            thread.start()

    def receive(self, response: http.client.HTTPResponse, limit: int = CHUNK) -> int:
        """Read up to ``limit`` bytes of ``response`` and queue them; return how many (0 at the end).

        A read that fails (a stall past the timeout, a dropped connection) after some bytes
        arrived still queues those bytes and fails on the next call: a slow link that
        stalls keeps what it got.
        """
        if self._failed is not None:
            failed, self._failed = self._failed, None
            raise failed
        buffer = self._free.get()
        view = memoryview(buffer.data)[: min(CHUNK, limit)]
        filled = 0
        try:
            while filled < len(view):
                count = read_some(response, view[filled:])
                if not count:
                    break
                filled += count
        except Exception as exc:
            if not filled:
                self._free.put(buffer)
                raise
            self._failed = exc
        except BaseException:
            self._free.put(buffer)
            raise
        if not filled:
            self._free.put(buffer)
            return 0
        buffer.size = filled
        self.write_queue.put(buffer)
        return filled

    def _write_loop(self) -> None:
        while (buffer := self.write_queue.get()) is not self._STOP:
            try:
                if self.error is None:
                    _write_chunk(self.fd, buffer.view())
                    self.hash_queue.put((self.written, buffer.size))
                    self.written += buffer.size
                    self._unsynced += buffer.size
            except Exception as exc:
                self.error = exc if isinstance(exc, OSError) else OSError(errno.EIO, f"{type(exc).__name__}: {exc}")
            finally:
                self._free.put(buffer)
            if self._unsynced >= FLUSH_EVERY:
                self._unsynced = 0
                with self._flush_wanted:
                    self._flush_pending = True
                    self._flush_wanted.notify()

    def _flush_loop(self) -> None:
        sync = getattr(os, "fdatasync", os.fsync)  # no fdatasync on macOS and Windows
        while True:
            with self._flush_wanted:
                self._flush_wanted.wait_for(lambda: self._flush_pending or self._closing)
                if self._closing:
                    return
                self._flush_pending = False
            try:
                sync(self.fd)
            except OSError as exc:
                if self.error is None:
                    self.error = exc

    def _hash_loop(self) -> None:
        """Hash what the writer wrote, read back from the part file in order."""
        piece = bytearray(CHUNK)
        while (item := self.hash_queue.get()) is not self._STOP:
            start, length = item
            if start != self.hashed:  # never: the writer reports in order
                continue
            self.reader.seek(start)
            while length:
                count = self.reader.readinto(memoryview(piece)[: min(length, CHUNK)])
                if not count:
                    break
                self.digest.update(memoryview(piece)[:count])
                self.hashed += count
                length -= count

    def check(self) -> None:
        if self.error is not None:
            raise WriteFailed(self.error)

    def _drain(self) -> None:
        self.write_queue.put(self._STOP)
        self.writer.join()
        self.hash_queue.put(self._STOP)
        self.hasher.join()
        with self._flush_wanted:
            self._closing = True
            self._flush_wanted.notify()
        self.flusher.join()

    def restart(self) -> None:
        """Empty the part file (the server is sending from byte 0)."""
        self._drain()
        self.check()
        os.ftruncate(self.fd, 0)
        self.digest = hashlib.sha256()
        self.written = self.hashed = 0
        self._start()

    def finish(self) -> str | None:
        """Wait for every chunk, flush to disk, and return the SHA-256 of the whole part file.

        None when the hash does not cover the file as it is on disk (something else
        wrote to it): the caller treats that as a damaged file.
        """
        self._drain()
        self.check()
        try:
            os.fsync(self.fd)
            whole = os.fstat(self.fd).st_size == self.hashed
        except OSError as exc:
            raise WriteFailed(exc) from None
        finally:
            self._close()
        return self.digest.hexdigest() if whole else None

    def abandon(self) -> None:
        if self.fd >= 0:
            self._drain()
            self._close()

    def _close(self) -> None:
        fd, self.fd = self.fd, -1
        self.reader.close()
        try:
            os.close(fd)
        except OSError:
            pass
