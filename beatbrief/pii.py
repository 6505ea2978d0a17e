"""Personal-data patterns: resident ID-card numbers (GB 11643) and mainland mobile numbers.

Used to validate ID-card fields, and to scan marts and published pages for leaks.
"""

from __future__ import annotations

import re
from datetime import date

# GB 11643-1999: weight of each of the first 17 digits, and the check character by sum mod 11
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# Not inside a longer token, and not the fraction digits of a decimal number (coordinates).
ID_CARD_PATTERN = re.compile(r"(?<![0-9A-Za-z.])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE_PATTERN = re.compile(r"(?<![0-9A-Za-z.])1[3-9]\d{9}(?![0-9A-Za-z])")


def id_check_character(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_card_is_valid(text: str) -> bool:
    """Whether an 18-character ID-card number has a real birth date and a correct check char."""
    value = text.strip().upper()
    if len(value) != 18 or not value[:17].isdigit():
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return id_check_character(value[:17]) == value[17]


def find_pii(text: str) -> list[str]:
    """Valid ID-card numbers and mobile numbers found in a text."""
    ids = [m for m in ID_CARD_PATTERN.findall(text) if id_card_is_valid(m)]
    return ids + MOBILE_PATTERN.findall(text)


def mask_pii(text: str) -> str:
    """The text with every ID-card and mobile number found in it replaced by asterisks."""
    for found in find_pii(text):
        text = text.replace(found, "*" * len(found))
    return text
