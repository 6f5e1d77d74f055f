"""Small readers for /proc and /sys files, shared by the collectors."""

from __future__ import annotations

import os


def read_text(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def read_first_line(path: str) -> str:
    """The first line of a sysfs attribute, without its newline (sysfs values are one line)."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.readline().strip()


def read_int(path: str) -> int:
    return int(read_first_line(path))


def read_optional(path: str) -> str | None:
    """A sysfs attribute that may be absent or unreadable (many are, depending on driver and kernel)."""
    try:
        return read_first_line(path)
    except OSError:
        return None


def read_optional_int(path: str) -> int | None:
    text = read_optional(path)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def list_dir(path: str) -> list[str]:
    """Sorted entries of a directory, or none when it does not exist (an absent subsystem)."""
    try:
        return sorted(os.listdir(path))
    except (FileNotFoundError, NotADirectoryError):
        return []
