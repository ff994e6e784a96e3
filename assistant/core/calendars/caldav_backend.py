"""CalDAV calendars (Nextcloud, Fastmail, iCloud with an app password, Radicale...).

Uses the ``caldav`` library with TLS verification on and DNS service discovery off; the
server address must be https unless the server runs on this computer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import caldav
import caldav.lib.error as dav_error
import icalendar

from assistant.core.calendars.accounts import CalDAVAccount, check_server_url
from assistant.core.calendars.base import (
    Calendar,
    CalendarAuthError,
    CalendarError,
    CalendarNotFoundError,
    CalendarReadOnlyError,
    CalendarUnreachableError,
)
from assistant.core.calendars.events import (
    CalendarEvent,
    CalendarTask,
    new_ical_calendar,
)
from assistant.core.calendars.local import expand_events, local_zone


def _status(exc: Exception) -> int | None:
    reason = str(getattr(exc, "reason", "")) + " " + str(exc)
    for code in (401, 403, 404, 405):
        if str(code) in reason:
            return code
    if "Forbidden" in reason:
        return 403
    if "Unauthorized" in reason:
        return 401
    return None


class CalDAVCalendar(Calendar):
    """One calendar of a CalDAV account.

    ``account.calendar`` names the calendar (display name or the last part of its URL);
    empty picks the first calendar the server lists.
    """

    def __init__(
        self, account: CalDAVAccount, password: str | None = None, *, timeout: int = 20, zone: ZoneInfo | None = None
    ) -> None:
        check_server_url(account.url)
        self.account = account
        self.name = account.name
        self.zone = zone or local_zone()
        self._password = password
        self._timeout = timeout
        self._client: caldav.DAVClient | None = None
        self._calendar: caldav.Calendar | None = None
        self._read_only: bool | None = None

    # -- connection -------------------------------------------------------------------
    @contextmanager
    def _errors(self, writing: bool = False) -> Iterator[None]:
        """Turn library and network errors into CalendarError subclasses with plain messages."""
        try:
            yield
        except CalendarError:
            raise
        except dav_error.AuthorizationError as exc:
            if writing and self._client is not None and _status(exc) != 401:
                self._read_only = True
                raise CalendarReadOnlyError(
                    f"The calendar '{self.name}' does not allow adding or removing events "
                    "(it is read-only for your account). Choose another calendar."
                ) from exc
            raise CalendarAuthError(
                f"The server refused the user name or password for '{self.name}'. Check them; "
                "iCloud, Fastmail and Nextcloud with two-factor login need an app password."
            ) from exc
        except (dav_error.PutError, dav_error.DeleteError) as exc:
            if _status(exc) in (403, 405):
                self._read_only = True
                raise CalendarReadOnlyError(f"The calendar '{self.name}' is read-only for your account.") from exc
            raise CalendarError(f"The server of '{self.name}' refused the change: {exc}") from exc
        except dav_error.NotFoundError as exc:
            raise CalendarNotFoundError(
                f"The calendar address of '{self.name}' was not found on the server ({self.account.url})."
            ) from exc
        except dav_error.DAVError as exc:
            raise CalendarError(f"The calendar server of '{self.name}' answered with an error: {exc}") from exc
        except OSError as exc:  # niquests ConnectionError/Timeout/SSLError derive from OSError
            detail = (
                "its security certificate could not be verified"
                if "certif" in str(exc).lower()
                else "it did not answer"
            )
            raise CalendarUnreachableError(
                f"Could not reach the calendar server {self.account.url}: {detail}. "
                "Check the address and your internet connection, then try again."
            ) from exc

    def _connect(self) -> caldav.DAVClient:
        if self._client is None:
            password = self._password if self._password is not None else self.account.password()
            client = caldav.DAVClient(
                url=self.account.url,
                username=self.account.username,
                password=password,
                timeout=self._timeout,
                ssl_verify_cert=True,
                enable_rfc6764=False,
            )
            with self._errors():
                client.principal()  # checks the password
            self._client = client
        return self._client

    def close(self) -> None:
        """Close the connection (a new one opens on the next call)."""
        if self._client is not None:
            self._client.close()
        self._client, self._calendar = None, None

    def discover(self) -> list[str]:
        """Names of the calendars this account can see."""
        client = self._connect()
        with self._errors():
            return [_display_name(c) for c in client.principal().calendars()]

    def _target(self) -> caldav.Calendar:
        if self._calendar is not None:
            return self._calendar
        client = self._connect()
        with self._errors():
            calendars = client.principal().calendars()
        wanted = self.account.calendar
        for candidate in calendars:
            if not wanted or wanted in (_display_name(candidate), str(candidate.url).rstrip("/").rsplit("/", 1)[-1]):
                self._calendar = candidate
                return candidate
        available = ", ".join(_display_name(c) for c in calendars) or "none"
        what = f"no calendar called '{wanted}'" if wanted else "no calendars"
        raise CalendarNotFoundError(f"The account '{self.name}' has {what}. Calendars found: {available}.")

    def selected_calendar(self) -> str:
        """Display name of the calendar this object reads and writes."""
        return _display_name(self._target())

    @property
    def read_only(self) -> bool:  # type: ignore[override]
        """True once the server refused a write (or its privileges say it would)."""
        if self._read_only is None:
            self._read_only = self._probe_read_only()
        return self._read_only

    def _probe_read_only(self) -> bool:
        target = self._target()
        try:
            props = target.get_properties([caldav.elements.dav.CurrentUserPrivilegeSet()])
        except Exception:
            return False
        privileges = next(iter(props.values()), None)
        if not privileges:
            return False
        names = [str(p).rsplit("}", 1)[-1] for p in (privileges if isinstance(privileges, list) else [privileges])]
        return not any(name in ("write", "write-content", "all", "bind") for name in names)

    # -- Calendar interface -----------------------------------------------------------
    def list_events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        target = self._target()
        with self._errors():
            found = target.search(start=start, end=end, event=True, expand=False)
        merged = new_ical_calendar()
        for item in found:
            for component in item.icalendar_instance.subcomponents:
                if component.name in ("VEVENT", "VTIMEZONE"):
                    merged.add_component(component)
        return expand_events(merged, start, end, self.zone, self.name)

    def _put(self, component: icalendar.cal.Component) -> None:
        cal = new_ical_calendar()
        cal.add_component(component)
        cal.add_missing_timezones()
        target = self._target()
        with self._errors(writing=True):
            if component.name == "VTODO":
                target.save_todo(cal.to_ical().decode())
            else:
                target.save_event(cal.to_ical().decode())

    def add_event(self, event: CalendarEvent) -> CalendarEvent:
        self._put(event.to_component())
        event.calendar = self.name
        return event

    def add_task(self, task: CalendarTask) -> CalendarTask:
        self._put(task.to_component())
        task.calendar = self.name
        return task

    def delete(self, uid: str) -> bool:
        target = self._target()
        with self._errors():
            try:
                item = target.object_by_uid(uid)
            except dav_error.NotFoundError:
                return False
        with self._errors(writing=True):
            item.delete()
        return True


def _display_name(calendar: caldav.Calendar) -> str:
    try:
        name = calendar.get_display_name()
    except Exception:
        name = None
    return name or str(calendar.url).rstrip("/").rsplit("/", 1)[-1]
