"""examples/tour.ipynb runs in a real Jupyter kernel, and each cell shows what it should, once.

The kernel is this interpreter, registered under a kernel spec in a temporary folder
(JUPYTER_PATH), with IPython's and Jupyter's own folders there too: the user's Jupyter setup
is neither read nor touched.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "tour.ipynb"
KERNEL = "autograd-core-test"
WIDGET = "application/vnd.jupyter.widget-view+json"
RICH = ("text/html", "image/png", "image/svg+xml", WIDGET)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The tour notebook after running every cell, as a list of (source, outputs)."""
    tmp = tmp_path_factory.mktemp("notebook")
    spec = tmp / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "autograd-core test", "language": "python"}))
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(tmp / "jupyter"))
    mp.setenv("JUPYTER_RUNTIME_DIR", str(tmp / "runtime"))
    mp.setenv("JUPYTER_CONFIG_DIR", str(tmp / "config"))
    mp.setenv("IPYTHONDIR", str(tmp / "ipython"))
    mp.delenv("MPLBACKEND", raising=False)  # the kernel picks matplotlib's inline backend
    mp.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=180,
                                     resources={"metadata": {"path": str(tmp)}})
    try:
        # the kernel is started apart, so that only its failing to start is a skip: an error
        # or a hang in a cell fails the test
        client.km = client.create_kernel_manager()
        try:
            client.start_new_kernel()
            client.start_new_kernel_client()
        except Exception as e:  # noqa: BLE001 - whatever stops a kernel from starting
            pytest.skip(f"the Jupyter kernel could not start: {type(e).__name__}: {e}")
        client.execute()
    finally:
        mp.undo()
    assert not any(p.name != "ipython" and p.name != "jupyter" and p.name != "runtime"
                   and p.name != "config" for p in tmp.iterdir()), "the notebook wrote files"
    return [(c.source, c.outputs) for c in nb.cells if c.cell_type == "code"]


def cell(executed, last_line):
    """The outputs of the code cell whose last line is ``last_line``."""
    (outputs,) = [o for src, o in executed if src.strip().splitlines()[-1] == last_line]
    return outputs


def kinds(outputs):
    """[(output_type, sorted MIME types or stream name)] of a cell's outputs."""
    return [(o.output_type, o.get("name") or sorted(o.get("data", {}))) for o in outputs]


def test_a_tensor_shows_an_html_table(executed):
    (out,) = cell(executed, "x")
    assert out.output_type == "execute_result" and "text/html" in out.data
    html = out.data["text/html"]
    for part in ("value", "shape", "(2, 2)", "float64", "leaf (requires grad)", "grad"):
        assert part in html, part


def test_the_graph_is_svg(executed):
    (out,) = cell(executed, "ag.viz.draw(y)")
    assert out.output_type == "execute_result" and "image/svg+xml" in out.data
    assert "<svg" in out.data["image/svg+xml"]


def test_a_model_shows_its_summary_as_html_and_summary_prints_once(executed):
    (out,) = cell(executed, "model")
    assert out.output_type == "execute_result"
    assert "Total params: 65" in out.data["text/html"] and "<table" in out.data["text/html"]
    (printed,) = cell(executed, "model.summary()")  # no echoed string after the table
    assert printed.output_type == "stream" and printed.text.count("Total params: 65") == 1


def test_fit_shows_a_notebook_bar_per_epoch_and_every_metric(executed):
    outputs = cell(executed, "history = model.fit(X, labels, epochs=5, batch_size=32, "
                             "validation_split=0.2, seed=0)")
    bars = [o for o in outputs if o.output_type == "display_data" and WIDGET in o.data]
    assert len(bars) == 5
    text = "".join(o.text for o in outputs if o.output_type == "stream")
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert text.count(f"{key}: ") == 5 * (1 + (key in ("loss", "accuracy"))), key
    assert not [o for o in outputs if o.output_type in ("execute_result", "error")]


def test_a_history_shows_its_curves_and_plot_history_shows_once(executed):
    (out,) = cell(executed, "history")
    assert out.output_type == "execute_result" and "image/png" in out.data
    outputs = cell(executed, "nn.plot.plot_history(history)")
    assert kinds(outputs) == [("execute_result", ["image/png", "text/plain"])]


def test_nothing_displays_twice(executed):
    for source, outputs in executed:
        rich = [o for o in outputs if any(m in o.get("data", {}) for m in RICH)]
        if "model.fit" in source:
            continue  # one bar per epoch
        assert len(rich) <= 1, (source, kinds(outputs))
        assert not [o for o in outputs if o.output_type == "error"], source
