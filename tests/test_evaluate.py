"`ear-teacher evaluate`: its JSON output with a baseline as a subprocess, and bad input (every source kind is checked in nbs/11_evaluate.ipynb)."
import json, os, subprocess, sys
import pytest
from ear_teacher.model import create_model

@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    d = tmp_path_factory.mktemp('eval')/'tiny'
    create_model('tiny', pretrained=False).save_pretrained(d)
    return d

def _run(*args, tmp_path):
    env = {**os.environ, 'EAR_TEACHER_DEBUG': '0', 'EAR_TEACHER_CACHE': str(tmp_path/'cache')}
    return subprocess.run([sys.executable, '-m', 'ear_teacher.cli', 'evaluate', *args], capture_output=True, text=True, timeout=600, env=env)

def test_json_with_baseline(ckpt, tmp_path):
    r = _run('--checkpoint', str(ckpt), '--synthetic', '12', '--baseline-fit', 'synthetic', '--baseline-synthetic', '40', '--json', tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert {'n', 'psnr', 'ssim', 'pca_psnr', 'pca_ssim'} <= set(out) and out['n'] == 12
    assert out['pca_psnr'] > out['psnr'] # an untrained VAE loses to 40-ear eigenfaces

@pytest.mark.parametrize('args, says', [(['--checkpoint', '{ckpt}', '--data', '{tmp}/does-not-exist'], 'does not exist'),
                                        (['--checkpoint', '{tmp}'], 'not an ear-teacher model directory'),
                                        (['--checkpoint', '{ckpt}', '--baseline-fit', '{tmp}/nope'], 'does not exist')])
def test_bad_input_is_one_line(args, says, ckpt, tmp_path, user_error):
    "In this process (the `user_error` fixture; tests/test_bad_input.py runs the real script)."
    line = user_error('evaluate', *[a.format(ckpt=ckpt, tmp=tmp_path) for a in args])
    assert says in line, line
