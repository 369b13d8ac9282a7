"""`care party add/list/edit/merge`: the people involved, from the command line.

Each command is the member's act of ``record.acts.party``, as on the console and in the
review form: the member names themselves with --member; a member with a conflict on the
incident may not. Names and contacts are shown decrypted only by `care party list`,
whose reading is audited.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from models import db
from record.acts.party import add_party_by_member, edit_party, merge_parties, read_parties

party_app = typer.Typer(no_args_is_help=True, help="The people involved in an incident.")
console = Console()
MEMBER = typer.Option(..., "--member", help="your handle")


def register(app: typer.Typer) -> None:
    app.add_typer(party_app, name="party")


@party_app.command("add")
def add(
    code: str,
    role: str = typer.Option(..., help="reporter, reported, target or witness"),
    name: str = typer.Option(..., help="the person's name"),
    contact: str | None = typer.Option(None, help="e-mail, phone or handle"),
    description: str | None = typer.Option(None, help="how to recognise them"),
    member: str = MEMBER,
) -> None:
    """Record someone involved in an incident; they get the next pseudonym (P1, P2…)."""
    with db.session_scope() as session:
        added = add_party_by_member(
            session,
            incident_code=code,
            handle=member,
            role=role,
            name=name,
            contact=contact,
            description=description,
            channel="cli",
        )
    console.print(f"{added.pseudonym} recorded on {added.incident_code} ({added.role})")


@party_app.command("list")
def list_(code: str, member: str = MEMBER) -> None:
    """Show the people involved in an incident, decrypted (the reading is audited)."""
    table = Table("party", "role", "name", "contact", "description", "also recorded as")
    with db.session_scope() as session:
        for p in read_parties(session, incident_code=code, handle=member, channel="cli"):
            table.add_row(
                p.pseudonym,
                p.role,
                p.name or "",
                p.contact or "",
                p.description or "",
                ", ".join(p.merged),
            )
    console.print(table)


@party_app.command("edit")
def edit(
    code: str,
    pseudonym: str,
    role: str | None = typer.Option(None, help="reporter, reported, target or witness"),
    name: str | None = typer.Option(None, help='the name ("" removes it)'),
    contact: str | None = typer.Option(None, help='the contact ("" removes it)'),
    description: str | None = typer.Option(None, help='the description ("" removes it)'),
    member: str = MEMBER,
) -> None:
    """Change what is recorded for a party; only the options given change."""
    given = {"role": role, "name": name, "contact": contact, "description": description}
    changes = {field: value for field, value in given.items() if value is not None}
    with db.session_scope() as session:
        changed = edit_party(
            session,
            incident_code=code,
            pseudonym=pseudonym,
            handle=member,
            changes=changes,
            channel="cli",
        )
    what = ", ".join(changed.fields) or "nothing (it was already so)"
    console.print(
        f"{changed.pseudonym} on {changed.incident_code} ({changed.role}): changed {what}"
    )


@party_app.command("merge")
def merge(
    code: str,
    pseudonym: str,
    into: str = typer.Option(..., "--into", help="the entry to keep, e.g. P1"),
    member: str = MEMBER,
) -> None:
    """Merge two entries for one person: PSEUDONYM then stands for the one kept."""
    with db.session_scope() as session:
        merged = merge_parties(
            session,
            incident_code=code,
            merged=pseudonym,
            into=into,
            handle=member,
            channel="cli",
        )
    console.print(f"{merged.merged} merged into {merged.into} on {merged.incident_code}")
