"""Client-sent text made safe for a log line: nothing a client sends can end the line, start a
forged one, or drive the reader's terminal."""

from __future__ import annotations


def escaped(value: str) -> str:
    """`value` with backslashes and every unprintable character (newlines, carriage returns,
    Unicode line separators, terminal escapes) written as Python escapes."""
    if value.isprintable() and "\\" not in value:
        return value
    return "".join(
        "\\\\"
        if char == "\\"
        else char
        if char.isprintable()
        else char.encode("unicode_escape").decode("ascii")
        for char in value
    )
