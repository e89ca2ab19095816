"Eigenears: the command's files and last line, the PCA file, the variance table, the anatomy score, the explorer."
import re
import numpy as np
import pandas as pd
import pytest, torch
from ear_teacher.model import create_model
from ear_teacher.cli import main
from ear_teacher.eigenears import (EigenConfig, encode_images, fit_eigenears, load_eigenears, variance_table, anatomy_score,
                                   explore, time_explorer_update, eigenear_strip, load_eval_images)

@pytest.fixture(scope='module')
def tiny():
    torch.manual_seed(0)
    return create_model('tiny', pretrained=False).eval()

@pytest.fixture(scope='module')
def synthetic(tiny):
    "Codes, images and factors of 96 synthetic ears."
    from ear_teacher.synth import make_synthetic_ears
    s = make_synthetic_ears(96, seed=1, size=tiny.config.image_size)
    mu, kept = encode_images(tiny, s.images, batch_size=32)
    return mu, s.images[kept], s.factors.iloc[kept]

@pytest.fixture(scope='module')
def cli_run(tiny, tmp_path_factory):
    "Run `ear-teacher eigenears` once on a tiny random checkpoint; return (out dir, printed lines)."
    import io, contextlib
    d = tmp_path_factory.mktemp('eig')
    tiny.save_pretrained(d/'ckpt')
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main(['eigenears', '--checkpoint', str(d/'ckpt'), '--out', str(d/'out'), '--synthetic', '96', '--max-samples', '96',
              '--n-components', '4'])
    return d/'out', buf.getvalue().strip().splitlines()

def test_cli_writes_every_file(cli_run):
    out, _ = cli_run
    expected = {'pca.npz', 'variance.png', 'variance.csv', 'summary.png', 'mean_ear.png', 'anatomy.csv', 'anatomy.png', 'probe.csv',
                *(f'eigenear_pc{i:02d}.{ext}' for i in range(1, 5) for ext in ('png', 'gif'))}
    assert expected <= {p.name for p in out.iterdir()}
    assert load_eigenears(out/'pca.npz').n_components == 4
    assert len(pd.read_csv(out/'variance.csv')) == 4

def test_cli_last_line_and_summary(cli_run):
    _, lines = cli_run
    assert re.fullmatch(r'first 5 PCs explain \d{1,3}\.\d% of latent variance', lines[-1])
    assert any(l.startswith('anatomy_summary: ') for l in lines)

def test_cli_uses_the_validation_split(tiny):
    imgs, labels = load_eval_images(EigenConfig(synthetic=96, valid_pct=0.25, max_samples=10), tiny.config.image_size)
    assert len(imgs) == len(labels) == 10 and imgs.dtype == np.uint8
    with pytest.raises(ValueError): load_eval_images(EigenConfig(data='x', synthetic=3), 128)

def test_pca_npz_round_trip(synthetic, tmp_path):
    eig = fit_eigenears(synthetic[0], 6)
    back = load_eigenears(eig.save(tmp_path/'pca.npz'))
    for f in ('mean', 'components', 'variances', 'explained_ratio'): assert np.array_equal(getattr(eig, f), getattr(back, f))
    assert (back.latent_dim, back.n_samples) == (eig.latent_dim, eig.n_samples)
    np.testing.assert_allclose(back.scores(synthetic[0]), eig.scores(synthetic[0]))

def test_variance_table(synthetic):
    eig = fit_eigenears(synthetic[0], 8)
    t = variance_table(eig)
    assert list(t.component) == list(range(1, 9))
    np.testing.assert_allclose(t.cumulative, np.cumsum(t.ratio))
    assert t.ratio.sum() <= 1 + 1e-9 and (t.ratio >= 0).all()
    assert np.isclose(eig.first5_share, t.cumulative[4])

def test_anatomy_score_shares_in_unit_interval(synthetic):
    mu, _, factors = synthetic
    rep = anatomy_score(mu, factors, fit_eigenears(mu, 8), k=5)
    assert rep.correlations.shape[0] == 5 and rep.correlations.abs().max().max() <= 1 + 1e-9
    assert ((rep.shares >= 0) & (rep.shares <= 1 + 1e-9)).all().all()
    assert 0 <= rep.summary <= 1 and np.isclose(rep.group_summary.sum(), 1)
    assert set(rep.probe.index) == set(rep.correlations.columns)

def test_explorer_callbacks(tiny, synthetic):
    mu, images, _ = synthetic
    eig = fit_eigenears(mu, 6)
    ex = explore(tiny, eig, images[:10], n_sliders=4)
    assert len(ex.sliders) == 4 and all('%' in s.description for s in ex.sliders)
    mean_img, mean_png = ex.render(), ex.edited.value
    ex.index.value = 2                                   # the "real ear" slider starts from that ear
    assert np.abs(ex.coords).sum() > 0 and ex.original.value and ex.recon.value
    np.testing.assert_allclose(ex.current_code(), mu[2], atol=1e-4)
    assert ex.edited.value != mean_png
    ex.reset_button.click()
    assert not ex.coords.any() and np.array_equal(ex.render(), mean_img)
    ex.sliders[0].value = 2.5                            # a slider move re-renders
    assert not np.array_equal(ex.render(), mean_img)
    ex.random_button.click(); assert ex.coords.any()
    ex.reset()
    assert np.array_equal(ex.render(), mean_img)

def test_strip_and_latency(tiny, synthetic):
    eig = fit_eigenears(synthetic[0], 3)
    strip = eigenear_strip(tiny, eig, 1, alphas=np.linspace(-3, 3, 5))
    assert strip.dtype == np.uint8 and strip.shape[1] > 5 * tiny.config.image_size
    assert 0 < time_explorer_update(tiny, eig, n=5) < 2000
