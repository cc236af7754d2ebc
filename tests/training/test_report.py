"""The run report: written at the end of a run and by `zeroplay report`, self-contained, and rendered
by headless Chromium, whose DOM gives the before/after table back."""

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from zeroplay.cli import main
from zeroplay.training import config_from_dict, train
from zeroplay.training.runlog import read_samples

from .conftest import tiny_config

QUICK = {"eval.exploitability": False, "eval.games": 4}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Where the rendered report's screenshot goes (for a note or a look); default: the test's tmp dir.
SCREENSHOT = os.environ.get("ZEROPLAY_REPORT_SCREENSHOT")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    return train(config_from_dict(tiny_config(tmp_path_factory.mktemp("report"), steps=2, **QUICK)), quiet=True)


class _Table(HTMLParser):
    """The rows of ``table#before-after``: {metric: (before text, after text)}."""

    def __init__(self):
        super().__init__()
        self.rows, self.cells, self.inside, self.cell = {}, [], False, None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == "before-after":
            self.inside = True
        elif self.inside and tag == "td":
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag == "td":
            self.cells.append(self.cell.strip())
            self.cell = None
        elif self.inside and tag == "tr" and self.cells:
            self.rows[self.cells[0]] = tuple(self.cells[1:])
            self.cells = []

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def test_a_run_writes_a_self_contained_report(finished_run):
    html = (finished_run / "report.html").read_text()
    assert "<table id=\"before-after\"" in html and "data:image/png;base64," in html
    # nothing outside the file: no scripts, no links, no remote resources
    assert "<script" not in html and not re.search(r"""(src|href)=["'](?!data:)""", html)
    samples = read_samples(finished_run)
    assert samples and {r["step"] for r in samples} == {1, 2}
    assert all(r["prompt"] and "completion" in r for r in samples)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium; "
                                             "./setup.sh --dev installs it when run as root)")
def test_the_report_renders_in_headless_chromium_with_the_before_after_table(finished_run, tmp_path):
    url = (finished_run / "report.html").resolve().as_uri()
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    table = _Table()
    table.feed(dom.stdout)
    summary = json.loads((finished_run / "summary.json").read_text())
    expected = {k for k in {**summary["eval_before"], **summary["eval_after"]}
                if isinstance(summary["eval_before"].get(k, summary["eval_after"].get(k)), (int, float))}
    assert set(table.rows) == expected
    for metric, (before, after) in table.rows.items():
        assert float(before) == pytest.approx(summary["eval_before"][metric], abs=5e-5)
        assert float(after) == pytest.approx(summary["eval_after"][metric], abs=5e-5)
    shot = Path(SCREENSHOT) if SCREENSHOT else tmp_path / "report.png"
    done = subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1200,1800", url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_zeroplay_report_writes_it_on_demand_also_for_a_run_in_progress(finished_run, tmp_path, capsys):
    run = shutil.copytree(finished_run, tmp_path / "run")
    (run / "report.html").unlink()
    assert main(["report", str(run)]) == 0
    assert capsys.readouterr().out.strip() == str(run / "report.html")
    assert 'id="before-after"' in (run / "report.html").read_text()
    # a run that has not finished (no summary, no curve yet): what is logged so far
    (run / "summary.json").unlink()
    (run / "curve.png").unlink()
    out = tmp_path / "partial.html"
    assert main(["report", str(run), "--out", str(out)]) == 0
    html = out.read_text()
    assert "has not finished" in html and 'id="before-after"' in html
    assert "drawn from metrics.jsonl" in html and 'id="curves"' in html  # no curve.png yet: drawn from the log


def test_zeroplay_report_on_a_directory_that_is_no_run_says_so(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "holds no metrics.jsonl" in err and "OUT/NAME" in err
