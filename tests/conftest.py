"Test settings shared by every test: no network, CPU only, the real-data folder when present."
import os
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
