"""Progress output of the stochastic solvers: plain lines and the live line."""

import io
import os

import pytest
from sklearn.datasets import make_classification

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor, _progress
from skscratchnn._progress import EpochProgress


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    """Replace the progress clock by one that moves only when told to."""

    class Clock:
        now = 100.0

        def __call__(self):
            return self.now

    fake = Clock()
    monkeypatch.setattr(_progress.time, "perf_counter", fake)
    monkeypatch.setattr(
        _progress.shutil, "get_terminal_size", lambda: os.terminal_size((100, 20))
    )
    return fake


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=60, n_features=4, random_state=0)


def test_verbose_1_prints_one_timed_line_per_epoch(data, capsys):
    clf = ScratchMLPClassifier((5,), max_iter=4, verbose=1, random_state=0)
    with pytest.warns(Warning, match="Maximum iterations"):
        clf.fit(*data)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == clf.n_iter_ == 4
    for epoch, (line, loss) in enumerate(zip(lines, clf.loss_curve_), start=1):
        assert line.startswith(f"Iteration {epoch}, loss = {loss:.8f}, ")
        assert line.endswith(" s")
        assert "ETA" not in line


def test_verbose_0_prints_nothing(data, capsys):
    clf = ScratchMLPClassifier((5,), max_iter=3, random_state=0)
    with pytest.warns(Warning, match="Maximum iterations"):
        clf.fit(*data)
    assert capsys.readouterr().out == ""


def test_verbose_2_off_terminal_degrades_to_plain_lines_with_eta(data, capsys):
    clf = ScratchMLPClassifier(
        (5,), max_iter=5, verbose=2, early_stopping=True, random_state=0
    )
    with pytest.warns(Warning, match="Maximum iterations"):
        clf.fit(*data)
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = out.splitlines()
    assert len(lines) == 5
    for epoch, (line, score) in enumerate(zip(lines, clf.validation_scores_), start=1):
        assert line.startswith(f"Iteration {epoch}/5, loss = ")
        assert f"validation score = {score:.6f}" in line
        assert " s, ETA " in line


def test_live_line_redraws_in_place_and_ends_with_one_newline(clock):
    out = FakeTerminal()
    progress = EpochProgress(total=3, verbose=2, stream=out)
    for epoch, loss in enumerate([0.9, 0.5, 0.25], start=1):
        clock.now += 1.0
        progress.update(epoch, loss)
    progress.end_line()
    text = out.getvalue()
    frames = text.split("\r")[1:]
    assert len(frames) == 3
    assert text.count("\n") == 1 and text.endswith("\n")
    assert "1/3 loss 0.900000" in frames[0]
    assert "3/3 loss 0.250000 | 0:03 elapsed, ETA 0:00" in frames[2]
    assert "[=======             ] 1/3" in frames[0]
    assert all(len(frame.rstrip("\n")) == 99 for frame in frames)


def test_live_line_skips_redraws_faster_than_the_limit_but_shows_the_last(clock):
    out = FakeTerminal()
    progress = EpochProgress(total=10, verbose=2, stream=out)
    for epoch in range(1, 5):
        clock.now += 0.01
        progress.update(epoch, 1.0 / epoch)
    assert out.getvalue().count("\r") == 1
    progress.end_line()
    frames = out.getvalue().split("\r")[1:]
    assert len(frames) == 2 and "4/10 loss 0.250000" in frames[1]
    assert out.getvalue().endswith("\n")


def test_live_line_eta_extrapolates_the_mean_epoch_time(clock):
    out = FakeTerminal()
    progress = EpochProgress(total=100, verbose=2, stream=out)
    clock.now += 20.0
    progress.update(10, 0.5, validation_score=0.875)
    assert "10/100 loss 0.500000 val 0.8750 | 0:20 elapsed, ETA 3:00" in out.getvalue()


def test_live_line_is_cut_to_the_terminal_width(clock, monkeypatch):
    monkeypatch.setattr(
        _progress.shutil, "get_terminal_size", lambda: os.terminal_size((30, 20))
    )
    out = FakeTerminal()
    progress = EpochProgress(total=2, verbose=2, stream=out)
    progress.update(1, 0.5)
    assert out.getvalue() == "\r[==========          ] 1/2 lo"


def test_end_line_lets_other_output_start_on_its_own_line(clock):
    out = FakeTerminal()
    progress = EpochProgress(total=5, verbose=2, stream=out)
    progress.update(1, 0.5)
    progress.end_line()
    out.write("a message\n")
    clock.now += 1.0
    progress.update(2, 0.4)
    progress.end_line()
    progress.end_line()
    first, message, second, rest = out.getvalue().split("\n")
    assert first.startswith("\r") and "1/5" in first
    assert message == "a message"
    assert second.startswith("\r") and "2/5" in second
    assert rest == ""


def test_fit_on_a_terminal_puts_the_stopping_message_on_its_own_line(
    data, monkeypatch
):
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stdout", terminal)
    # A huge tol makes every epoch after the first count as "no improvement".
    clf = ScratchMLPClassifier(
        (5,), max_iter=50, tol=10.0, n_iter_no_change=2, verbose=2, random_state=0
    )
    clf.fit(*data)
    lines = terminal.getvalue().split("\n")
    assert clf.n_iter_ == 4
    assert lines[0].startswith("\r") and "/50 loss" in lines[0]
    assert lines[1].startswith("Training loss did not improve more than tol")
    assert lines[1].endswith("Stopping.")
    assert lines[2:] == [""]


def test_partial_fit_counts_its_single_epoch_as_the_whole(data, capsys):
    X, y = data
    regr = ScratchMLPRegressor(hidden_layer_sizes=(5,), verbose=2, random_state=0)
    regr.partial_fit(X, y)
    line = capsys.readouterr().out
    assert line.startswith("Iteration 1/1, loss = ") and line.endswith(", ETA 0.0 s\n")


@pytest.mark.parametrize(
    "seconds, text", [(0.4, "0:00"), (59.6, "1:00"), (65, "1:05"), (3725, "1:02:05")]
)
def test_clock_format(seconds, text):
    assert _progress._clock(seconds) == text
