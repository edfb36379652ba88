#!/usr/bin/env python3
"""Counts the test cases in every JUnit XML file of a folder and prints `N passed, N failed`.

A runner's exit code may sit beside its report as `<name>.exit` (scripts/test writes them). A
runner that exited non-zero without a failing case in its report (it crashed, was killed, or
never wrote the report) counts as one failure, so a dead tier never reads as a clean run.
Exits non-zero when anything failed or when no test ran at all."""
import pathlib
import sys
import xml.etree.ElementTree as ElementTree


def main() -> int:
    folder = pathlib.Path(sys.argv[1])
    passed = failed = skipped = 0
    failed_in = {}
    for report in sorted(folder.glob("*.xml")):
        failed_in[report.stem] = 0
        try:
            tree = ElementTree.parse(report)
        except ElementTree.ParseError as error:
            print(f"{report}: unreadable test report: {error}")
            failed += 1
            failed_in[report.stem] = 1
            continue
        for case in tree.iter("testcase"):
            outcome = {child.tag for child in case}
            if outcome & {"failure", "error"}:
                failed += 1
                failed_in[report.stem] += 1
                print(f"FAILED {report.stem}: {case.get('classname')}.{case.get('name')}")
            elif "skipped" in outcome or case.get("result") == "skipped":
                skipped += 1
            else:
                passed += 1
    for exit_file in sorted(folder.glob("*.exit")):
        name = exit_file.stem
        try:
            code = int(exit_file.read_text().strip())
        except ValueError:
            code = -1
        if code == 0 or failed_in.get(name, 0) > 0:
            continue
        why = "without a test report" if name not in failed_in else "with no failing case"
        print(f"FAILED {name}: the runner exited with code {code} {why}")
        failed += 1
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
