"The appearance/anatomy split end to end through the command line: train (a subprocess), then evaluate, eigenears and the explorer's PCA file."
import numpy as np, pytest
from ear_teacher.model import EarVAE

@pytest.fixture(scope='module')
def split_run(tmp_path_factory, run_cli):
    tmp = tmp_path_factory.mktemp('split')
    out = run_cli('train', '--preset', 'cpu', '--synthetic', '96', '--epochs', '1', '--batch-size', '16', '--appearance-dim', '8',
               '--seed', '0', '--save-dir', str(tmp/'run'), cache=tmp/'cache')
    return tmp, out

def test_split_checkpoint_records_the_split(split_run):
    tmp, _ = split_run
    m = EarVAE.from_pretrained(tmp/'run'/'best')
    assert (m.config.appearance_dim, m.config.code_dim) == (8, 136) and m.appearance is not None
    assert '| appearance dim | 8 |' in (tmp/'run'/'best'/'README.md').read_text()
    # the decorrelation map is fitted and saved with the weights
    assert m.config.decorrelate == 2 and m.decorrelates and m.decorrelation_weight.abs().sum() > 0
    assert '| anatomy decorrelated | 2 |' in (tmp/'run'/'best'/'README.md').read_text()

def test_evaluate_and_eigenears_understand_it(split_run, evaluate_and_eigenears):
    "The two commands in this process (`main`), on the checkpoint the training subprocess wrote."
    tmp, _ = split_run
    _, out, eig = evaluate_and_eigenears(tmp/'run'/'best', tmp)
    assert 'codes: anatomy 128 entries' in out and 'appearance 8 entries' in out and 'photometric share' in out
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
