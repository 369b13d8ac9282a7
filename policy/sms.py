"""The text of an urgent page: case code, urgency and a link, in one GSM-7 SMS segment."""

from __future__ import annotations

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"  # each takes two septets (escape + character)
SEGMENT_SEPTETS = 160


def gsm7_septets(text: str) -> int | None:
    """How many GSM-7 septets the text takes, or None if it needs UCS-2."""
    total = 0
    for char in text:
        if char in GSM7_BASIC:
            total += 1
        elif char in GSM7_EXTENDED:
            total += 2
        else:
            return None
    return total


def fits_one_segment(text: str) -> bool:
    """True if the text goes out as one GSM-7 SMS segment (160 septets)."""
    septets = gsm7_septets(text)
    return septets is not None and septets <= SEGMENT_SEPTETS


def page_link(public_url: str, code: str) -> str:
    """Where a member opens the case: the console page of the incident."""
    return f"{public_url.rstrip('/')}/console/incidents/{code}"


def page_text(code: str, public_url: str) -> str:
    """The SMS that pages a member: never a name, a place or a narrative.

    The longest form that fits one GSM-7 segment; a public URL too long for an SMS is left
    out rather than the page (the member still has the code).
    """
    link = page_link(public_url, code)
    for text in (
        f"CARE: URGENT case {code}. Reply ACK {code} to take it. {link}",
        f"URGENT case {code}. Reply ACK {code} {link}",
        f"URGENT {code}: reply ACK. {link}",
    ):
        if fits_one_segment(text):
            return text
    return f"CARE: URGENT case {code}. Reply ACK {code} to take it."
