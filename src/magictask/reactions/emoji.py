"""What a reaction may be: one emoji (keycaps, flags, skin tones and ZWJ sequences included) or a
`:shortcode:` of lowercase letters, digits, `_`, `+` and `-`. Pure: no I/O.

Python's `unicodedata` has no Emoji property, so the pictographic ranges are listed here: the
Unicode emoji blocks plus the older symbols that have emoji presentation.
"""

from __future__ import annotations

import re

MAX_LENGTH = 32

_PICTOGRAPH = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a\u231b\u2328\u23cf"
    "\u23e9-\u23f3\u23f8-\u23fa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u27bf"
    "\u2934\u2935\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001f1e5\U0001f200-\U0001faff"
)
_ELEMENT = f"[{_PICTOGRAPH}][\ufe0e\ufe0f]?[\U0001f3fb-\U0001f3ff]?"
_KEYCAP = "[0-9#*]\ufe0f?\u20e3"
_FLAG = "[\U0001f1e6-\U0001f1ff]{2}"
_TAG_SEQUENCE = "\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f"  # e.g. the flag of Scotland
_EMOJI = re.compile(f"(?:{_KEYCAP}|{_FLAG}|{_TAG_SEQUENCE}|{_ELEMENT}(?:\u200d{_ELEMENT})*)")
_SHORTCODE = re.compile(r":[a-z0-9_+\-]+:")


def is_valid_reaction(value: str) -> bool:
    """True for exactly one emoji or one `:shortcode:`, at most MAX_LENGTH characters."""
    if not 1 <= len(value) <= MAX_LENGTH:
        return False
    return bool(_SHORTCODE.fullmatch(value) or _EMOJI.fullmatch(value))
