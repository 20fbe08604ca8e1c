"""`@mentions` in a comment's markdown, resolved to workspace members. Pure: no I/O.

Where a mention can appear: anywhere in the prose, but not inside fenced code blocks or inline code
spans, not inside an email address or URL (`a@b.com`, `https://x.com/@max`), and not after a
backslash (`\\@max` is markdown for a literal `@`).

What a token matches, case-insensitively: a member's name with spaces removed (`@MaxMember`), the
first word of the name (`@max`) or the local part of the email (`@max.m` for max.m@example.com).
Punctuation after the name is not part of it (`@max,` `@max.` `@max's`): a token is tried whole
first, then cut before each `.`, `'`, `+`, `-` or `_`, longest first. The first form that matches anyone
decides; if it matches several members the mention is ambiguous and resolves to no one.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

# Characters that may continue a token after its first word character; trailing ones are dropped.
_INNER_PUNCTUATION = ".'+-_"

# A fence line (CommonMark: three or more backticks or tildes). Leading spaces, tabs and `>` are
# allowed so fences inside list items and block quotes count too.
_FENCE_OPEN = re.compile(r"^[ \t>]*(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_FENCE_CLOSE = re.compile(r"^[ \t>]*(?P<fence>`{3,}|~{3,})[ \t]*$")
_BACKTICK_RUN = re.compile(r"`+")
_PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n)")
_NOT_NEWLINE = re.compile(r"[^\n]")

# `@` starts a mention only where it cannot be part of an email address, a URL path, an escape or
# another `@` (`_` is allowed before it: `_@max_` is emphasis). The token starts with a letter or digit
# and is taken atomically and rejected when an `@` follows (`@max@example.com`).
_MENTION = re.compile(r"(?<![^\W_])(?<![.+\-%/\\@])@(?P<token>(?>[^\W_][\w.'+\-]*))(?!@)")


@dataclass(frozen=True)
class Member(Generic[K]):
    """What the matcher needs to know about one workspace member."""

    id: K
    name: str
    email: str


def _blank(text: str) -> str:
    """Same shape, no content: every character but newlines becomes a space."""
    return _NOT_NEWLINE.sub(" ", text)


def _blank_fenced_blocks(markdown: str) -> str:
    lines = markdown.split("\n")
    out: list[str] = []
    fence: tuple[str, int] | None = None  # (character, length) of the open fence
    for line in lines:
        content = line.rstrip("\r")
        if fence is None:
            match = _FENCE_OPEN.match(content)
            # A backtick fence's info string may not contain a backtick (that is inline code instead).
            if match and not (match["fence"][0] == "`" and "`" in match["info"]):
                fence = (match["fence"][0], len(match["fence"]))
                out.append(_blank(line))
            else:
                out.append(line)
            continue
        closing = _FENCE_CLOSE.match(content)
        if closing and closing["fence"][0] == fence[0] and len(closing["fence"]) >= fence[1]:
            fence = None
        out.append(_blank(line))  # an unclosed fence runs to the end of the document
    return "\n".join(out)


def _blank_code_spans(paragraph: str) -> str:
    """A run of N backticks opens a code span closed by the next run of exactly N backticks."""
    runs = [(m.start(), m.end()) for m in _BACKTICK_RUN.finditer(paragraph)]
    if len(runs) < 2:
        return paragraph
    by_length: dict[int, list[int]] = {}
    for index, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(index)
    pieces: list[str] = []
    position = 0
    index = 0
    while index < len(runs):
        start, end = runs[index]
        same = by_length[end - start]
        following = bisect.bisect_right(same, index)
        if following == len(same):
            index += 1  # no closer: the backticks are literal text
            continue
        closer = same[following]
        pieces.append(paragraph[position:start])
        pieces.append(_blank(paragraph[start : runs[closer][1]]))
        position = runs[closer][1]
        index = closer + 1
    pieces.append(paragraph[position:])
    return "".join(pieces)


def strip_code(markdown: str) -> str:
    """The markdown with fenced code blocks and inline code spans blanked out (newlines kept).

    Code spans never cross a blank line, as in CommonMark, where they live inside one paragraph.
    """
    text = _blank_fenced_blocks(markdown)
    parts = _PARAGRAPH_BREAK.split(text)
    # Odd indexes are the separators captured by the split; keep them as they are.
    return "".join(part if i % 2 else _blank_code_spans(part) for i, part in enumerate(parts))


def find_mention_tokens(markdown: str) -> list[str]:
    """Every `@token` outside code, in order of appearance, as written (trailing punctuation dropped)."""
    tokens: list[str] = []
    for match in _MENTION.finditer(strip_code(markdown)):
        token = match["token"].rstrip(_INNER_PUNCTUATION)
        if token:
            tokens.append(token)
    return tokens


def token_forms(token: str) -> list[str]:
    """The forms a token may stand for, longest first: whole, then cut before each inner punctuation mark."""
    cuts = [len(token)] + [i for i in range(len(token) - 1, 0, -1) if token[i] in _INNER_PUNCTUATION]
    forms: list[str] = []
    for cut in cuts:
        form = token[:cut].rstrip(_INNER_PUNCTUATION)
        if form and form not in forms:
            forms.append(form)
    return forms


def mention_keys(name: str, email: str) -> set[str]:
    """The casefolded strings an `@token` may use to name this member."""
    keys: set[str] = set()
    words = name.split()
    if words:
        keys.add("".join(words).casefold())
        keys.add(words[0].casefold())
    local, at, _ = email.rpartition("@")
    if at and local:
        keys.add(local.casefold())
    return keys


class MentionMatcher(Generic[K]):
    """Resolves tokens against one workspace's members."""

    def __init__(self, members: Iterable[Member[K]]) -> None:
        self._index: dict[str, set[K]] = {}
        for member in members:
            for key in mention_keys(member.name, member.email):
                self._index.setdefault(key, set()).add(member.id)

    def resolve(self, token: str) -> K | None:
        """The one member the token names, or None when it names no one or is ambiguous."""
        for form in token_forms(token):
            found = self._index.get(form.casefold())
            if found:
                return next(iter(found)) if len(found) == 1 else None
        return None


def resolve_mentions(markdown: str, members: Iterable[Member[K]]) -> list[K]:
    """The members mentioned in the markdown, each once, in order of first mention."""
    matcher = MentionMatcher(members)
    mentioned: list[K] = []
    for token in find_mention_tokens(markdown):
        member_id = matcher.resolve(token)
        if member_id is not None and member_id not in mentioned:
            mentioned.append(member_id)
    return mentioned
