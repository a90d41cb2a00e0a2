"""The parts of a user prompt, as ``codex.user_prompt`` counts them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class ImageInput:
    """An image given by URL (counted, never exported)."""

    image_url: str


@dataclass(frozen=True)
class LocalImageInput:
    """An image given as a local file (counted, never exported)."""

    path: str


# A bare ``str`` counts as text.
UserInput = TextInput | ImageInput | LocalImageInput | str
