"""``recbole-vagnn scaling``: its argument errors, its comparison line and a tiny run of 1 and 2 processes."""

import pytest

from recbole_vagnn.experiments.scaling import comparison, main
from tests.conftest import fails


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--nproc", "0"], "--nproc '0': give comma-separated integers of 1 or more"),
        (["--nproc", "1,two"], "--nproc '1,two'"),
        (["--seeds", "2020,x"], "--seeds '2020,x': give comma-separated integers of 0 or more"),
        (["--seeds", "-1"], "--seeds '-1'"),
        (["--threads", "0"], "--threads 0: a process needs 1 thread or more"),
        (["--data_path", "somewhere"], "--data_path needs --dataset"),
        (["--epochs"], "--epochs needs a value"),
    ],
)
def test_bad_arguments_are_one_line(argv, message, capsys):
    assert message in fails(main, argv, capsys)


def test_the_comparison_uses_the_standard_error_of_the_difference():
    line = comparison(2, [0.30, 0.32, 0.31], [0.31, 0.33, 0.32])
    assert "difference -0.0100" in line and "SE 0.0082" in line and "NOT within" not in line
    assert "NOT within" in comparison(2, [0.20, 0.21, 0.20], [0.31, 0.33, 0.32])
    assert "two seeds or more give an SE" in comparison(2, [0.30], [0.31])


@pytest.mark.slow
def test_one_and_two_processes_on_the_embedded_data_print_both_rows(monkeypatch, capsys):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    main(["--dataset", "vagnn-demo", "--epochs", "1", "--seeds", "2020", "--nproc", "1,2"])
    out = capsys.readouterr().out
    assert "config flags: --epochs=1" in out and "1 torch thread(s) per process" in out
    rows = [line.split() for line in out.splitlines() if line.split()[:2] in (["1", "1"], ["2", "1"])]
    assert [row[0] for row in rows] == ["1", "2"]
    assert all(float(row[2]) > 0 and row[3] == "1.0" and 0 <= float(row[5]) <= 1 for row in rows)
    assert "2 processes: Recall@10" in out
