"""Progress output of training: the one place that prints.

``verbose=1`` prints one line per epoch. ``verbose >= 2`` adds the epoch count
and an estimate of the time left; on a terminal it redraws one live line in
place (carriage return), elsewhere (a file, a pipe, a notebook's captured
output) it falls back to one plain line per epoch.
"""

import shutil
import sys
import time

_BAR_WIDTH = 20
# Redraw a live line at most this often, so tiny epochs don't flood the terminal.
_MIN_REDRAW_SECONDS = 0.1


class EpochProgress:
    """Report the loss, validation score and timing of each training epoch.

    Parameters
    ----------
    total : int
        Number of epochs the fit may run (``max_iter``); training can stop
        earlier, so the time left is an upper bound.
    verbose : bool or int
        0 or False prints nothing; 1 or True prints a line per epoch; 2 or more
        also shows ``epoch/total`` and the time left, live on a terminal.
    stream : file-like, default=None
        Where to write; None means ``sys.stdout`` at the time of each write.

    Examples
    --------
    >>> import io
    >>> from skscratchnn._progress import EpochProgress
    >>> out = io.StringIO()
    >>> progress = EpochProgress(total=4, verbose=2, stream=out)
    >>> progress.update(1, 0.693)
    >>> progress.end_line()
    >>> print(out.getvalue())
    Iteration 1/4, loss = 0.69300000, ... s, ETA ... s
    """

    def __init__(self, total, verbose, stream=None):
        self.total = total
        self.verbose = verbose
        self.stream = stream
        self._start = time.perf_counter()
        self._live = verbose >= 2 and _is_terminal(self._out)
        self._line_open = False
        self._last_draw = -float("inf")
        self._pending = None

    @property
    def _out(self):
        return sys.stdout if self.stream is None else self.stream

    def update(self, n_iter, loss, validation_score=None):
        """Report the end of epoch ``n_iter``.

        Parameters
        ----------
        n_iter : int
            Epochs done in this fit, counting from 1.
        loss : float
            Mean training loss of the epoch.
        validation_score : float, default=None
            Score on the held-out validation data, when early stopping.
        """
        if not self.verbose:
            return
        elapsed = time.perf_counter() - self._start
        if self.verbose < 2:
            self._write(_plain_line(n_iter, loss, validation_score, elapsed) + "\n")
            return
        eta = elapsed / n_iter * (self.total - n_iter)
        if not self._live:
            line = _plain_line(n_iter, loss, validation_score, elapsed, self.total, eta)
            self._write(line + "\n")
            return
        self._pending = _live_line(
            n_iter, self.total, loss, validation_score, elapsed, eta
        )
        now = time.perf_counter()
        last_epoch = n_iter >= self.total
        if last_epoch or now - self._last_draw >= _MIN_REDRAW_SECONDS:
            self._draw()
            self._last_draw = now
        if last_epoch:
            self.end_line()

    def note(self, text):
        """Print a message of the solver (a plateau, an L-BFGS iteration) on a line."""
        if self.verbose:
            self.end_line()
            self._write(text + "\n")

    def end_line(self):
        """Show the last state and end the live line, so other output starts afresh."""
        if self._pending is not None:
            self._draw()
        if self._line_open:
            self._write("\n")
            self._line_open = False

    def _draw(self):
        width = shutil.get_terminal_size().columns - 1
        # Pad to the full width so a shorter line wipes out a longer previous one.
        self._write("\r" + self._pending[:width].ljust(width))
        self._pending = None
        self._line_open = True

    def _write(self, text):
        self._out.write(text)
        self._out.flush()


def _is_terminal(stream):
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _plain_line(n_iter, loss, validation_score, elapsed, total=None, eta=None):
    epoch = n_iter if total is None else f"{n_iter}/{total}"
    line = f"Iteration {epoch}, loss = {loss:.8f}"
    if validation_score is not None:
        line += f", validation score = {validation_score:.6f}"
    line += f", {elapsed:.2f} s"
    if eta is not None:
        line += f", ETA {eta:.1f} s"
    return line


def _live_line(n_iter, total, loss, validation_score, elapsed, eta):
    filled = round(_BAR_WIDTH * n_iter / total)
    bar = "=" * filled + " " * (_BAR_WIDTH - filled)
    line = f"[{bar}] {n_iter}/{total} loss {loss:.6f}"
    if validation_score is not None:
        line += f" val {validation_score:.4f}"
    return line + f" | {_clock(elapsed)} elapsed, ETA {_clock(eta)}"


def _clock(seconds):
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"
