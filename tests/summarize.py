#!/usr/bin/env python3
"""Counts the test cases in every JUnit XML file of a folder and prints `N passed, N failed`.

Exits non-zero when anything failed or when no test ran at all."""
import pathlib
import sys
import xml.etree.ElementTree as ElementTree


def main() -> int:
    folder = pathlib.Path(sys.argv[1])
    passed = failed = skipped = 0
    for report in sorted(folder.glob("*.xml")):
        try:
            tree = ElementTree.parse(report)
        except ElementTree.ParseError as error:
            print(f"{report}: unreadable test report: {error}")
            failed += 1
            continue
        for case in tree.iter("testcase"):
            outcome = {child.tag for child in case}
            if outcome & {"failure", "error"}:
                failed += 1
                print(f"FAILED {report.stem}: {case.get('classname')}.{case.get('name')}")
            elif "skipped" in outcome or case.get("result") == "skipped":
                skipped += 1
            else:
                passed += 1
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
