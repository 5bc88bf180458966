"""Cloudflare's e-mail obfuscation (`data-cfemail`), decoded back to the address."""

from __future__ import annotations

from archiver.wordpress.shared import Element


def decode_cfemail(encoded: str) -> str:
    """Decode a Cloudflare `data-cfemail` value: byte 0 is the key, each next byte XOR key.

    Raises ValueError when the value is not hex or not UTF-8 once decoded.
    """
    data = bytes.fromhex(encoded)
    if not data:
        raise ValueError("empty data-cfemail value")
    key = data[0]
    return bytes(byte ^ key for byte in data[1:]).decode("utf-8")


def replace_cloudflare_emails(root: Element) -> None:
    """Replaces each element of `root` holding an e-mail Cloudflare encoded with its text."""
    for element in root.xpath(".//*[@data-cfemail]"):
        try:
            text = decode_cfemail(element.get("data-cfemail"))
        except ValueError:
            continue  # not Cloudflare's encoding after all: leave the placeholder text
        _replace_with_text(element, text)


def _replace_with_text(element: Element, text: str) -> None:
    parent = element.getparent()
    if parent is None:
        return
    joined = text + (element.tail or "")
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + joined
    else:
        parent.text = (parent.text or "") + joined
    parent.remove(element)
