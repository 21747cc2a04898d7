import shutil
import subprocess
import sys

from app.launch import EXAMPLE


def test_sweep_command_trains_each_value_and_writes_csv_and_plot(tmp_path):
    project = tmp_path / EXAMPLE.name  # the sweep's study and run folders go beside the project
    shutil.copyfile(EXAMPLE, project)
    result = subprocess.run([sys.executable, "-m", "app", "sweep", str(project), "--node", "fc1", "--param",
                             "out_features", "--values", "2,32", "--epochs", "2", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = (tmp_path / "sweep.csv").read_text().splitlines()
    assert rows[0] == "value,parameters,train_loss,val_loss,val_metric" and len(rows) == 3
    small, large = (line.split(",") for line in rows[1:])
    assert int(small[1]) < int(large[1]) and float(large[2]) < float(small[2])
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"


def test_sweep_names_a_missing_node(tmp_path):
    project = tmp_path / EXAMPLE.name
    shutil.copyfile(EXAMPLE, project)
    result = subprocess.run([sys.executable, "-m", "app", "sweep", str(project), "--node", "nope", "--param",
                             "out_features", "--values", "2"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "no node labelled 'nope'" in result.stderr
