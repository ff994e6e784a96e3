"""`llama-desk calendar ...`: list, add, import .ics files, set up CalDAV accounts.

    llama-desk calendar list [--calendar NAME] [--from ISO] [--to ISO] [--json]
    llama-desk calendar add --title T --start ISO [--end ISO] [--all-day] [--calendar NAME]
    llama-desk calendar import FILE.ics [--name NAME]
    llama-desk calendar account add NAME URL --user U [--password-stdin] [--calendar CAL]
    llama-desk calendar account list | remove NAME

``local`` is the built-in calendar. Typing ``add`` is the user's confirmation.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import json
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from assistant.core.calendars import (
    LOCAL_NAME,
    CalDAVAccount,
    CalendarError,
    EventDraft,
    conflict_calendars,
    import_ics,
    local_zone,
    open_calendar,
    write_event,
)
from assistant.core.calendars.base import disk_error
from assistant.core.calendars.events import span_text
from assistant.core.dates import format_when, resolve_datetime

Action = Callable[[argparse.Namespace], int]


def _guarded(action: Action) -> Action:
    """Disk and permission errors (data folder read-only, full, or a file) become one plain line."""

    @functools.wraps(action)
    def run(args: argparse.Namespace) -> int:
        try:
            return action(args)
        except OSError as exc:
            return _fail(str(disk_error(exc, "use the data folder")))

    return run


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("calendar", help="list, add and import calendar events; set up CalDAV accounts")
    actions = parser.add_subparsers(dest="calendar_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: _usage(parser))

    listing = actions.add_parser("list", help="show events in a time range (default: the next 7 days)")
    listing.add_argument("--calendar", default=LOCAL_NAME, metavar="NAME", help="calendar name (default: local)")
    listing.add_argument("--from", dest="start", metavar="ISO", help="start of the range (default: now)")
    listing.add_argument("--to", dest="end", metavar="ISO", help="end of the range (default: 7 days after --from)")
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.set_defaults(func=_guarded(_list))

    add = actions.add_parser("add", help="add an event (typing this command is your confirmation)")
    add.add_argument("--title", required=True)
    add.add_argument("--start", required=True, metavar="ISO", help="e.g. 2026-12-01T15:00 or 'next Tuesday at 3pm'")
    add.add_argument("--end", metavar="ISO", help="default: one hour after the start")
    add.add_argument("--calendar", default=LOCAL_NAME, metavar="NAME")
    add.add_argument("--location", default="")
    add.add_argument("--timezone", default="", metavar="ZONE", help="IANA zone, default: this computer's")
    add.add_argument("--allow-duplicate", action="store_true", help="add even if the same event already exists")
    add.add_argument(
        "--all-day", action="store_true", help="an all-day event: --start and --end are dates (--end is the last day)"
    )
    add.set_defaults(func=_guarded(_add))

    importing = actions.add_parser("import", help="import an .ics file (read-only, used for conflict checks)")
    importing.add_argument("file", metavar="FILE.ics", type=Path)
    importing.add_argument("--name", help="calendar name (default: from the file name)")
    importing.set_defaults(func=_guarded(_import))

    account = actions.add_parser("account", help="CalDAV accounts")
    account_actions = account.add_subparsers(dest="account_command", metavar="ACTION")
    account.set_defaults(func=lambda args: _usage(account))
    account_add = account_actions.add_parser("add", help="add a CalDAV account (password goes to the system keyring)")
    account_add.add_argument("name", metavar="NAME")
    account_add.add_argument("url", metavar="URL")
    account_add.add_argument("--user", required=True, metavar="U")
    account_add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    account_add.add_argument(
        "--calendar", default="", metavar="CAL", help="which calendar of the account (default: the first)"
    )
    account_add.add_argument("--no-check", action="store_true", help="save without connecting to the server")
    account_add.set_defaults(func=_guarded(_account_add))
    account_list = account_actions.add_parser("list", help="show the saved accounts (never the passwords)")
    account_list.set_defaults(func=_guarded(_account_list))
    account_remove = account_actions.add_parser("remove", help="forget an account and its saved password")
    account_remove.add_argument("name", metavar="NAME")
    account_remove.set_defaults(func=_guarded(_account_remove))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _fail(message: str) -> int:
    print(f"Error: {message}", file=sys.stderr)
    return 1


def _when(text: str | None, default: datetime, zone_name: str) -> datetime:
    if not text:
        return default
    result = resolve_datetime(text, default, zone_name)
    if not result.ok or result.value is None:
        raise CalendarError(f"'{text}': {result.reason}")
    return result.value


def _print_notices(notices: list[str]) -> None:
    for notice in notices:
        print(f"Note: {notice}", file=sys.stderr)


def _list(args: argparse.Namespace) -> int:
    zone = local_zone()
    now = datetime.now(zone)
    try:
        start = _when(args.start, now, zone.key)
        end = _when(args.end, start + timedelta(days=7), zone.key)
        if end <= start:
            return _fail("--to must be after --from.")
        events = open_calendar(args.calendar, zone=zone).list_events(start, end)
    except CalendarError as exc:
        return _fail(str(exc))
    notices = list(getattr(events, "notices", []))
    _print_notices(notices)
    if args.json:
        print(
            json.dumps(
                {
                    "calendar": args.calendar,
                    "timezone": zone.key,
                    "from": start.isoformat(),
                    "to": end.isoformat(),
                    "events": [e.to_dict() for e in events],
                    "notices": notices,
                },
                indent=2,
            )
        )
        return 0
    if not events:
        print(f"No events in '{args.calendar}' from {format_when(start)} to {format_when(end)}.")
        return 0
    for event in events:
        when = event.start.astimezone(zone).strftime("%a %d %b %Y") + f" ({span_text(event, zone)})"
        print(f"{when}  {event.title}" + (f"  @ {event.location}" if event.location else ""))
    return 0


def _add(args: argparse.Namespace) -> int:
    zone = args.timezone or local_zone().key
    arguments = {
        "title": args.title,
        "start": args.start,
        "end": args.end or "",
        "location": args.location,
        "all_day": args.all_day,
    }
    try:
        calendar = open_calendar(args.calendar)
        draft = EventDraft.from_arguments(arguments, now=datetime.now(local_zone()), zone=zone, calendar=calendar.name)
        if draft.ready:
            draft.check_calendar(calendar, others=conflict_calendars(calendar, local_zone()))
    except CalendarError as exc:
        return _fail(str(exc))
    if not draft.ready:
        return _fail("The event was not added. " + " ".join(draft.questions))
    if draft.duplicates and not args.allow_duplicate:
        return _fail(
            f"'{draft.title}' at {format_when(draft.start)} is already in '{calendar.name}'. Use --allow-duplicate to add it anyway."
        )
    _print_notices(draft.warnings)
    try:
        event = write_event(calendar, draft.confirm())
    except CalendarError as exc:
        return _fail(str(exc))
    print(f"Added '{event.title}' on {format_when(event.start)} to '{calendar.name}' (id {event.uid}).")
    return 0


def _import(args: argparse.Namespace) -> int:
    try:
        imported = import_ics(args.file, args.name)
        now = datetime.now(local_zone())
        upcoming = imported.list_events(now, now + timedelta(days=30))
    except CalendarError as exc:
        return _fail(str(exc))
    _print_notices(upcoming.notices)
    print(
        f"Imported {args.file.name} as the read-only calendar '{imported.name}' ({len(upcoming)} events in the next 30 days)."
    )
    print(f"Show it with: llama-desk calendar list --calendar {imported.name}")
    return 0


def _account_add(args: argparse.Namespace) -> int:
    from assistant.core.calendars.accounts import check_account, save_account
    from assistant.core.calendars.caldav_backend import CalDAVCalendar

    account = CalDAVAccount(name=args.name, url=args.url, username=args.user, calendar=args.calendar)
    try:
        check_account(account)  # before the password is asked for or sent anywhere
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass(f"Password for {args.user} (an app password for iCloud/Fastmail): ")
        check_account(account, password)
        if not args.no_check:
            remote = CalDAVCalendar(account, password)
            found = remote.discover()
            remote.selected_calendar()  # raises if --calendar names none of them
        save_account(account, password)
    except CalendarError as exc:
        return _fail(str(exc))
    print(f"Saved the account '{args.name}' (password stored in the system keyring).")
    if not args.no_check:
        print("Calendars: " + (", ".join(found) or "none found"))
    return 0


def _account_list(args: argparse.Namespace) -> int:
    from assistant.core.calendars.accounts import load_accounts

    try:
        accounts = load_accounts()
    except CalendarError as exc:
        return _fail(str(exc))
    if not accounts:
        print("No CalDAV accounts. Add one with: llama-desk calendar account add NAME URL --user U")
    for account in accounts.values():
        print(
            f"{account.name}  {account.url}  user {account.username}"
            + (f"  calendar {account.calendar}" if account.calendar else "")
        )
    return 0


def _account_remove(args: argparse.Namespace) -> int:
    from assistant.core.calendars.accounts import remove_account

    try:
        remove_account(args.name)
    except CalendarError as exc:
        return _fail(str(exc))
    print(f"Removed the account '{args.name}' and its saved password. Events on the server are not touched.")
    return 0
