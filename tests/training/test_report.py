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


class _Compare(HTMLParser):
    """Every ``table.compare`` (runs as columns): {run: {row name: (text, data attributes)}}."""

    def __init__(self):
        super().__init__()
        self.runs, self.rows, self.row, self.col, self.cell, self.attrs, self.inside = [], {}, None, -1, None, {}, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("class") == "compare":
            self.inside, self.runs = True, []
        elif self.inside and tag == "th" and "data-run" in a:
            self.runs.append(a["data-run"])
            self.rows.setdefault(a["data-run"], {})
        elif self.inside and tag == "tr":
            self.row, self.col = None, -1
        elif self.inside and tag == "td":
            self.cell, self.attrs = "", a

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag == "td":
            if self.col < 0:
                self.row = self.cell.strip()  # the first cell names the row
            else:
                self.rows[self.runs[self.col]][self.row] = (self.cell.strip(), self.attrs)
            self.col += 1
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def test_zeroplay_report_on_a_directory_of_runs_compares_them(tmp_path, capsys):
    """Two finished runs that differ in the learning rate and one stopped early, under one OUT: each gets
    its own page, and OUT/report.html has one row per run with the differing field, each evaluation
    metric after training (as summary.json says) with its change, links to the runs' pages, and curves."""
    for name, lr, steps in (("slow", 1e-4, 2), ("fast #2", 1e-2, 2)):
        train(config_from_dict(tiny_config(tmp_path, steps=steps, name=name, **{**QUICK, "optim.lr": lr})), quiet=True)
    partial = train(config_from_dict(tiny_config(tmp_path, steps=1, name="partial", **QUICK)), quiet=True)
    (partial / "summary.json").unlink()  # as a run stopped before its end leaves it
    (tmp_path / "not_a_run").mkdir()
    for run in ("slow", "fast #2", "partial"):
        (tmp_path / run / "report.html").unlink(missing_ok=True)
    assert main(["report", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "report.html")
    assert all((tmp_path / run / "report.html").is_file() for run in ("slow", "fast #2", "partial"))
    html = (tmp_path / "report.html").read_text()
    assert "<script" not in html and "data:image/png;base64," in html
    # the only links are to the runs' own pages
    # (a name that is no plain URL path is quoted: "fast #2" is the directory fast%20%232)
    assert sorted(re.findall(r'href="([^"]+)"', html)) == ["fast%20%232/report.html", "partial/report.html",
                                                          "slow/report.html"]
    table = _Compare()
    table.feed(html)
    assert set(table.rows) == {"fast #2", "partial", "slow"}  # by name; not_a_run left out
    assert table.rows["slow"]["optim.lr"][0] == "0.0001" and table.rows["fast #2"]["optim.lr"][0] == "0.01"
    assert table.rows["partial"]["status"][0] == "1 of 1 steps" and table.rows["slow"]["status"][0] == "finished"
    for run in ("slow", "fast #2"):
        summary = json.loads((tmp_path / run / "summary.json").read_text())
        metrics = [k for k, v in summary["eval_after"].items() if isinstance(v, (int, float))]
        assert metrics
        for metric in metrics:
            text, attrs = table.rows[run][metric]
            assert float(attrs["data-value"]) == pytest.approx(summary["eval_after"][metric])
            assert float(attrs["data-before"]) == pytest.approx(summary["eval_before"][metric])
            change = summary["eval_after"][metric] - summary["eval_before"][metric]
            assert text == f"{summary['eval_after'][metric]:.4f} ({change:+.4f})"


def test_zeroplay_report_on_a_directory_of_runs_with_another_out(tmp_path, capsys):
    train(config_from_dict(tiny_config(tmp_path / "runs", steps=1, name="a", **QUICK)), quiet=True)
    out = tmp_path / "page.html"
    assert main(["report", str(tmp_path / "runs"), "--out", str(out)]) == 0
    html = out.read_text()
    assert 'data-run="a"' in html and "href=" not in html  # away from the runs, their pages are not linked


def test_only_metrics_with_a_better_side_are_coloured_and_by_which_side(finished_run):
    from zeroplay.training.report import direction

    directed = ("eval/exploitability", "eval/random/invalid_rate", "eval/nash/win_rate",
                "eval/exact/random/mean_return", "eval/pass@4", "eval/accuracy")
    assert [direction(k) for k in directed] == [-1, -1, 1, 1, 1, 1]
    assert [direction(k) for k in ("policy/P(b|J)", "eval/random/mean_return_ci95", "eval/length")] == [0, 0, 0]
    html = (finished_run / "report.html").read_text()
    summary = json.loads((finished_run / "summary.json").read_text())
    cells = re.findall(r'<tr data-metric="([^"]+)">.*?<td class="num after( better| worse)?"', html)
    assert cells
    for metric, trend in cells:
        b, a = summary["eval_before"].get(metric), summary["eval_after"].get(metric)
        if not direction(metric) or a is None or b is None or abs(a - b) < 5e-5:
            assert trend == "", metric  # a policy's probability going down is neither better nor worse
        else:
            assert trend == (" better" if (a - b) * direction(metric) > 0 else " worse"), metric
