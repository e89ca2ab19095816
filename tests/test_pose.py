"The pose canonicaliser end to end through the command line: train (a subprocess), evaluate, eigenears, a landmark head, and resume."
import pytest, torch
from ear_teacher.model import EarVAE

TRAIN = ('train', '--preset', 'cpu', '--synthetic', '96', '--batch-size', '16', '--appearance-dim', '8', '--pose', '--pose-steps', '40', '--seed', '0')

@pytest.fixture(scope='module')
def pose_run(tmp_path_factory, run_cli):
    tmp = tmp_path_factory.mktemp('pose')
    out = run_cli(*TRAIN, '--epochs', '1', '--save-dir', str(tmp/'run'), cache=tmp/'cache')
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

def test_evaluate_and_eigenears_understand_it(pose_run, evaluate_and_eigenears):
    tmp, _ = pose_run
    _, out, eig = evaluate_and_eigenears(tmp/'run'/'best', tmp)
    assert 'codes: anatomy 128 entries' in out and 'appearance and pose 12 entries' in out
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

def test_resume_keeps_the_canonicaliser(pose_run, run_cli):
    "A resumed run neither refits nor trains the canonicaliser: it is part of the checkpoint, frozen."
    tmp, _ = pose_run
    before = canonicaliser_state(tmp/'run'/'last')
    out = run_cli(*TRAIN, '--epochs', '2', '--save-dir', str(tmp/'run'), '--resume', str(tmp/'run'/'last'), cache=tmp/'cache')
    assert 'pose canonicaliser: ' not in out and 'resuming after epoch 0' in out
    after = canonicaliser_state(tmp/'run'/'last')
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
