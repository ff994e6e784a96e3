"""The built-in calendar (an .ics file in the data folder), imported .ics files and export.

Writes go to a temporary file in the same folder, are flushed to disk, then replace the
calendar with ``os.replace`` — a crash leaves either the old or the new file, never half
of one. A file that cannot be parsed is never overwritten. Each read-modify-write holds
a lock against other threads and, through a lock file beside the calendar, against other
processes (a second Llama Desk window, the command line), so no write is lost.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from assistant.core.calendars.base import (
    Calendar,
    CalendarError,
    CalendarNotFoundError,
    CalendarReadOnlyError,
    check_calendar_name,
    disk_error,
)
from assistant.core.calendars.events import (
    CalendarEvent,
    CalendarTask,
    new_ical_calendar,
)
from assistant.core.calendars.expansion import EventList, events_in, expand_events, import_problem
from assistant.core.dates import local_zone
from assistant.core.paths import data_dir
from assistant.core.text_files import NotTextError, decode_text

LOCAL_NAME = "local"
#: Seconds a write waits for another process to finish with the calendar.
LOCK_TIMEOUT = 10.0
#: The most events and bytes an imported file may hold (parsing 50,000 events takes half a minute).
MAX_IMPORT_EVENTS = 10_000
MAX_IMPORT_BYTES = 20 * 1024 * 1024


def local_calendar_path() -> Path:
    return data_dir() / "calendar.ics"


def imported_dir() -> Path:
    path = data_dir() / "imported-calendars"
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_ics(path: Path) -> icalendar.Calendar:
    """Parse an .ics file; raises CalendarError with a readable message (never the raw bytes)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CalendarNotFoundError(f"The calendar file {path} does not exist.") from None
    except OSError as exc:
        raise CalendarError(f"Could not read {path}: {exc.strerror or exc}.") from exc
    return parse_ics(data, path.name)


def parse_ics(data: bytes, name: str) -> icalendar.Calendar:
    """Parse .ics bytes (UTF-8, or UTF-16 with a byte-order mark); CalendarError when it is not a calendar."""
    try:
        text = decode_text(data)
    except NotTextError as exc:
        raise CalendarError(f"{name} is not a calendar (.ics) file: {exc}.") from None
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise CalendarError(f"{name} is not a calendar (.ics) file: it does not start with BEGIN:VCALENDAR.")
    try:
        return icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        detail = "".join(char if char.isprintable() else "?" for char in str(exc)[:160])
        raise CalendarError(f"{name} is not a valid calendar (.ics) file: {detail}") from exc


def _new_file_mode(path: Path) -> int:
    """Keep the mode of the file being replaced; a new file gets the usual umask default."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_ics_atomically(cal: icalendar.Calendar, path: Path) -> None:
    """Write via a temp file + fsync + os.replace so the old file survives any crash.

    Disk errors (full, read-only, not a folder) become a CalendarError and leave no temp file.
    """
    payload = cal.to_ical()
    temp_name = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, _new_file_mode(path))
        os.replace(temp_name, path)
    except OSError as exc:
        raise disk_error(exc, f"save {path.name}", path.parent) from exc
    finally:
        if temp_name:
            Path(temp_name).unlink(missing_ok=True)


_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    """One lock per file, so the GUI and a worker thread never interleave read-modify-write."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(Path(path).resolve(), threading.Lock())


def _try_lock(handle) -> None:
    """Lock ``handle`` for this process or raise OSError at once (POSIX flock, Windows byte lock)."""
    if os.name == "nt":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(handle) -> None:
    if os.name == "nt":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold ``path`` for one read-modify-write, against other threads and other processes."""
    with _lock_for(path):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path.with_name(f".{path.name}.lock"), "a+b")  # closed by the with below
        except OSError as exc:
            raise disk_error(exc, f"change {path.name}", path.parent) from exc
        with handle:
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    _try_lock(handle)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise CalendarError(
                            f"{path.name} is being changed by another program (is Llama Desk open twice?). "
                            "Nothing was written; try again in a moment."
                        ) from None
                    time.sleep(0.02)
            try:
                yield
            finally:
                _unlock(handle)


class IcsFileCalendar(Calendar):
    """Events stored in one .ics file."""

    def __init__(self, path: Path, name: str, *, read_only: bool, zone: ZoneInfo | None = None) -> None:
        self.path = Path(path)
        self.name = name
        self.read_only = read_only
        self.zone = zone or local_zone()

    def _load(self) -> icalendar.Calendar:
        if not self.path.exists():
            return new_ical_calendar()
        return read_ics(self.path)

    def list_events(self, start: datetime, end: datetime) -> EventList:
        return expand_events(self._load(), start, end, self.zone, self.name)

    def list_tasks(self) -> list[CalendarTask]:
        tasks = []
        for component in self._load().walk("VTODO"):
            with contextlib.suppress(Exception):  # an unreadable to-do is left out, like a bad event
                tasks.append(CalendarTask.from_component(component, self.zone, self.name))
        return tasks

    def _save_component(self, component: icalendar.cal.Component) -> None:
        self._refuse_if_read_only()
        with _exclusive(self.path):
            cal = self._load()
            cal.add_component(component)
            cal.add_missing_timezones()
            write_ics_atomically(cal, self.path)

    def add_event(self, event: CalendarEvent) -> CalendarEvent:
        self._save_component(event.to_component())
        event.calendar = self.name
        return event

    def add_task(self, task: CalendarTask) -> CalendarTask:
        self._save_component(task.to_component())
        task.calendar = self.name
        return task

    def delete(self, uid: str) -> bool:
        self._refuse_if_read_only()
        with _exclusive(self.path):
            cal = self._load()
            kept = [c for c in cal.subcomponents if str(c.get("uid", "")) != uid]
            if len(kept) == len(cal.subcomponents):
                return False
            cal.subcomponents[:] = kept  # a recurring series goes with all its overrides (same UID)
            write_ics_atomically(cal, self.path)
        return True


class LocalCalendar(IcsFileCalendar):
    """The built-in calendar: ``calendar.ics`` in the user data folder."""

    def __init__(self, path: Path | None = None, *, zone: ZoneInfo | None = None) -> None:
        super().__init__(path or local_calendar_path(), LOCAL_NAME, read_only=False, zone=zone)


class ImportedCalendar(IcsFileCalendar):
    """A read-only copy of an imported .ics file, used to check for conflicts."""

    def __init__(self, path: Path, name: str | None = None, *, zone: ZoneInfo | None = None) -> None:
        super().__init__(path, name or Path(path).stem, read_only=True, zone=zone)


def calendar_name_for(path: Path) -> str:
    """A simple name for an imported file: 'Work Calendar.ics' -> 'work-calendar'."""
    name = re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-")[:40].strip("-")
    return name or "imported"


def import_ics(source: Path, name: str | None = None, *, zone: ZoneInfo | None = None) -> ImportedCalendar:
    """Check and copy an .ics file into the data folder; it then shows up as a read-only calendar.

    All or nothing: a file with one unusable event (no start, unreadable, repeating too
    often) is refused with a message naming that event, and nothing is installed.
    """
    source = Path(source)
    try:
        size = source.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise CalendarError(
                f"{source.name} is {size / 1e6:.0f} MB; calendars of up to {MAX_IMPORT_BYTES // 2**20} MB can be imported."
            )
        data = source.read_bytes()
    except FileNotFoundError:
        raise CalendarNotFoundError(f"The calendar file {source} does not exist.") from None
    except OSError as exc:
        raise CalendarError(f"Could not read {source}: {exc.strerror or exc}.") from exc
    if data.upper().count(b"BEGIN:VEVENT") > MAX_IMPORT_EVENTS:  # counted before the slow parse
        raise CalendarError(
            f"{source.name} holds more than {MAX_IMPORT_EVENTS:,} events; split it (for example by year) and import the parts."
        )
    if name is None:
        name = calendar_name_for(source)
    check_calendar_name(name, "Imported calendar")
    cal = parse_ics(data, source.name)
    if not events_in(cal):
        raise CalendarError(f"{source.name} contains no events.")
    problem = import_problem(cal)
    if problem:
        raise CalendarError(f"Nothing was imported from {source.name}: {problem}. Fix or remove that event and try again.")
    try:
        folder = imported_dir()
        target = folder / f"{name}.ics"
        handle, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temp, target)
        finally:
            Path(temp).unlink(missing_ok=True)
    except OSError as exc:
        raise disk_error(exc, f"import {source.name}") from exc
    return ImportedCalendar(target, name, zone=zone)


def imported_calendars(zone: ZoneInfo | None = None) -> list[ImportedCalendar]:
    return [ImportedCalendar(p, p.stem, zone=zone) for p in sorted(imported_dir().glob("*.ics"))]


def export_event_ics(event: CalendarEvent, path: Path | None = None) -> Path:
    """Write one event as a standalone .ics (for "Add to my calendar app"); returns its path."""
    cal = new_ical_calendar()
    cal.add("method", "PUBLISH")
    cal.add_component(event.to_component())
    cal.add_missing_timezones()
    if path is None:
        folder = data_dir() / "exports"
        slug = re.sub(r"[^A-Za-z0-9]+", "-", event.title).strip("-")[:40] or "event"
        path = folder / f"{slug}-{event.start.strftime('%Y%m%d-%H%M')}.ics"
    write_ics_atomically(cal, Path(path))
    return Path(path)


__all__ = [
    "LOCAL_NAME",
    "CalendarReadOnlyError",
    "ImportedCalendar",
    "LocalCalendar",
    "export_event_ics",
    "import_ics",
    "imported_calendars",
]
