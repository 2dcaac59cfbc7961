"""This repo's own customers: who may sign in, and which Spotzee contact each one is.

Customers live in SQLite with hashed passwords and the `external_id` of their Spotzee
contact, the key Spotzee resolves `/users/{userId}` by. They are added, listed, removed and
signed out everywhere with `flask --app backend customers …`. In demo mode (DEMO=1) the two
demo customers are created (or their password brought up to date) at start-up.
"""

from __future__ import annotations

import sqlite3
import sys

import click
from flask import Flask
from flask.cli import AppGroup
from werkzeug.security import check_password_hash, generate_password_hash

from . import sessions
from .database import connection
from .identity import Customer

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


def init_app(app: Flask) -> None:
    with app.extensions["database"].connection() as conn:
        conn.executescript(SCHEMA)
        if app.config["DEMO"]:
            seed_demo_customers(conn, app.config["DEMO_PASSWORD"])
    app.cli.add_command(cli)


def seed_demo_customers(conn: sqlite3.Connection, password: str) -> None:
    for email, external_id, name in DEMO_CUSTOMERS:
        row = conn.execute(
            "SELECT password_hash FROM customers WHERE email = ?", (email,)
        ).fetchone()
        if row is None or not check_password_hash(row["password_hash"], password):
            conn.execute(
                "INSERT INTO customers (email, password_hash, external_id, name)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (email) DO UPDATE"
                " SET password_hash = excluded.password_hash",
                (email, generate_password_hash(password), external_id, name),
            )


def _customer(row: sqlite3.Row | None) -> Customer | None:
    if row is None:
        return None
    return Customer(str(row["id"]), row["email"], row["external_id"], row["name"])


def find(customer_id: int) -> Customer | None:
    row = connection().execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
    return _customer(row)


def _row_by_email(email: str) -> sqlite3.Row | None:
    return (
        connection().execute("SELECT * FROM customers WHERE email = ?", (email.strip(),)).fetchone()
    )


def find_by_email(email: str) -> Customer | None:
    return _customer(_row_by_email(email))


def authenticate(email: str, password: str) -> Customer | None:
    """The customer with this email and password, or None (in constant-ish time)."""
    row = _row_by_email(email)
    if row is None:
        check_password_hash(_UNKNOWN_USER_HASH, password)
        return None
    return _customer(row) if check_password_hash(row["password_hash"], password) else None


# -- flask --app backend customers … ----------------------------------------------------

cli = AppGroup("customers", help="Add, list, remove and sign out this app's customers.")


@cli.command("add")
@click.argument("email")
@click.option("--external-id", required=True, help="Their Spotzee contact's external_id.")
@click.option("--name", default="", help="What the page calls them (default: from the email).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def add_command(email: str, external_id: str, name: str, password_stdin: bool) -> None:
    """Add a customer who signs in with EMAIL."""
    if external_id.strip() in ("", ".", ".."):
        raise click.ClickException(f"{external_id!r} cannot be a Spotzee external_id.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.ClickException("The password must have at least 8 characters.")
    try:
        with connection() as conn:
            conn.execute(
                "INSERT INTO customers (email, password_hash, external_id, name)"
                " VALUES (?, ?, ?, ?)",
                (
                    email.strip(),
                    generate_password_hash(password),
                    external_id,
                    name or email.split("@")[0],
                ),
            )
    except sqlite3.IntegrityError:
        raise click.ClickException(
            f"A customer with the email {email} or the external_id {external_id} exists."
        ) from None
    click.echo(f"Added {email} (Spotzee contact {external_id}).")


@cli.command("list")
def list_command() -> None:
    """List every customer: email, Spotzee external_id, name."""
    with connection() as conn:
        rows = conn.execute("SELECT email, external_id, name FROM customers ORDER BY email")
        for row in rows:
            click.echo(f"{row['email']}\t{row['external_id']}\t{row['name']}")


@cli.command("remove")
@click.argument("email")
def remove_command(email: str) -> None:
    """Remove the customer with EMAIL, and end every session of theirs."""
    customer = by_email(email)
    with connection() as conn:
        conn.execute("DELETE FROM customers WHERE id = ?", (customer.id,))
    sessions.store().sign_out_everywhere(customer.id)
    click.echo(f"Removed {customer.email}.")


@cli.command("sign-out")
@click.argument("email")
def sign_out_command(email: str) -> None:
    """End every session of the customer with EMAIL, on every device."""
    customer = by_email(email)
    sessions.store().sign_out_everywhere(customer.id)
    click.echo(f"Signed {customer.email} out everywhere.")


def by_email(email: str) -> Customer:
    customer = find_by_email(email)
    if customer is None:
        raise click.ClickException(f"There is no customer with the email {email}.")
    return customer
