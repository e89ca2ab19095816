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
