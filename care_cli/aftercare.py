"""`care transparency-report` and `care erase-person`: the work after a conference."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

from care_cli import errors
from models import db, totp
from models.validation import InvalidInput
from record.decisions import get_decision
from record.erasure import Person, execute, propose_erasure
from record.members import get_member

console = Console()


def register(app: typer.Typer) -> None:
    app.command("transparency-report")(transparency_report)
    app.command("erase-person")(erase_person)


def transparency_report(
    slug: str,
    as_: str = typer.Option("operator", "--as", help="who reads the records (audited)"),
) -> None:
    """Draft an edition's transparency report into the data directory (no publication).

    Publication goes through the compile-transparency-report flow and the team's sign-off.
    """
    from adapters.report_files import write_report
    from models.settings import get_settings
    from tasks.transparency import COMPILE_STEPS, compile_report

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("compiling", total=COMPILE_STEPS + 1)

        def step(what: str) -> None:
            progress.update(task, description=what, advance=1)

        compiled = compile_report(slug, reader=as_, progress=step)
        step("writing the draft")
        check = compiled.check
        paths = (
            write_report(compiled.markdown, compiled.facts, get_settings(), draft=True)
            if check.clean
            else []
        )
    console.print(f"{check.incidents} incidents, {len(check.without_summary)} without a summary")
    if not check.clean:
        for spot in check.leaks:
            console.print(f"  {spot}", markup=False)
        errors.fail("the draft holds personal data at the spots above; nothing written", code=1)
    for path in paths:
        console.print(f"draft written: {path}", markup=False)


def erase_person(
    email: str | None = typer.Option(None, help="the person's e-mail address"),
    phone: str | None = typer.Option(None, help="the person's phone number, +CC..."),
    name: str | None = typer.Option(None, help="the person's name"),
    proposer: str | None = typer.Option(None, help="your handle: propose the erasure"),
    code: str | None = typer.Option(None, "--code", help="your current authenticator code"),
    decision: int | None = typer.Option(None, help="carry out this approved erasure"),
) -> None:
    """Erase one person's data everywhere: proposed by one member, approved by another."""
    if decision is not None:
        with db.session_scope() as session:
            counts = execute(session, decision, actor="operator")
            status = get_decision(session, decision).status
        if counts is None:
            raise InvalidInput(f"decision {decision} is {status}: nothing erased now")
        console.print(f"erased: {dict(counts)}")
        return
    if not proposer or not code:
        raise InvalidInput("to propose an erasure give --proposer and --code")
    with db.session_scope() as session:
        member = get_member(session, proposer)
        verdict, step = totp.check_code(member.totp_secret, code, last_step=member.totp_last_step)
        if verdict is not totp.CodeCheck.ok:
            raise InvalidInput(f"the code was not accepted ({verdict.value})")
        member.totp_last_step = step
        person = Person.checked(email=email, phone=phone, name=name)
        opened = propose_erasure(session, person, proposer=member.handle)
        summary, opened_id = opened.summary, opened.id
    console.print(f"decision {opened_id}: {summary}", markup=False)
    console.print(
        f"a second member approves with: care approve --decision {opened_id} --member HANDLE "
        "--code CODE (the erasure is carried out when it is approved)"
    )
