"""Boot tests: each file in cases/ is one boot (a cloud-config and checks), run by harness.py."""
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
    try:
        run_case(case, workdir)
    except BaseException:
        print(f"kept {workdir} (serial.log, qemu.log) for inspection")
        raise
    shutil.rmtree(workdir, ignore_errors=True)
