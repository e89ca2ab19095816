"The pose canonicaliser end to end through the command line: train (a subprocess), evaluate, eigenears, a landmark head, and resume."
import json, os, subprocess, sys
import numpy as np, pytest, torch
from ear_teacher.model import EarVAE
from ear_teacher.eigenears import load_eigenears
from ear_teacher.cli import main

def _cli(*args, tmp_path):
    env = {**os.environ, 'EAR_TEACHER_DEBUG': '0', 'EAR_TEACHER_CACHE': str(tmp_path/'cache')}
    r = subprocess.run([sys.executable, '-m', 'ear_teacher.cli', *args], capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout

TRAIN = ('train', '--preset', 'cpu', '--synthetic', '96', '--batch-size', '16', '--appearance-dim', '8', '--pose', '--pose-steps', '40', '--seed', '0')

@pytest.fixture(scope='module')
def pose_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('pose')
    out = _cli(*TRAIN, '--epochs', '1', '--save-dir', str(tmp/'run'), tmp_path=tmp)
    return tmp, out

def canonicaliser_state(path) -> dict: return {k: v for k, v in EarVAE.from_pretrained(path).state_dict().items() if k.startswith('canonicaliser.')}

def test_the_checkpoint_holds_the_fitted_canonicaliser(pose_run):
    tmp, out = pose_run
    assert 'pose canonicaliser: ' in out and 'view-consistency loss' in out
    m = EarVAE.from_pretrained(tmp/'run'/'best')
    assert m.config.pose and (m.config.code_dim, m.config.nuisance_dim) == (140, 12)
    assert m.canonicaliser.out.weight.abs().sum() > 0                      # fitted: the unfitted one has a zero last layer
    assert '| pose canonicalised | True |' in (tmp/'run'/'best'/'README.md').read_text()
    x = torch.rand(3, 3, 128, 128) * 2 - 1
    with torch.no_grad(): code = m.encode(x); torch.testing.assert_close(m.decode(code), m(x)[0], atol=1e-4, rtol=0)

def test_evaluate_and_eigenears_understand_it(pose_run, monkeypatch, capsys):
    tmp, _ = pose_run
    monkeypatch.setenv('EAR_TEACHER_CACHE', str(tmp/'cache'))
    main(['evaluate', '--checkpoint', str(tmp/'run'/'best'), '--synthetic', '16', '--json'])
    ev = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert ev['n'] == 16 and 10 < ev['psnr'] < 60
    main(['eigenears', '--checkpoint', str(tmp/'run'/'best'), '--synthetic', '80', '--valid-pct', '0', '--n-components', '4',
          '--out', str(tmp/'eig')])
    out = capsys.readouterr().out
    assert 'codes: anatomy 128 entries' in out and 'appearance and pose 12 entries' in out
    eig = load_eigenears(tmp/'eig'/'pca.npz')
    assert eig.appearance_dim == 12 and eig.latent_dim == 140 and (eig.components[:, 128:] == 0).all()

def test_a_landmark_head_sees_maps_in_the_crops_frame(pose_run, tmp_path):
    from ear_teacher.transfer import EarLandmarker
    tmp, _ = pose_run
    head = EarLandmarker.from_checkpoint(tmp/'run'/'best', feature='feat2').eval()
    head.save_pretrained(tmp_path/'head')
    again = EarLandmarker.from_pretrained(tmp_path/'head').eval()
    assert again.teacher_config.pose
    x = torch.rand(2, 3, 128, 128) * 2 - 1
    with torch.no_grad(): a, b = head(x), again(x)
    for u, v in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)): assert torch.equal(u, v)

def test_resume_keeps_the_canonicaliser(pose_run):
    "A resumed run neither refits nor trains the canonicaliser: it is part of the checkpoint, frozen."
    tmp, _ = pose_run
    before = canonicaliser_state(tmp/'run'/'last')
    out = _cli(*TRAIN, '--epochs', '2', '--save-dir', str(tmp/'run'), '--resume', str(tmp/'run'/'last'), tmp_path=tmp)
    assert 'pose canonicaliser: ' not in out and 'resuming after epoch 0' in out
    after = canonicaliser_state(tmp/'run'/'last')
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
