"""Reading and checking the user's own data."""

import numpy as np
import pandas as pd
import pytest

from skimb.datasets._user import check_target, read_table, split_target, user_split


@pytest.fixture
def table(tmp_path):
    df = pd.DataFrame(
        {"amount": [1.0, 2.0, np.nan, 4.0] * 5, "label": ["ok"] * 15 + ["fraud"] * 5}
    )
    df.to_csv(tmp_path / "t.csv", index=False)
    df.to_csv(tmp_path / "t.tsv", index=False, sep="\t")
    return tmp_path, df


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_read_table_reads_csv_and_tsv(table, suffix):
    folder, df = table
    pd.testing.assert_frame_equal(read_table(folder / f"t{suffix}"), df)


def test_read_parquet_or_name_the_extra(table, monkeypatch):
    folder, df = table
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        (folder / "t.parquet").write_bytes(b"PAR1")
        with pytest.raises(ImportError, match=r"pip install 'skimb\[parquet\]'"):
            read_table(folder / "t.parquet")
        return
    df.to_parquet(folder / "t.parquet")
    pd.testing.assert_frame_equal(read_table(folder / "t.parquet"), df)
    import builtins

    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name == "pyarrow":
            raise ImportError("no pyarrow")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(ImportError, match=r"pip install 'skimb\[parquet\]'"):
        read_table(folder / "t.parquet")


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_table(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match=r"must end in one of \.csv, \.tsv, \.parquet"):
        read_table(tmp_path / "data.xlsx")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00bad\x00\x81")
    with pytest.raises(ValueError, match="cannot read .* as a csv table"):
        read_table(tmp_path / "bin.csv")


def test_split_target_lists_the_columns_and_suggests(table):
    _, df = table
    X, y = split_target(df, "label")
    assert list(X.columns) == ["amount"] and y[-1] == "fraud"
    with pytest.raises(
        ValueError,
        match=r"'lable' is not .*\['amount', 'label'\]"
        r".*Did you mean 'label'",
    ):
        split_target(df, "lable")
    with pytest.raises(ValueError, match="missing labels"):
        split_target(df.assign(label=[None] + ["ok"] * 19), "label")


def test_check_target_one_class_and_classes_smaller_than_cv():
    with pytest.raises(ValueError, match=r"at least 2 classes; .* \['a'\]"):
        check_target(np.array(["a", "a"]))
    with pytest.raises(ValueError, match=r"class 'b' has 3 samples .* cv=5 .* --cv 3"):
        check_target(np.array(["a"] * 10 + ["b"] * 3), cv=5)
    check_target(np.array(["a"] * 10 + ["b"] * 5), cv=5)


def test_user_split_is_stratified_and_keeps_frames(table):
    _, df = table
    X, y = split_target(df, "label")
    split = user_split(X, y, test_size=0.4, name="t")
    assert isinstance(split.X_train, pd.DataFrame)
    assert split.info["train_counts"] == {"fraud": 3, "ok": 9}
    assert split.info["test_counts"] == {"fraud": 2, "ok": 6}
    with pytest.raises(ValueError, match="same number of rows"):
        user_split(X, y[:-1], test_size=0.4)


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_a_csv_with_another_delimiter_is_read_into_its_columns(tmp_path, sep):
    path = tmp_path / "t.csv"
    path.write_text(
        sep.join(["amount", "plan", "label"]) + "\n" + f"1{sep}a{sep}ok\n" * 5
    )
    df = read_table(path)
    assert list(df.columns) == ["amount", "plan", "label"]
    assert df.shape == (5, 3)


def test_a_comma_csv_whose_text_holds_semicolons_stays_comma(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('note,amount,label\n"a;b",1,ok\n"c;d",2,fraud\n"e;f",3,ok\n')
    df = read_table(path)
    assert list(df.columns) == ["note", "amount", "label"]
    assert df["note"].tolist() == ["a;b", "c;d", "e;f"]
