"""The HTML report: self-contained, escaped, no script runs (checked in headless Chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_helpers import TinyRuns, cli

INJECTION = ("<script>document.title='PWNED-SCRIPT'</script><img src=x onerror=\"document.title='PWNED-IMG'\">"
             "\"><svg onload=\"document.title='PWNED-SVG'\">")


def _injected_report(tiny_runs: TinyRuns, tmp_path: Path) -> tuple[Path, str]:
    from reports.run_report import render_run_report

    store = tiny_runs.copy_store(tmp_path / "store")
    with store.transaction() as db:  # the model "generated" a hostile caption for every sample
        db.execute("UPDATE generations SET text=? WHERE cache_key IN (SELECT cache_key FROM run_samples "
                   "WHERE run_id=?)", (INJECTION, tiny_runs.base))
    store.save_stage_timings(tiny_runs.base, "t2v", {  # as nextgpt.profiling's StageRecord.to_dict writes them
        "decode.video": {"stage": "decode.video", "seconds": 1.5, "calls": 4, "mean_s": 0.375,
                         "peak_rss_bytes": 3 * 2**28, "durations_s": [0.3, 0.4, 0.4, 0.4]},
        "llm": {"stage": "llm", "seconds": 0.8, "calls": 4, "peak_rss_bytes": 2**28}})
    index = render_run_report(store, tiny_runs.base, tmp_path / "report")
    return index, index.read_text(encoding="utf-8")


def test_report_is_self_contained_and_escaped(tiny_runs: TinyRuns, tmp_path: Path) -> None:
    index, text = _injected_report(tiny_runs, tmp_path)
    assert index == tmp_path / "report" / "index.html"
    assert "<script" not in text.lower().replace("&lt;script", "")
    assert "onerror=\"document" not in text and "onload=\"document" not in text
    assert "&lt;script&gt;document.title=&#x27;PWNED-SCRIPT&#x27;&lt;/script&gt;" in text
    assert "Content-Security-Policy" in text and "script-src &#x27;none&#x27;" in text
    sources = re.findall(r"\bsrc=\"([^\"]*)\"", text)
    assert sources, "the gallery shows the generated videos"
    for source in sources:  # every medium is copied beside the page: no absolute path, no network
        assert not re.match(r"^[a-z]+:|^/", source), source
        assert (index.parent / source).is_file(), source
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in text
    for anchor, section in (("overview", "Overview"), ("samples", "Samples"), ("run", "Run"),
                            ("metrics", "Metrics"), ("plots", "Plots"), ("stages", "Stages"),
                            ("provenance", "Provenance")):
        assert f"<h2 id=\"{anchor}\">{section}</h2>" in text
        assert f"<a href=\"#{anchor}\">" in text or anchor == "overview", "the contents line links each section"
    assert "12.69" in text and "31.97" in text, "the paper's t2v numbers stand beside the metrics"
    assert "not comparable" in text
    assert "<td>decode.video</td>" in text and "768" in text, "stage seconds and peak memory (MiB) are shown"
    assert "latency per stage" in text


def _chromium(arguments: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    assert binary is not None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}"]
    return subprocess.run([binary, *flags, *arguments], capture_output=True, text=True, timeout=120, check=False)


def test_no_script_runs_in_chromium(tiny_runs: TinyRuns, tmp_path: Path) -> None:
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (Debian package `chromium`; .ci/setup installs it)")
    index, _ = _injected_report(tiny_runs, tmp_path)
    url = index.resolve().as_uri()
    dom = _chromium(["--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", "--dump-dom", url],
                    tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    # the policy blocks no media of the report's own (a blocked load is logged as a console message)
    assert "violates the following Content Security Policy" not in dom.stderr, dom.stderr[-2000:]
    assert "<img src=\"x\"" not in dom.stdout and "<svg onload" not in dom.stdout
    title = re.search(r"<title>(.*?)</title>", dom.stdout, re.S)
    assert title is not None and title.group(1) == f"nextgpt-bench report {tiny_runs.base}"
    assert "<table>" in dom.stdout and "<td>t2v</td>" in dom.stdout, "the metrics table rendered with rows"
    overview = dom.stdout[dom.stdout.index("id=\"overview\""):dom.stdout.index("id=\"samples\"")]
    assert "<table class=\"overview\">" in overview and "<svg class=\"strip\"" in overview, \
        "the overview table and its chart rendered before the gallery"
    shot = tmp_path / "shot.png"
    result = _chromium([f"--screenshot={shot}", "--window-size=1280,1600", url], tmp_path / "profile-shot")
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    from PIL import Image

    pixels = Image.open(shot).convert("L")
    low, high = pixels.getextrema()
    assert high - low > 100, "the screenshot is not blank"


def test_report_command(tiny_runs: TinyRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["report", tiny_runs.base, "--store", str(tiny_runs.store_dir), "--out",
                        str(tmp_path / "r"), "--max-samples", "2"], capsys)
    assert code == 0 and out.strip() == str(tmp_path / "r" / "index.html")
    code, _, err = cli(["report", "no-such-run", "--store", str(tiny_runs.store_dir)], capsys)
    assert code == 2 and "no run 'no-such-run'" in err
    code, _, err = cli(["report", tiny_runs.base, "--store", str(tmp_path / "nowhere")], capsys)
    assert code == 2 and "no results store" in err


def test_media_players_by_kind() -> None:
    from reports.gallery import media_html

    assert media_html("media/a.wav", "x").startswith("<audio controls")
    assert media_html("media/a.mp4", "x").startswith("<video controls")
    assert media_html("media/a.apng", "x").startswith("<img ")
    assert "file missing" in media_html(None, "x")


def test_csp_blocks_a_script_that_slipped_through(tmp_path: Path) -> None:
    """Defence in depth: even unescaped markup could not run a script under the page's policy."""
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (Debian package `chromium`; .ci/setup installs it)")
    from reports.html_page import page

    index = tmp_path / "index.html"
    index.write_text(page("untouched", "<script>document.title='RAN'</script><p>body</p>"), encoding="utf-8")
    dom = _chromium(["--dump-dom", index.resolve().as_uri()], tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<title>untouched</title>" in dom.stdout and "RAN</title>" not in dom.stdout
