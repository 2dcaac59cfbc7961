"""The brand's own customers: who may sign in, and which Spotzee contact each one is.

Customers live in SQLite with hashed passwords and the `external_id` of their Spotzee
contact, the key Spotzee resolves `/users/{userId}` by. The demo customers are created (or
their password brought up to date) at start-up.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from werkzeug.security import check_password_hash, generate_password_hash

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    external_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);
"""

DEMO_CUSTOMERS = (
    ("jane@example.com", "cust-9f4b21", "Jane"),
    ("omar@example.com", "cust-1a3b5c", "Omar"),
)
# Compared against when the email is unknown, so that a wrong email and a wrong password
# take the same time and do not reveal which addresses have accounts.
_UNKNOWN_USER_HASH = generate_password_hash("not-a-real-password")


@dataclass(frozen=True)
class Customer:
    """A signed-in customer, as Flask-Login's `current_user` (its user protocol below)."""

    id: int
    email: str
    external_id: str
    name: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


def connect(path: str) -> sqlite3.Connection:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10)
    conn.row_factory = sqlite3.Row
    return conn


def reader() -> sqlite3.Connection:
    """This thread's connection for look-ups. Every signed-in request looks its customer up,
    and opening a connection costs several times the query, so each thread keeps one (held
    by the app, so it goes when the app goes). SQLite reads see every committed write, so a
    kept connection is never stale."""
    local = current_app.extensions["customer_connections"]
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = connect(current_app.config["DATABASE"])
    return conn


def init_app(app: Flask) -> None:
    app.extensions["customer_connections"] = threading.local()
    conn = connect(app.config["DATABASE"])
    try:
        with conn:
            conn.executescript(SCHEMA)
            for email, external_id, name in DEMO_CUSTOMERS:
                row = conn.execute(
                    "SELECT password_hash FROM customers WHERE email = ?", (email,)
                ).fetchone()
                if row is None or not check_password_hash(
                    row["password_hash"], app.config["DEMO_PASSWORD"]
                ):
                    conn.execute(
                        "INSERT INTO customers (email, password_hash, external_id, name)"
                        " VALUES (?, ?, ?, ?) ON CONFLICT (email) DO UPDATE"
                        " SET password_hash = excluded.password_hash",
                        (
                            email,
                            generate_password_hash(app.config["DEMO_PASSWORD"]),
                            external_id,
                            name,
                        ),
                    )
    finally:
        conn.close()


def _customer(row: sqlite3.Row | None) -> Customer | None:
    if row is None:
        return None
    return Customer(row["id"], row["email"], row["external_id"], row["name"])


def find(customer_id: int) -> Customer | None:
    row = reader().execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
    return _customer(row)


def authenticate(email: str, password: str) -> Customer | None:
    """The customer with this email and password, or None (in constant-ish time)."""
    row = reader().execute("SELECT * FROM customers WHERE email = ?", (email.strip(),)).fetchone()
    if row is None:
        check_password_hash(_UNKNOWN_USER_HASH, password)
        return None
    return _customer(row) if check_password_hash(row["password_hash"], password) else None
