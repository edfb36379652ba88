"""Boot tests: each file in cases/ is one boot (a cloud-config and checks), run by harness.py."""
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml

from harness import ISO, run_case

CASES = sorted((Path(__file__).parent / "cases").glob("*.yml"))


@pytest.mark.skipif(not ISO.exists(), reason="dist/corral.iso is not built (make dist)")
@pytest.mark.parametrize("case_file", CASES, ids=[case.stem for case in CASES])
def test_boot(case_file: Path) -> None:
    case = yaml.safe_load(case_file.read_text())
    workdir = Path(tempfile.mkdtemp(prefix=f"corral-vm-{case_file.stem}-"))
    results = Path(os.environ.get("CORRAL_SOURCE_DIR", ".")) / "build-asan" / "test-results"
    try:
        run_case(case, workdir)
    except BaseException:
        print(f"kept {workdir} (serial.log, qemu.log) for inspection")
        raise
    finally:
        # The serial console of every boot, for reading after the run.
        if (workdir / "serial.log").exists() and results.is_dir():
            shutil.copy(workdir / "serial.log", results / f"vm-{case_file.stem}.serial.log")
    shutil.rmtree(workdir, ignore_errors=True)
