"""What every form shares: HTML in the kit's colours, plain words for errors, a send off the
kernel's event loop.

Handlers run inside the kernel's event loop (ipykernel), where `asyncio.run` cannot start a
second loop; `run_coroutine` runs the coroutine in a worker thread with its own loop and
waits for it, so a handler stays synchronous (its result is recorded before `click()`
returns) while widget updates made from the worker (the stage rows) still reach the page.
"""

from __future__ import annotations

import asyncio
import html
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import ipywidgets as w

from ..errors import OutlookKitError

T = TypeVar("T")

COLOURS = {
    "ok": ("#2e7d32", "#eef7ee"),
    "fail": ("#c62828", "#fdeeee"),
    "warn": ("#b26a00", "#fff6e5"),
    "info": ("#1565c0", "#eef4fc"),
    "muted": ("#616161", "#f5f5f5"),
}


def esc(text: object) -> str:
    """Text made safe to put inside HTML."""
    return html.escape(str(text), quote=True)


def card(kind: str, title: str, body: str = "", *, css_class: str = "") -> str:
    """A coloured box with a bold title; `body` is HTML (escape what comes from outside)."""
    edge, fill = COLOURS.get(kind, COLOURS["info"])
    classes = f"ok-card ok-card-{kind} {css_class}".strip()
    return (
        f'<div class="{classes}" style="border-left:5px solid {edge};background:{fill};'
        'padding:8px 12px;margin:6px 0;border-radius:4px;line-height:1.45">'
        f'<div style="font-weight:600;color:{edge};margin-bottom:2px">{esc(title)}</div>'
        f"{body}</div>"
    )


def bullets(items: list[str] | tuple[str, ...], *, ordered: bool = False) -> str:
    """A list of plain-text items as HTML."""
    if not items:
        return ""
    tag = "ol" if ordered else "ul"
    inner = "".join(f"<li>{esc(item)}</li>" for item in items)
    return f'<{tag} style="margin:4px 0 4px 18px;padding:0">{inner}</{tag}>'


def plain_error(error: BaseException) -> str:
    """What went wrong, in words for a person: the kit's own messages as they are, others
    named with what to do. Never a traceback."""
    if isinstance(error, OutlookKitError):
        return str(error)
    if isinstance(error, ValueError):
        return f"That value cannot be used: {error}"
    if isinstance(error, OSError):
        reason = error.strerror or str(error) or type(error).__name__
        return f"The computer refused the operation ({reason}). Check the network and try again."
    return (
        f"Something unexpected went wrong inside outlook-kit ({type(error).__name__}: {error}). "
        "Nothing else was changed; try again, and if it happens again, report it with these words."
    )


def error_html(message: str) -> str:
    return card("fail", "That did not work", f"<div>{esc(message)}</div>", css_class="ok-error")


def run_coroutine(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine `factory()` makes in a worker thread's own event loop; return its result.

    The coroutine is created inside the worker, so nothing of it (nor the secret it may
    carry) outlives the call. Exceptions are re-raised here.
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = asyncio.run(factory())
        except BaseException as error:  # handed to the caller's thread
            box["error"] = error

    thread = threading.Thread(target=work, name="outlook-kit-send", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        error = box.pop("error")
        try:
            raise error
        finally:
            del error
    return box["result"]  # type: ignore[no-any-return]


class Shown:
    """Mixin for a form that is shown through its `view` widget (display the form itself)."""

    view: w.Widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.view._repr_mimebundle_(**kwargs)


def message_box() -> w.HTML:
    """An HTML widget for a form's messages (empty until there is something to say)."""
    return w.HTML(value="", layout=w.Layout(width="100%"))
