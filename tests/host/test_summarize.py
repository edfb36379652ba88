"""tests/summarize.py, the closing `N passed, N failed` line of `make test`: a tier that dies
without a report, or exits non-zero without a failing case, is counted as failed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SUMMARIZE = Path(__file__).resolve().parents[1] / "summarize.py"

REPORT = """<testsuites><testsuite name="s">
<testcase classname="A" name="one"/>
<testcase classname="A" name="two"/>
{extra}
</testsuite></testsuites>"""


def summarize(folder: Path) -> tuple[int, str]:
    result = subprocess.run([sys.executable, str(SUMMARIZE), str(folder)],
                            capture_output=True, text=True, timeout=30)
    return result.returncode, result.stdout


def test_clean_run(tmp_path):
    (tmp_path / "unit_a.xml").write_text(REPORT.format(extra=""))
    (tmp_path / "unit_a.exit").write_text("0\n")
    code, out = summarize(tmp_path)
    assert code == 0
    assert out.splitlines()[-1] == "2 passed, 0 failed"


def test_failing_case_counted_once(tmp_path):
    failing = '<testcase classname="A" name="three"><failure message="x"/></testcase>'
    (tmp_path / "unit_a.xml").write_text(REPORT.format(extra=failing))
    (tmp_path / "unit_a.exit").write_text("1\n")
    code, out = summarize(tmp_path)
    assert code == 1
    assert "FAILED unit_a: A.three" in out
    assert out.splitlines()[-1] == "2 passed, 1 failed"


def test_runner_killed_before_its_report(tmp_path):
    (tmp_path / "unit_a.xml").write_text(REPORT.format(extra=""))
    (tmp_path / "unit_a.exit").write_text("0\n")
    (tmp_path / "vm.exit").write_text("137\n")
    code, out = summarize(tmp_path)
    assert code == 1
    assert "FAILED vm: the runner exited with code 137 without a test report" in out
    assert out.splitlines()[-1] == "2 passed, 1 failed"


def test_runner_failed_with_a_clean_report(tmp_path):
    (tmp_path / "unit_a.xml").write_text(REPORT.format(extra=""))
    (tmp_path / "unit_a.exit").write_text("134\n")
    code, out = summarize(tmp_path)
    assert code == 1
    assert "FAILED unit_a: the runner exited with code 134 with no failing case" in out
    assert out.splitlines()[-1] == "2 passed, 1 failed"


def test_unreadable_report_and_no_tests(tmp_path):
    (tmp_path / "host.xml").write_text("<testsuites><testcase")
    code, out = summarize(tmp_path)
    assert code == 1
    assert "unreadable test report" in out
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out = summarize(empty)
    assert code == 1
    assert out.splitlines()[-1] == "0 passed, 0 failed"
