"""The kiosk's log: a rotating file in the data directory, personal data masked in every line.

`configure_logging(data_dir)` is called once by each entry point (the `kiosk` CLI, the GUI):
records of every logger go to ``<data_dir>/logs/kiosk.log`` (1 MB, 5 old files kept), each
line passed through `PersonalDataFilter` (vocab.masking: ID numbers, phones, bank accounts,
named values), and uncaught exceptions in any thread are logged with their traceback before
the process reports them. A message that tells an operator "the details are in the log"
points here (`log_path`).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from vocab.masking import PersonalDataFilter
from vocab.text import Text

LOG_DIR = "logs"
LOG_NAME = "kiosk.log"
MAX_BYTES = 1024 * 1024
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"

CRASHED = Text(
    "程序出现意外错误，已记录在日志中：{path}。请联系县里技术支持。",
    "An unexpected error occurred; it is recorded in the log: {path}. Contact county support.",
)

log = logging.getLogger("kiosk")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class _KioskFileHandler(logging.handlers.RotatingFileHandler):
    """The log file's handler (marked, so a second call replaces it). Its filters work on
    its own copy of each record, so masking never changes what other handlers receive."""

    def handle(self, record: logging.LogRecord) -> bool:
        return super().handle(logging.makeLogRecord(vars(record)))


def log_path(data_dir: Path | str) -> Path:
    """Where the kiosk of this data directory writes its log."""
    return Path(data_dir) / LOG_DIR / LOG_NAME


def configure_logging(
    data_dir: Path | str,
    *,
    level: int = logging.INFO,
    on_crash: Callable[[Text], None] | None = None,
) -> Path | None:
    """Log every logger to ``<data_dir>/logs/kiosk.log`` (masked) and log uncaught exceptions.

    Safe to call again (the handler is replaced, e.g. for another data directory). `on_crash`
    is told the person's message after an uncaught exception is logged (the CLI prints it; the
    GUI shows it); by default it goes to stderr. Returns the log file, or None when the folder
    cannot be written (then nothing is logged to a file and the kiosk still runs).
    """
    path = log_path(data_dir)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _KioskFileHandler)]:
        root.removeHandler(old)
        old.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _KioskFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True
        )
    except OSError:
        # no file: still keep records off stderr (logging's last resort would print them)
        if not root.handlers:
            root.addHandler(logging.NullHandler())
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(PersonalDataFilter())
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    install_excepthook(path, on_crash)
    return path


def install_excepthook(path: Path, on_crash: Callable[[Text], None] | None = None) -> None:
    """Log uncaught exceptions (main thread and other threads), then tell the person.

    A hook someone else installed before (a debugger, a test runner) is still called after
    ours; Python's default one is not, since it prints the traceback this replaces.
    """
    previous = getattr(sys.excepthook, "kiosk_previous", sys.excepthook)
    previous_thread = getattr(threading.excepthook, "kiosk_previous", threading.excepthook)

    def tell(message: Text) -> None:
        if on_crash is not None:
            on_crash(message)
        else:
            sys.stderr.write(f"{message.zh}\n{message.en}\n")

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        log.critical("uncaught exception", exc_info=(kind, exc, tb))
        tell(Text(CRASHED.zh.format(path=path), CRASHED.en.format(path=path)))
        if previous is not sys.__excepthook__:
            previous(kind, exc, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "?"
        log.critical(
            "uncaught exception in thread %s",
            name,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )
        if previous_thread is not threading.__excepthook__:
            previous_thread(args)

    hook.kiosk_previous = previous  # type: ignore[attr-defined]
    thread_hook.kiosk_previous = previous_thread  # type: ignore[attr-defined]
    sys.excepthook = hook
    threading.excepthook = thread_hook
