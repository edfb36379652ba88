"""Runs last (file order): the session's engine shuts down cleanly on SIGTERM, and its log, kept
for the whole session, holds no sanitizer report (the ASan/UBSan build is the default)."""
import re

SANITIZER = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                       r"UndefinedBehaviorSanitizer")


def test_engine_stops_cleanly_without_sanitizer_reports(daemon, docker):
    ids = docker("ps", "-aq").stdout.split()
    if ids:
        docker("rm", "-f", *ids, timeout=120)
    daemon.stop(timeout=30)
    assert daemon.process.returncode == 0, daemon.log_tail(60)
    reports = [line for line in daemon.log_text().splitlines() if SANITIZER.search(line)]
    assert reports == [], "\n".join(reports[:20]) + "\n" + daemon.log_tail(120)
