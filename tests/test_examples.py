"""Each example runs, with tiny settings, and says what it claims; so does the
README's."""

import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
README = ROOT / "README.md"
# The README is the front page: its details live in docs/.
README_MAX_LINES = 250


def _main(name):
    return runpy.run_path(str(EXAMPLES / name))["main"]


@pytest.mark.parametrize(
    "name, better",
    [
        ("weighted_loss.py", "WeightedLossClassifier"),
        ("oversampling.py", "WeightedSamplerClassifier"),
    ],
)
def test_seed_methods(name, better):
    scores = _main(name)(["--max-epochs", "10"])
    assert scores[better] > scores["NetClassifier"]


def test_grid_search():
    grid = _main("grid_search.py")(["--max-epochs", "2", "--cv", "2"])
    assert set(grid.best_params_) == {"class_weight", "lr"}


def test_imblearn_pipelines():
    scores = _main("imblearn_pipelines.py")(["--max-epochs", "2", "--cv", "2"])
    assert set(scores) == {
        "baseline",
        "random-over",
        "smote",
        "random-under",
        "weighted-loss",
        "weighted-sampler",
    }
    assert all(0 <= s <= 1 for s in scores.values())


def test_mnist_option_reaches_the_loader(tmp_path):
    with pytest.raises(FileNotFoundError, match="MNIST/raw"):
        _main("weighted_loss.py")(["--data-dir", str(tmp_path), "--max-epochs", "1"])


def test_your_data(tmp_path):
    result = _main("your_data.py")(
        ["--rows", "600", "--max-epochs", "2", "--cv", "2", "--output", str(tmp_path)]
    )
    assert result.config["dataset"] == "transactions"
    assert result.config["positive"] == "fraud"
    assert (result.rows["status"] == "ok").all(), result.rows["error"].unique()
    assert (tmp_path / "precision_recall.png").exists()


def test_fraud(tmp_path):
    result = _main("fraud.py")(
        ["--rows", "2500", "--max-epochs", "2", "--cv", "2", "--output", str(tmp_path)]
    )
    assert result.config["positive"] == "fraud"
    assert result.config["operating_point"] == "alert-rate=0.01"
    assert (result.rows["status"] == "ok").all(), result.rows["error"].unique()
    # The payment id is left out of the features, and the model decides at
    # the alert budget.
    assert "payment_id" not in str(result.model.estimator[0].transformers)
    assert result.model_info["rule"] == "threshold"
    assert (tmp_path / "model.skimb").exists()


def _python_blocks(markdown):
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.M | re.S)


def test_readme_python_runs(tmp_path, monkeypatch):
    blocks = _python_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "README.md has no ```python block"
    # Run where a stray output file would land in a throw-away folder.
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__readme__"}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines, at most {README_MAX_LINES}: move "
        "details to docs/"
    )
