"""The leak guard finds the records' personal data in any spelling, and says only where."""

from __future__ import annotations

import pytest

from policy.leaks import DataKind, Guard, Leak, fold, needles_for

RECORDS = [
    *needles_for(DataKind.name, "Zoë Ŀópez-Ó'Brien", parts=True),
    *needles_for(DataKind.name, "Orbelian Vantwick", parts=True),
    *needles_for(DataKind.email, "zephyrine.quill@example.net"),
    *needles_for(DataKind.phone, "+353851234567"),
    *needles_for(DataKind.handle, "@vantwick_dev", parts=True),
    *needles_for(DataKind.organisation, "Quillfeather Analytics GmbH"),
    *needles_for(DataKind.talk_title, "Async Views Considered Harmful"),
]
NARRATIVE = "he kept standing far too close to me by the espresso machine all afternoon"
GUARD = Guard(RECORDS, [NARRATIVE])


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Orbelian Vantwick was warned.", DataKind.name),
        ("ORBELIAN  VANTWICK was warned.", DataKind.name),
        ("orbelian-vantwick was warned.", DataKind.name),
        ("OrbelianVantwick was warned.", DataKind.name),
        ("Vantwick was warned.", DataKind.name),
        ("zoe lopez obrien spoke", DataKind.name),
        ("Zoe Lopez-O'Brien spoke", DataKind.name),
        ("ZOË spoke", DataKind.name),
        ("write to zephyrine.quill@example.net", DataKind.email),
        ("write to ZEPHYRINE.QUILL at example dot net", DataKind.email),
        ("zephyrine quill said", DataKind.email),
        ("call +353 85 123 4567", DataKind.phone),
        ("call 085-123-4567", DataKind.phone),
        ("call (085) 123.4567", DataKind.phone),
        ("on slack as @vantwick_dev", DataKind.handle),
        ("someone from Quillfeather analytics gmbh", DataKind.organisation),
        ("the talk async views, considered harmful", DataKind.talk_title),
        ("he kept standing far too close to me", DataKind.quote),
        ('the reporter said "leave me alone now"', DataKind.quote),
        ("it happened on 2026-04-21", DataKind.fine_time),
        ("it happened on 21 April", DataKind.fine_time),
        ("it happened on Tuesday", DataKind.fine_time),
        ("it happened at 14:30", DataKind.fine_time),
        ("it happened at 3pm", DataKind.fine_time),
    ],
)
def test_each_spelling_is_found(text: str, kind: DataKind) -> None:
    assert kind in {leak.kind for leak in GUARD.scan(text)}


@pytest.mark.parametrize(
    "text",
    [
        "A participant made repeated unwelcome comments during the event.",
        "The team asked the participant to stop; the behaviour stopped.",
        "Fewer than 3 reports concerned the social event, after the conference.",
        "Median time to acknowledge: about 2 hours. 400 attendees, 2026 edition.",
        "The speaker's slides contained an inappropriate image; the video is not published.",
        "he kept standing near the stage",  # five words of the narrative are not a quote
    ],
)
def test_anonymised_text_passes(text: str) -> None:
    assert GUARD.scan(text) == []


def test_a_leak_names_line_column_and_kind_but_not_the_datum() -> None:
    leaks = GUARD.scan("All fine.\nThen  Vantwick left.\n")
    assert {(leak.line, leak.column) for leak in leaks} == {(2, 7)}
    assert Leak(2, 7, DataKind.name) in leaks  # (the handle @vantwick_dev matches there too)
    assert str(Leak(2, 7, DataKind.name)) == "line 2, column 7: name"
    assert not any("antwick" in str(leak) for leak in leaks)


def test_common_name_particles_alone_are_not_needles() -> None:
    guard = Guard(needles_for(DataKind.name, "Anna van der Berg", parts=True))
    assert guard.scan("the van was parked outside") == []
    assert {leak.kind for leak in guard.scan("Berg was there")} == {DataKind.name}


def test_fold_removes_accents_and_case() -> None:
    assert fold("Zoë ŁÓPEZ Straße") == "zoe łopez strasse"


def test_a_common_word_in_generated_lines_is_not_taken_for_a_name() -> None:
    guard = Guard(needles_for(DataKind.name, "May Lindqvist", parts=True))
    text = "Any member may act alone.\nMay was asked to stop.\nMay Lindqvist left."
    leaks = guard.scan(text, generated_lines={1, 3})
    assert [(leak.line, leak.column) for leak in leaks] == [(2, 1), (3, 1)]
