"""What an interrupted run says of its results (``interrupted_message`` of
``_execution``): the output folder only where a result was written there."""

from skimb.evaluation._execution import interrupted_message


def test_a_run_stopped_before_any_result_names_no_folder(tmp_path):
    (tmp_path / "out").mkdir()  # made by the plan's write check, left empty
    message = interrupted_message(tmp_path / "out", "methods")
    assert "nothing was saved" in message
    assert str(tmp_path) not in message


def test_a_run_stopped_after_a_result_names_its_folder(tmp_path):
    (tmp_path / "keel-yeast4").mkdir()
    (tmp_path / "keel-yeast4" / "results.csv").write_text("method\n")
    message = interrupted_message(tmp_path, "data sets")
    assert f"finished data sets are saved in {tmp_path}/" in message
    assert "--resume" in message
