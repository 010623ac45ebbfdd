"""The process that draws PDFs: one per process that asks for them, kept warm between invoices, and
ended when a drawing runs out of time.

A design is a stranger's program: libxslt has no time limit (an exponential recursion stays within
its depth limit and runs for ever), and a page can be laid out for minutes. Both run in C, where no
signal handler or thread can stop them, so they run in a process of their own that can be killed:

- The caller's process forks the worker the first time it needs one, after laying out one page
  itself (``layout.warm``), so the worker starts with weasyprint, the fonts and the caches warm. It
  then draws one invoice after the other: the design compiled once (``invoices.display``'s cache),
  no fork per invoice. (Measured on a one-page invoice: a fork per PDF cost 15–20 ms more CPU than
  drawing in a kept process, a quarter of the drawing itself.)
- Each invoice has ``PDF_RENDER_SECONDS``: the caller waits no longer, then kills the worker (the next
  invoice gets a new one); the worker also has an alarm of its own a little later, in case the caller
  is gone. Its memory is capped at what it had when it started plus ``PDF_RENDER_MEMORY_MB``; a
  worker that has grown past half of that, or drawn ``JOBS_PER_WORKER`` invoices, leaves after its
  answer, and the next invoice gets a fresh one.
- One invoice at a time per process (a lock); the worker has one thread, and touches no database.
  A process forked from the caller (gunicorn's, celery's) starts a worker of its own: the one it
  inherits is its parent's. What the worker says (errors) is worded in the caller's language. Its
  answers are plain frames (a JSON header and bytes), never pickles: a worker that a hostile design
  subverted could not make its parent run anything.
- It collects no garbage while it draws (weasyprint's boxes make cycles by the thousand: collecting
  them as they come took a third of a 500-line invoice's time), and collects once after each answer,
  over what the invoice left only (what it was forked with is frozen).

A worker forked while another thread of the caller held a C library's lock (libxml2's, say) could
wait on it for ever: it is then killed at the deadline like a design that loops, and the next
invoice gets a new one.
"""

from __future__ import annotations

import gc
import json
import logging
import mmap
import os
import resource
import select
import signal
import struct
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from delivery.rendering import PdfError, PdfTimedOut, PdfTooLarge
from integrator.errors import DomainError
from invoices.display import DisplayError, NoStylesheet, StylesheetRefused

logger = logging.getLogger(__name__)

JOBS_PER_WORKER = 1000
MEMORY_MARGIN = 64 * 2**20  # a failure this close to the memory cap is taken for running out of it
ALARM_GRACE = 5  # seconds the worker's own alarm waits past the caller's deadline
ERRORS = {error.code: error for error in (DisplayError, StylesheetRefused, NoStylesheet, PdfError, PdfTimedOut, PdfTooLarge)}
_HEADER, _BODY = struct.Struct("!I"), struct.Struct("!Q")


def draw(xml: bytes, *, gib_design: Path | None) -> bytes:
    """The PDF of *xml*, drawn by this process's worker within PDF_RENDER_SECONDS. Raises DisplayError
    (its subclasses: StylesheetRefused, PdfError, PdfTimedOut, PdfTooLarge), never another error."""
    seconds = settings.PDF_RENDER_SECONDS
    job = {"language": translation.get_language() or settings.LANGUAGE_CODE, "seconds": seconds,
           "gib": str(gib_design) if gib_design else ""}
    with _lock:
        deadline = time.monotonic() + seconds
        answer, pdf = _asked(job, xml, deadline)
    if not answer["ok"]:
        raise ERRORS.get(answer["code"], PdfError)(answer["message"])
    return pdf


# --- the caller's side ------------------------------------------------------------------------------


class _Worker:
    def __init__(self, pid: int, jobs: int, answers: int):
        self.pid, self.jobs, self.answers = pid, jobs, answers


class _Late(Exception):
    pass


class _Gone(Exception):
    pass


_lock = threading.Lock()
_current: _Worker | None = None


def _asked(job: dict, xml: bytes, deadline: float) -> tuple[dict, bytes]:
    global _current
    for attempt in (1, 2):
        if _current is None:
            _current = _start()
        worker = _current
        try:
            _send(worker.jobs, job, xml, deadline)
            answer, pdf = _receive(worker.answers, deadline)
        except _Late:
            _stop(worker)
            raise PdfTimedOut(seconds=job["seconds"]) from None
        except (_Gone, OSError) as exc:
            ended = _stop(worker)
            if attempt == 1 and isinstance(exc, BrokenPipeError):
                continue  # it had left (killed, or out of memory) before this job came: a new one takes it
            # Killed by the kernel, or libxml2 giving up when memory ran out under the cap.
            raise PdfError(reason=_("the process drawing it ended without an answer (%(how)s)") % {"how": ended}) from None
        if answer.get("leaving"):
            _stop(worker)
        return answer, pdf
    raise AssertionError("unreachable")


def _forked() -> None:
    """In a child forked from this process (gunicorn's, celery's, or the worker itself): the worker
    there is the parent's, its pipes copies, and the lock may have been held by a thread not here."""
    global _lock, _current
    _lock = threading.Lock()
    if _current is not None:
        for fd in (_current.jobs, _current.answers):
            _close(fd)
        _current = None


os.register_at_fork(after_in_child=_forked)


def _start() -> _Worker:
    from delivery.rendering import layout

    layout.warm()
    job_read, job_write = os.pipe()
    answer_read, answer_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            _only_own(job_read, answer_write)
            _serve(job_read, answer_write)
            status = 0
        except BaseException:  # noqa: BLE001  (whatever happens here ends in _exit, never in the caller's code)
            logger.exception("the PDF worker failed")
        finally:
            os._exit(status)
    os.close(job_read)
    os.close(answer_write)
    logger.info("PDF worker %s started", pid)
    return _Worker(pid, job_write, answer_read)


def _only_own(*keep: int) -> None:
    """The worker keeps its two pipes and the standard streams, and closes every other descriptor it
    was forked with: a socket of the caller's server, a pipe to another of its children (a browser's
    driver, a worker's), kept open here, would never let its other end see it close."""
    last = 2
    for fd in sorted(keep):
        os.closerange(last + 1, fd)
        last = fd
    os.closerange(last + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def _stop(worker: _Worker) -> str:
    """Kill and reap *worker*; how it had ended, if it had (its signal or exit status), else "killed"."""
    global _current
    how = "killed"
    try:
        pid, status = os.waitpid(worker.pid, os.WNOHANG)
        if pid:
            how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit status {os.waitstatus_to_exitcode(status)}"
        else:
            os.kill(worker.pid, signal.SIGKILL)
            os.waitpid(worker.pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass
    for fd in (worker.jobs, worker.answers):
        _close(fd)
    if _current is worker:
        _current = None
    return how


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


# --- frames: a JSON header and a body ---------------------------------------------------------------


def _send(fd: int, header: dict, body: bytes, deadline: float | None) -> None:
    words = json.dumps(header).encode()
    view = memoryview(_HEADER.pack(len(words)) + words + _BODY.pack(len(body)) + body)
    while view:
        _wait(fd, deadline, writing=True)
        view = view[os.write(fd, view):]


def _receive(fd: int, deadline: float | None) -> tuple[dict, bytes]:
    (size,) = _HEADER.unpack(_read(fd, _HEADER.size, deadline))
    header = json.loads(_read(fd, size, deadline))
    (size,) = _BODY.unpack(_read(fd, _BODY.size, deadline))
    return header, _read(fd, size, deadline)


def _read(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, left = [], size
    while left:
        _wait(fd, deadline, writing=False)
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise _Gone()
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _wait(fd: int, deadline: float | None, *, writing: bool) -> None:
    """Until *fd* can be read (written), or _Late at *deadline*: a worker that hangs before reading
    its job must not hold the caller either."""
    if deadline is None:
        return
    left = deadline - time.monotonic()
    ready = select.select([], [fd], [], max(left, 0)) if writing else select.select([fd], [], [], max(left, 0))
    if left <= 0 or not (ready[1] if writing else ready[0]):
        raise _Late()


# --- the worker's side --------------------------------------------------------------------------------


def _serve(jobs: int, answers: int) -> None:
    """Draw what comes until the caller's end of the pipe closes, or it is time to leave."""
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM):
        signal.signal(number, signal.SIG_DFL)  # the caller's handlers (gunicorn's, celery's) are not ours
    sys.unraisablehook = _unraisable
    allowance, started = settings.PDF_RENDER_MEMORY_MB * 2**20, _resident()
    ceiling = _mapped() + allowance  # what it has mapped already (Saxon's native image reserves much), and so much more
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    gc.freeze()  # no collection while drawing, one after each answer (the module's docstring)
    gc.disable()
    for done in range(1, JOBS_PER_WORKER + 1):
        try:
            job, xml = _receive(jobs, None)
        except _Gone:
            return
        signal.alarm(job["seconds"] + ALARM_GRACE)  # SIGALRM's default action ends the process, even in C
        answer, pdf = _answer(job, xml, ceiling)
        signal.alarm(0)
        answer["leaving"] = answer.pop("spoilt", False) or done == JOBS_PER_WORKER or _resident() - started > allowance / 2
        _send(answers, answer, pdf, None)
        if answer["leaving"]:
            return
        del pdf
        gc.collect()


_reserve: mmap.mmap | None = None  # address space kept back (never touched), given up to say that memory ran out


def _unraisable(unraisable) -> None:
    """Out of memory, lxml cannot pass libxslt's errors on, and says so for each of thousands of them."""
    if not issubclass(unraisable.exc_type, MemoryError):
        sys.__unraisablehook__(unraisable)


def _answer(job: dict, xml: bytes, ceiling: int) -> tuple[dict, bytes]:
    global _reserve
    translation.activate(job["language"])
    try:
        _reserve = _reserve or mmap.mmap(-1, MEMORY_MARGIN // 2)
        return {"ok": True}, draw_here(xml, gib_design=_design(job["gib"]))
    except Exception as exc:  # noqa: BLE001  (weasyprint on a stranger's page: RecursionError, ValueError, ...)
        if _reserve is not None:
            _reserve.close()
            _reserve = None
        if isinstance(exc, MemoryError) or _peak() > ceiling - MEMORY_MARGIN:
            # Out of memory, whoever noticed: libxslt says so in words of its own ("copy p failed").
            error: DomainError = PdfTooLarge(megabytes=settings.PDF_RENDER_MEMORY_MB)
        elif isinstance(exc, DomainError):
            return {"ok": False, "code": exc.code, "message": str(exc)}, b""
        else:
            logger.warning("the PDF could not be laid out", exc_info=True)
            error = PdfError(reason=_("its page cannot be laid out (%(error)s)") % {"error": type(exc).__name__})
        return {"ok": False, "code": error.code, "message": str(error), "spoilt": True}, b""


def draw_here(xml: bytes, *, gib_design: bytes | None) -> bytes:
    """The PDF of *xml* drawn in this process, with no deadline: what the worker does for each invoice
    (and what a profiler wants to see)."""
    from delivery.rendering import layout, page

    return layout.pdf_of(page.page_of(xml, gib_design=gib_design))


_designs: dict[tuple[str, int], bytes] = {}


def _design(path: str) -> bytes | None:
    """GİB's design, read once per version of the file."""
    if not path:
        return None
    try:
        key = (path, os.stat(path).st_mtime_ns)
    except OSError:
        return None
    if key not in _designs:
        _designs.clear()
        _designs[key] = Path(path).read_bytes()
    return _designs[key]


def _mapped() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _peak() -> int:
    """The most this process has had mapped (VmPeak): near the cap, a failure was for want of memory."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmPeak:"))
    return int(line.split()[1]) * 1024


def _resident() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
