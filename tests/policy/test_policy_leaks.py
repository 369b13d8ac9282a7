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


# -- names whatever their punctuation, spacing, accents or case ---------------------------
NAMES = Guard(
    [
        *needles_for(DataKind.name, "Ravensworth", parts=True),
        *needles_for(DataKind.name, "Isembard Crowthorne", parts=True),
        *needles_for(DataKind.name, "Zoë Ŀópez-Ó'Brien", parts=True),
        *needles_for(DataKind.name, "Anna van der Berg", parts=True),
        *needles_for(DataKind.name, "Łukasz Żółkiewski", parts=True),
        *needles_for(DataKind.name, "Søren Ærøskøbing", parts=True),
        # the record holds both spellings (the report in Cyrillic, the party's badge in Latin)
        *needles_for(DataKind.name, "Дмитрий Волков", parts=True),
        *needles_for(DataKind.name, "Dmitriy Volkov", parts=True),
        # a member's name is looked for whole, and with initials
        *needles_for(DataKind.name, "Ottoline Fairweather-Blythe"),
    ]
)


@pytest.mark.parametrize(
    "text",
    [
        "Ravens-worth was warned.",
        "Ravens worth was warned.",
        "RAVENS'WORTH was warned.",
        "Ravens.worth was warned.",
        "Ravensworth's badge was taken.",
        "ravensworth was warned.",
        "Isembard   Crowthorne was warned.",
        "Isembard\nCrowthorne was warned.",
        "ISEMBARD-CROWTHORNE was warned.",
        "I. Crowthorne was warned.",
        "I Crowthorne was warned.",
        "Crowthorne, I. was warned.",
        "Crowt-horne was warned.",
        "O'Brien was warned.",
        "OBrien was warned.",
        "O Brien was warned.",
        "Lopez O'Brien was warned.",
        "LÓPEZ-OBRIEN was warned.",
        "Z. Lopez-O'Brien was warned.",
        "Vanderberg was warned.",
        "Van-der-Berg was warned.",
        "A. van der Berg was warned.",
        "Lukasz was warned.",
        "Zolkiewski was warned.",
        "ŁUKASZ ŻÓŁKIEWSKI was warned.",
        "Soren was warned.",
        "Aeroskobing was warned.",
        "Волков was warned.",
        "ВОЛКОВ was warned.",
        "Д. Волков was warned.",
        "Volkov was warned.",
        "D. Volkov was warned.",
        "Dmitriy  VOLKOV was warned.",
        "O. Fairweather-Blythe handled it.",
        "Ottoline Fairweather Blythe handled it.",
        "OTTOLINE FAIRWEATHERBLYTHE handled it.",
        "O Fairweather Blythe handled it.",
    ],
)
def test_a_name_is_found_whatever_its_spelling(text: str) -> None:
    assert DataKind.name in {leak.kind for leak in NAMES.scan(text)}, text


@pytest.mark.parametrize(
    "text",
    [
        "A participant made repeated unwelcome comments during the event.",
        "The ravens near the venue were worth a photo; the team asked for no photos.",
        "Over the course of the event one person was asked to leave the social.",
        "The van was parked by the hall, and the boxes were cleared.",
        "Demand was high for the den, so the organisers opened another room.",
        "Soon the speaker's slides were replaced; the video is not published.",
        "Any member may act alone only to prevent harm; the team then reviews it.",
        "Fewer than 3 reports; about 400 attendees; median time about 2 hours.",
        "The team demanded that the participant stop their behaviour, and they did.",
    ],
)
def test_ordinary_text_raises_no_false_alarm(text: str) -> None:
    assert NAMES.scan(text) == [], text


def test_a_name_with_an_initial_is_not_a_common_word() -> None:
    guard = Guard(
        [n for name in ("Amy Long", "Bea Ring") for n in needles_for(DataKind.name, name)]
    )
    assert guard.scan("They walked along; bring the badge.") == []
    assert len(guard.scan("A. Long and B Ring left; Long, A. too.")) == 3


# -- CARE's own words are never a leak; what people wrote is ---------------------------
LABEL = "Demand that the participant stop their behaviour"
TEMPLATE = "After reviewing the report, the team decided not to take further action."
EXPLANATION = "Interrupting a speaker again and again breaks the code of conduct."
MESSAGE = f"Hello,\n\nWhat we did:\n- {LABEL}\n\nWhy: {EXPLANATION}\n\nThe CARE team\n"
OWN = Guard([], [MESSAGE, f"{TEMPLATE} Thank you."], [LABEL, TEMPLATE, "What we did:", "Why: "])


@pytest.mark.parametrize(
    "text",
    [
        f"| {LABEL} | 3 |",
        f"The team chose to {LABEL.lower()}.",
        TEMPLATE,
    ],
)
def test_cares_own_words_in_a_stored_message_are_no_quote(text: str) -> None:
    assert OWN.scan(text) == []


@pytest.mark.parametrize(
    "text",
    [
        f"The reporter was told: {EXPLANATION}",
        "a speaker again and again breaks the rules",
        f"{LABEL}. Why: interrupting a speaker again",  # own words run into what people wrote
    ],
)
def test_what_people_wrote_in_a_stored_message_is_still_a_quote(text: str) -> None:
    assert DataKind.quote in {leak.kind for leak in OWN.scan(text)}


def test_generated_lines_quote_no_one() -> None:
    guard = Guard([], ["Reports received before the event were few this year"])
    text = "Reports received before the event were few\nreceived before the event were few this"
    leaks = guard.scan(text, generated_lines={1})
    assert {(leak.line, leak.kind) for leak in leaks} == {(2, DataKind.quote)}
