"""CalDAV account settings: a JSON file in the data folder, passwords in the OS keyring.

The JSON file never contains a password. Passwords are stored with ``keyring`` under the
service name ``llama-desk`` and the user name ``caldav:<account>:<user>``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import keyring
import keyring.errors

from assistant.core.calendars.base import (
    CalendarAuthError,
    CalendarError,
    CalendarNotFoundError,
    check_calendar_name,
    disk_error,
)
from assistant.core.net import is_loopback
from assistant.core.paths import KEYRING_SERVICE, data_dir


@dataclass
class CalDAVAccount:
    """Where a CalDAV calendar lives. ``calendar`` picks one by name (else the first one)."""

    name: str
    url: str
    username: str
    calendar: str = ""

    @property
    def keyring_user(self) -> str:
        return f"caldav:{self.name}:{self.username}"

    def password(self) -> str:
        try:
            secret = keyring.get_password(KEYRING_SERVICE, self.keyring_user)
        except keyring.errors.KeyringError as exc:
            raise CalendarAuthError(f"Could not read the password from the system keyring: {exc}") from exc
        if secret is None:
            raise CalendarAuthError(
                f"No password is saved for the account '{self.name}'. "
                f"Add it again with: llama-desk calendar account add {self.name} {self.url} --user {self.username}"
            )
        return secret


def accounts_path() -> Path:
    return data_dir() / "calendar-accounts.json"


def check_server_url(url: str) -> None:
    """Only https, except for servers on this computer (127.0.0.1, ::1, localhost)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CalendarError(
            f"'{url}' is not a web address. It should look like https://cloud.example.com/remote.php/dav"
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise CalendarError(
            "The server address must start with https:// so your password and events are encrypted. "
            "(Plain http:// is only allowed for a server on this computer.)"
        )


def load_accounts() -> dict[str, CalDAVAccount]:
    path = accounts_path()
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CalendarError(f"The account settings file {path} could not be read: {exc}") from exc
    return {
        item["name"]: CalDAVAccount(**{k: item.get(k, "") for k in ("name", "url", "username", "calendar")})
        for item in raw.get("accounts", [])
    }


def _write_accounts(accounts: dict[str, CalDAVAccount]) -> None:
    """Replace the settings file atomically; disk errors become a CalendarError and leave no temp file."""
    payload = json.dumps({"accounts": [asdict(a) for a in accounts.values()]}, indent=2)
    temp = ""
    try:
        path = accounts_path()
        handle, temp = tempfile.mkstemp(prefix=".accounts.", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(payload)
        os.replace(temp, path)
    except OSError as exc:
        raise disk_error(exc, "save the calendar accounts") from exc
    finally:
        if temp:
            Path(temp).unlink(missing_ok=True)


def check_account(account: CalDAVAccount, password: str | None = None) -> None:
    """The checks that need no server: name, address and (when given) a non-empty password."""
    check_calendar_name(account.name, "Account")
    check_server_url(account.url)
    if password is not None and not password:
        raise CalendarError("The password is empty.")


def save_account(account: CalDAVAccount, password: str) -> None:
    """Validate and store the account; the password goes to the keyring only.

    When the settings file cannot be written, the keyring is put back as it was, so no
    password is left behind for an account that does not exist.
    """
    check_account(account, password)
    try:
        previous = keyring.get_password(KEYRING_SERVICE, account.keyring_user)
        keyring.set_password(KEYRING_SERVICE, account.keyring_user, password)
    except keyring.errors.KeyringError as exc:
        raise CalendarError(
            "Could not save the password in the system keyring, so the account was not added. "
            "Make sure a keyring is available and unlocked (Windows Credential Manager, macOS Keychain, "
            f"GNOME Keyring or KWallet on Linux). Details: {exc}"
        ) from exc
    try:
        accounts = load_accounts()
        accounts[account.name] = account
        _write_accounts(accounts)
    except (CalendarError, OSError) as exc:
        _restore_password(account, previous)
        if isinstance(exc, OSError):
            raise disk_error(exc, "save the calendar accounts") from exc
        raise


def _restore_password(account: CalDAVAccount, previous: str | None) -> None:
    try:
        if previous is None:
            keyring.delete_password(KEYRING_SERVICE, account.keyring_user)
        else:
            keyring.set_password(KEYRING_SERVICE, account.keyring_user, previous)
    except keyring.errors.KeyringError:
        pass


def remove_account(name: str) -> None:
    accounts = load_accounts()
    account = accounts.pop(name, None)
    if account is None:
        raise CalendarNotFoundError(f"There is no calendar account called '{name}'.")
    try:
        keyring.delete_password(KEYRING_SERVICE, account.keyring_user)
    except keyring.errors.PasswordDeleteError:
        pass
    _write_accounts(accounts)
