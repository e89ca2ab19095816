"""The explorer app in a real browser: `ear-teacher explore` on a free loopback port, opened in Debian's chromium
through Playwright; drag a slider, reset, stop the server, leave nothing running.

Without chromium (an optional system package) the test skips and says so; with EAR_TEACHER_REQUIRE_BROWSER=1 (set by
.ci/run) the skip is a failure instead. Playwright, Voilà and psutil are dev dependencies: a failed import of one of them is
an error, never a skip.

Also a script, for the screenshot in the docs:
`python tests/test_explore_browser.py CHECKPOINT OUT.png` serves CHECKPOINT, drags PC1 and saves the page."""
import io, os, re, sys, signal, socket, subprocess, tempfile, threading, time
from pathlib import Path
import pytest

CHROMIUM = os.environ.get('EAR_TEACHER_CHROMIUM', '/usr/bin/chromium')
REQUIRE = os.environ.get('EAR_TEACHER_REQUIRE_BROWSER', '0') not in ('', '0')
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync']
URL_RE = re.compile(r'http://127\.0\.0\.1:\d+/\?token=\S+')
START_S, PAGE_S, SETTLE_S, STOP_S = 300, 180, 60, 30  # bounds: server start, page with sliders, an update to settle, shutdown
# the PNG bytes of the edited ear, read from the <img>'s blob: URL in the page
IMG_BYTES_JS = "async el => Array.from(new Uint8Array(await (await fetch(el.src)).arrayBuffer()))"

def missing_browser() -> str | None:
    "Why the browser test cannot run here (no chromium), or None."
    if not Path(CHROMIUM).exists(): return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    return None

def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def start_explore(args: list[str], log: Path, timeout: float = START_S):
    "Start `ear-teacher explore ARGS` in its own process group; return (process, URL) once it answers HTTP on its port."
    logf = open(log, 'w')
    proc = subprocess.Popen([sys.executable, '-m', 'ear_teacher.cli', 'explore', *args], stdout=subprocess.PIPE,
                            stderr=logf, text=True, start_new_session=True)
    found, lines = [], []
    def read():
        for line in proc.stdout:
            lines.append(line)
            if not found and (m := URL_RE.search(line)): found.append(m.group())
    threading.Thread(target=read, daemon=True).start()
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout and proc.poll() is None:
        if found:
            port = int(found[0].split(':')[2].split('/')[0])
            try:
                with socket.create_connection(('127.0.0.1', port), timeout=1): return proc, found[0]
            except OSError: pass
        time.sleep(0.5)
    stop_server(proc)
    raise AssertionError(f"explorer did not start within {timeout:.0f} s (exit status {proc.returncode}):\n"
                         + ''.join(lines)[-2000:] + Path(log).read_text()[-3000:])

def stop_server(proc, timeout: float = STOP_S) -> list:
    "SIGTERM the server's process group (SIGKILL after `timeout` s) and wait for its kernels; return what was still running."
    import psutil
    try: kids = psutil.Process(proc.pid).children(recursive=True)  # kernels run in sessions of their own
    except psutil.NoSuchProcess: kids = []
    def signal_group(sig):
        try: os.killpg(proc.pid, sig)
        except ProcessLookupError: pass
    signal_group(signal.SIGTERM)
    try: proc.wait(timeout)
    except subprocess.TimeoutExpired: signal_group(signal.SIGKILL); proc.wait(10)
    _, alive = psutil.wait_procs(kids, timeout=10)
    for p in alive:
        try: p.kill()
        except psutil.NoSuchProcess: pass
    return alive

def settle(page, predicate=lambda: True, quiet: float = 2.5, timeout: float = SETTLE_S):
    "Wait until the edited ear's image has not changed for `quiet` s and `predicate()` holds (at most `timeout` s)."
    src, changed, t0 = None, time.monotonic(), time.monotonic()
    while time.monotonic() - t0 < timeout:
        s = page.locator('img.ear-edited').get_attribute('src')
        if s != src: src, changed = s, time.monotonic()
        if time.monotonic() - changed >= quiet and predicate(): return
        time.sleep(0.25)
    raise AssertionError(f"the page did not settle within {timeout:.0f} s")

def drive(url: str, screenshot: Path) -> dict:
    "Open the explorer, drag the PC1 slider about 40% of its track to the right, screenshot, reset; return what it saw."
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                                                    viewport=dict(width=1000, height=760))
        try:
            page = ctx.new_page(); t0 = time.monotonic()
            page.goto(url)
            page.wait_for_selector('.pc-slider-1 .noUi-handle', timeout=PAGE_S*1000)
            page.wait_for_function("() => (document.querySelector('img.ear-edited')?.src || '').startsWith('blob:')",
                                   timeout=PAGE_S*1000)
            r = dict(load_s=time.monotonic() - t0)
            img, readout = page.locator('img.ear-edited'), page.locator('.pc-slider-1 .widget-readout')
            ear_bytes = lambda: bytes(img.evaluate(IMG_BYTES_JS))
            settle(page)
            r.update(first=ear_bytes(), readout_first=readout.inner_text(), original=bytes(page.locator('img.ear-original').evaluate(IMG_BYTES_JS)))
            handle, track = page.locator('.pc-slider-1 .noUi-handle').bounding_box(), page.locator('.pc-slider-1 .noUi-base').bounding_box()
            x, y = handle['x'] + handle['width']/2, handle['y'] + handle['height']/2
            page.mouse.move(x, y); page.mouse.down(); page.mouse.move(x + 0.4*track['width'], y, steps=8); page.mouse.up()
            settle(page, lambda: readout.inner_text() != r['readout_first'])
            r.update(dragged=ear_bytes(), readout_dragged=readout.inner_text(),
                     aria_dragged=page.locator('.pc-slider-1 .noUi-handle').get_attribute('aria-valuenow'),
                     status=page.locator('.explorer-status').inner_text())
            page.screenshot(path=str(screenshot))
            page.locator('.explorer-reset').click()
            settle(page, lambda: readout.inner_text() == r['readout_first'])
            r.update(reset=ear_bytes(), readout_reset=readout.inner_text())
            return r
        finally: ctx.close()

def test_explorer_in_chromium(tmp_path):
    import playwright.sync_api, voila.app, psutil, torch  # dev dependencies: an import error fails the test
    if (why := missing_browser()):
        if REQUIRE: pytest.fail(f"EAR_TEACHER_REQUIRE_BROWSER is set, but {why}")
        pytest.skip(why)
    from PIL import Image
    from ear_teacher.model import create_model
    torch.manual_seed(0)
    ckpt = create_model('tiny', pretrained=False).save_pretrained(tmp_path/'ckpt')
    shot = Path(os.environ.get('EAR_TEACHER_EXPLORER_SCREENSHOT', tmp_path/'explorer_app.png'))
    proc, url = start_explore(['--checkpoint', str(ckpt), '--data', 'synthetic', '--synthetic', '24', '--valid-pct', '0',
                               '--n-components', '8', '--n-sliders', '4', '--port', str(free_port()), '--device', 'cpu'],
                              tmp_path/'server.log')
    try:
        assert (tmp_path/'ckpt-eigenears'/'pca.npz').exists()  # none existed: the command computed them
        r = drive(url, shot)
    finally:
        t0 = time.monotonic(); left = stop_server(proc); stop_s = time.monotonic() - t0
    assert not left, f"still running after the server stopped: {left}"
    assert stop_s < STOP_S + 15 and proc.returncode is not None
    assert not psutil.pid_exists(proc.pid) or psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE
    # the page shows real PNGs: a real ear as the original, the decoded ear as the edited one
    for k in ('first', 'dragged', 'original'): assert Image.open(io.BytesIO(r[k])).size == (128, 128)
    assert r['readout_first'] == '+0.00'
    # dragging PC1 redraws the edited ear and moves the readout (to about +2.4 for 40% of the ±3 track)
    assert r['dragged'] != r['first'], "dragging the PC1 slider did not change the edited ear"
    assert 1.0 < float(r['readout_dragged']) <= 3.0 and abs(float(r['aria_dragged']) - float(r['readout_dragged'])) < 0.01
    assert re.fullmatch(r'update \d+ ms', r['status'])
    # reset gives back the first picture, byte for byte
    assert r['readout_reset'] == '+0.00' and r['reset'] == r['first']
    assert shot.stat().st_size > 10_000 and Image.open(shot).size == (1000, 760)

if __name__ == '__main__':  # the docs' screenshot from a real checkpoint: CHECKPOINT OUT.png [explore options]
    ckpt, out, *extra = sys.argv[1:]
    with tempfile.TemporaryDirectory() as d:
        proc, url = start_explore(['--checkpoint', ckpt, '--port', str(free_port()), '--device', 'cpu', *extra], Path(d)/'server.log')
        try: res = drive(url, Path(out))
        finally: stop_server(proc)
    print(f"saved {out}: PC1 at {res['readout_dragged']}, {res['status']}, page ready in {res['load_s']:.0f} s")
