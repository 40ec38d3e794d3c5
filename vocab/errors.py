"""One bilingual error type for everything a person may be told.

`UserError` carries the message a resident, operator or clerk reads (Chinese and English) and,
apart from it, `detail`: the technical cause for the log only. Screens show `message.get(lang)`
and never `detail` or `str(exc)` of a library exception.
"""

from __future__ import annotations

from typing import ClassVar

from vocab.text import Text


class UserError(Exception):
    """An error with a message for people (`message`) and a detail for the log (`detail`).

    Subclasses set a class-level `message`; an instance may carry its own. `str()` gives both
    languages and never the detail, so printing the exception cannot leak SQL or a path.
    """

    message: Text = Text(
        "出现问题，请重试或联系工作人员。", "Something went wrong; try again or ask staff."
    )
    retryable: ClassVar[bool] = False

    def __init__(self, message: Text | None = None, *, detail: str = "") -> None:
        if message is not None:
            self.message = message
        self.detail = detail
        super().__init__(str(self.message))

    def text(self, lang: str) -> str:
        """The message in one language ("zh" or "en")."""
        return self.message.get(lang)

    def __str__(self) -> str:
        return str(self.message)
