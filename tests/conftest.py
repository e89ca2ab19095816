"Test settings shared by every test: no network, CPU only, the real-data folder when present."
import os, subprocess, sys
from pathlib import Path
import pytest

os.environ.setdefault('HF_HUB_OFFLINE', '1')       # nothing may reach a model hub
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('CUDA_VISIBLE_DEVICES', '')  # every test runs on CPU

EARVN = Path(os.environ.get('EAR_TEACHER_EARVN', Path(__file__).resolve().parents[1].parent/'shared'/'data'/'earvn1.0-subset'))

@pytest.fixture
def earvn_dir():
    "The real EarVN subset, or skip when this clone does not have `../shared/data`."
    if not EARVN.is_dir(): pytest.skip(f'real ear data not present at {EARVN}')
    return EARVN

@pytest.fixture(scope='session')
def run_cli():
    """`run_cli(*args, cache=DIR)` runs `python -m ear_teacher.cli args` in a fresh process (crop cache in `cache`, at most
    10 minutes), asserts it succeeded (showing the end of its stderr otherwise) and returns its stdout."""
    def run(*args, cache):
        env = {**os.environ, 'EAR_TEACHER_DEBUG': '0', 'EAR_TEACHER_CACHE': str(cache)}
        r = subprocess.run([sys.executable, '-m', 'ear_teacher.cli', *map(str, args)], capture_output=True, text=True, timeout=600, env=env)
        assert r.returncode == 0, r.stderr[-3000:]
        return r.stdout
    return run

@pytest.fixture
def evaluate_and_eigenears(monkeypatch, capsys):
    """`evaluate_and_eigenears(checkpoint, work)`: `ear-teacher evaluate --json` (16 synthetic ears) and `ear-teacher eigenears`
    (80 ears, 4 components, into `work/eig`) in this process; returns the evaluation's JSON, eigenears' stdout and its
    `Eigenears`, after checking the JSON's count and a sane PSNR."""
    def run(checkpoint, work):
        import json
        from ear_teacher.cli import main
        from ear_teacher.eigenears import load_eigenears
        monkeypatch.setenv('EAR_TEACHER_CACHE', str(work/'cache'))
        main(['evaluate', '--checkpoint', str(checkpoint), '--synthetic', '16', '--json'])
        ev = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert ev['n'] == 16 and 10 < ev['psnr'] < 60
        main(['eigenears', '--checkpoint', str(checkpoint), '--synthetic', '80', '--valid-pct', '0', '--n-components', '4', '--out', str(work/'eig')])
        return ev, capsys.readouterr().out, load_eigenears(work/'eig'/'pca.npz')
    return run

@pytest.fixture
def user_error(monkeypatch, tmp_path):
    """`user_error(cmd, *args)` runs `ear-teacher cmd args` in this process and returns its error line, after checking that
    it is one line naming the command, carried by `SystemExit` with a str code (which Python prints to stderr with exit
    status 1; tests/test_bad_input.py checks that in a real process)."""
    monkeypatch.setenv('EAR_TEACHER_DEBUG', '0'); monkeypatch.setenv('EAR_TEACHER_CACHE', str(tmp_path/'cache'))
    def run(cmd, *args):
        from ear_teacher.cli import main
        with pytest.raises(SystemExit) as e: main([cmd, *args])
        line = e.value.code
        assert isinstance(line, str) and '\n' not in line and line.startswith(f'ear-teacher {cmd}: '), line
        return line
    return run

if os.environ.get('PYTEST_XDIST_WORKER'):  # pytest -n 2: one thread per worker (and per subprocess it starts), not 2 × 2 on two cores
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    import torch
    torch.set_num_threads(1)
