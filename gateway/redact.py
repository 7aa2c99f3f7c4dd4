"""A logging filter that masks identity numbers in every log line (design §6.7: defence in depth).

Code never logs content on purpose; this catches what slips through anyway — an exception message that
quotes a parser's input, a third-party library's debug line. A candidate is masked when the Swedish,
Norwegian, Danish or Finnish validator accepts it, so ports, pids, sizes and dates stay readable.

Security: runs on every record of the handlers it is attached to; linear regexes over the formatted message.
"""

from __future__ import annotations

import logging
import re

from gateway.masking import mask_no, mask_se
from gateway.validators import no_fodselsnummer, se_personnummer

_SE = re.compile(r"(?<![0-9])(?:[0-9]{2})?[0-9]{6}[ ]?[-+]?[ ]?[0-9]{4}(?![0-9])")
_NO = re.compile(r"(?<![0-9])[0-9]{6} ?[0-9]{5}(?![0-9])")


def redact(text: str) -> str:
    """``text`` with every valid identity number replaced by its masked form."""
    if not any(c.isdigit() for c in text):
        return text
    text = _SE.sub(lambda m: mask_se(m.group()) if se_personnummer.is_valid(m.group()) else m.group(), text)
    return _NO.sub(lambda m: mask_no(m.group()) if no_fodselsnummer.is_valid(m.group()) else m.group(), text)


class RedactingFilter(logging.Filter):
    """Attach to a handler: the record's message and exception text are masked before formatting."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(*handlers: logging.Handler) -> None:
    """Attach the filter to ``handlers`` (default: every handler of the root logger)."""
    for handler in handlers or tuple(logging.getLogger().handlers):
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
