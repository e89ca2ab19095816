"The appearance/anatomy split end to end through the command line: train (a subprocess), then evaluate, eigenears and the explorer's PCA file."
import json, os, subprocess, sys
import numpy as np, pytest
from ear_teacher.model import EarVAE
from ear_teacher.eigenears import load_eigenears
from ear_teacher.cli import main

def _cli(*args, tmp_path):
    env = {**os.environ, 'EAR_TEACHER_DEBUG': '0', 'EAR_TEACHER_CACHE': str(tmp_path/'cache')}
    r = subprocess.run([sys.executable, '-m', 'ear_teacher.cli', *args], capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout

@pytest.fixture(scope='module')
def split_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('split')
    out = _cli('train', '--preset', 'cpu', '--synthetic', '96', '--epochs', '1', '--batch-size', '16', '--appearance-dim', '8',
               '--seed', '0', '--save-dir', str(tmp/'run'), tmp_path=tmp)
    return tmp, out

def test_split_checkpoint_records_the_split(split_run):
    tmp, _ = split_run
    m = EarVAE.from_pretrained(tmp/'run'/'best')
    assert (m.config.appearance_dim, m.config.code_dim) == (8, 136) and m.appearance is not None
    assert '| appearance dim | 8 |' in (tmp/'run'/'best'/'README.md').read_text()
    # the decorrelation map is fitted and saved with the weights
    assert m.config.decorrelate == 2 and m.decorrelates and m.decorrelation_weight.abs().sum() > 0
    assert '| anatomy decorrelated | 2 |' in (tmp/'run'/'best'/'README.md').read_text()

def test_evaluate_and_eigenears_understand_it(split_run, monkeypatch, capsys):
    "The two commands in this process (`main`), on the checkpoint the training subprocess wrote."
    tmp, _ = split_run
    monkeypatch.setenv('EAR_TEACHER_CACHE', str(tmp/'cache'))
    main(['evaluate', '--checkpoint', str(tmp/'run'/'best'), '--synthetic', '16', '--json'])
    ev = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert ev['n'] == 16 and 10 < ev['psnr'] < 60
    main(['eigenears', '--checkpoint', str(tmp/'run'/'best'), '--synthetic', '80', '--valid-pct', '0', '--n-components', '4',
          '--out', str(tmp/'eig')])
    out = capsys.readouterr().out
    assert 'codes: anatomy 128 entries' in out and 'appearance 8 entries' in out and 'photometric share' in out
    eig = load_eigenears(tmp/'eig'/'pca.npz')
    assert eig.appearance_dim == 8 and eig.latent_dim == 136 and (eig.components[:, 128:] == 0).all()
    assert eig.appearance_components.shape[1] == 136 and np.isfinite(eig.appearance_variances).all()
    assert (tmp/'eig'/'eigenear_pc01.png').stat().st_size > 0

def test_a_landmark_head_on_a_split_teacher_round_trips(split_run, tmp_path):
    import torch
    from ear_teacher.transfer import EarLandmarker
    tmp, _ = split_run
    head = EarLandmarker.from_checkpoint(tmp/'run'/'best', feature='feat2').eval()
    head.save_pretrained(tmp_path/'head')
    again = EarLandmarker.from_pretrained(tmp_path/'head').eval()
    assert again.teacher_config.appearance_dim == 8
    x = torch.rand(2, 3, 128, 128) * 2 - 1
    with torch.no_grad(): a, b = head(x), again(x)
    for u, v in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)): assert torch.equal(u, v)
