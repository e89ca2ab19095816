"Landmark / detection heads on the teacher: training, checkpoints, the CLI, the dinov2 teacher and the identity probe."
import json
import numpy as np
import pytest
import torch
from PIL import Image

from ear_teacher.model import create_model, count_parameters
from ear_teacher.transfer import (EarLandmarker, EarDetector, LandmarkConfig, DetectorConfig, FitConfig, fit_head,
                                  evaluate_head, synthetic_landmark_sets, load_teacher, FEATURE_MAPS)

FIT = FitConfig(epochs=3, batch_size=32, lr=5e-3)


@pytest.fixture(scope='module')
def ears():
    return synthetic_landmark_sets(128, valid_pct=0.25, seed=5)


@pytest.fixture(scope='module')
def context_ears():
    return synthetic_landmark_sets(320, valid_pct=0.25, seed=6, context=True)


@pytest.fixture(scope='module')
def vae_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp('vae')/'tiny'
    torch.manual_seed(0)
    create_model('tiny', pretrained=False).save_pretrained(d)
    return d


@pytest.mark.parametrize('head,feature', [('heatmap', 'feat2'), ('regression', 'feat3')])
def test_landmarker_learns(ears, head, feature):
    tr, va = ears
    torch.manual_seed(0)
    m = EarLandmarker(create_model('tiny', pretrained=False).encoder,
                      LandmarkConfig(n_landmarks=tr.points.shape[1], head=head, feature=feature))
    before = evaluate_head(m, va)['nme']
    after = fit_head(m, tr, va, FIT).metrics
    assert after['nme'] < before and 0 <= after['failure_rate'] <= 1


def test_detector_learns(context_ears):
    tr, va = context_ears
    torch.manual_seed(0)
    m = EarDetector(create_model('tiny', pretrained=False).encoder, DetectorConfig(n_landmarks=tr.points.shape[1]))
    before = evaluate_head(m, va)
    after = fit_head(m, tr, va, FitConfig(epochs=8, batch_size=32, lr=5e-3)).metrics
    assert after['nme'] < before['nme'] and after['iou'] > before['iou'] + 0.02


def test_from_checkpoint_roundtrip(vae_dir):
    k = 7
    ref = load_teacher(vae_dir).encoder.state_dict()
    lm = EarLandmarker.from_checkpoint(vae_dir, n_landmarks=k)
    assert all(torch.equal(v, lm.encoder.state_dict()[n]) for n, v in ref.items())
    assert lm.encoder_frozen and all(not p.requires_grad for p in lm.encoder.parameters())
    assert count_parameters(lm)['trainable'] == sum(p.numel() for p in lm.head.parameters())
    # a training step: the head gets gradients, the frozen encoder none, and its batch-norm statistics do not move
    lm.train(); assert not lm.encoder.training
    x = torch.rand(4, 3, 128, 128) * 2 - 1
    pts, vis = lm(x); (pts.mean() + vis.mean()).backward()
    assert all(p.grad is None for p in lm.encoder.parameters())
    assert all(p.grad is not None for p in lm.head.parameters())
    assert all(torch.equal(v, lm.encoder.state_dict()[n]) for n, v in ref.items())
    # fine-tuning: encoder gradients flow
    ft = EarLandmarker.from_checkpoint(vae_dir, freeze_encoder=False, n_landmarks=k)
    ft(x)[0].mean().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in ft.encoder.parameters())
    # random init: same architecture, different weights; the raw backbone variant reads `sam`
    rnd = EarLandmarker.from_checkpoint(vae_dir, random_init=True, seed=3, n_landmarks=k)
    assert rnd.encoder.state_dict().keys() == ref.keys()
    assert not torch.equal(rnd.encoder.conv1[0].weight, ref['conv1.0.weight'])
    raw = EarDetector.from_checkpoint(vae_dir, init='backbone', feature='sam', n_landmarks=k)
    assert raw.cfg.feature == 'sam' and len(raw(x)) == 4
    with pytest.raises(ValueError, match='feature map'): EarLandmarker.from_checkpoint(vae_dir, feature='feat9', n_landmarks=k)


def test_every_map_and_head_shapes(vae_dir):
    x = torch.rand(2, 3, 128, 128) * 2 - 1
    for f in FEATURE_MAPS:
        for h in ('heatmap', 'regression'):
            pts, vis = EarLandmarker.from_checkpoint(vae_dir, feature=f, head=h, n_landmarks=5).eval()(x)
            assert pts.shape == (2, 5, 2) and vis.shape == (2, 5)


def test_dinov2_teacher_trains(tmp_path):
    from ear_teacher.train import train, TrainConfig
    from ear_teacher.losses import LossConfig
    from ear_teacher.data import DataConfig
    res = train(TrainConfig(preset='tiny', backbone='dinov2', backbone_name='tiny', resolution=112, epochs=1, pretrained=False,
                            save_dir=str(tmp_path/'run'), warmup_epochs=0),
                LossConfig(), DataConfig(synthetic_n=32, batch_size=16), source='synthetic', quiet=True)
    assert np.isfinite(res.history.train_loss).all()
    lm = EarLandmarker.from_checkpoint(res.best_dir, n_landmarks=4)
    assert lm.encoder.backbone.cfg.kind == 'dinov2'
    assert lm(torch.rand(2, 3, 128, 128) * 2 - 1)[0].shape == (2, 4, 2)


def test_cli_json(vae_dir, tmp_path, capsys):
    from ear_teacher.cli import main
    out = tmp_path/'lm.json'
    main(['landmarks', '--checkpoint', str(vae_dir), '--synthetic', '64', '--epochs', '1', '--batch-size', '16', '--json', str(out)])
    d = json.loads(out.read_text())
    assert {'nme', 'failure_rate'} <= set(d) and np.isfinite(d['nme'])
    assert 'NME' in capsys.readouterr().out
    main(['landmarks', '--checkpoint', str(vae_dir), '--synthetic', '64', '--epochs', '1', '--random-init', '--finetune',
          '--json', str(out)])
    d = json.loads(out.read_text())
    assert d['encoder'] == 'random init' and d['finetune'] is True


def test_cli_data_without_landmarks(vae_dir, tmp_path):
    from ear_teacher.cli import main
    folder = tmp_path/'crops'/'person_a'; folder.mkdir(parents=True)
    for i in range(6): Image.fromarray(np.random.default_rng(i).integers(0, 255, (96, 80, 3), dtype=np.uint8)).save(folder/f'{i}.png')
    with pytest.raises(SystemExit, match='^ear-teacher landmarks: .*no landmarks'):  # a user error: one line
        main(['landmarks', '--checkpoint', str(vae_dir), '--data', str(tmp_path/'crops'), '--epochs', '1'])


def test_cli_needs_checkpoint():
    from ear_teacher.cli import main
    with pytest.raises(SystemExit, match='--checkpoint'): main(['landmarks', '--synthetic', '32'])


def test_seed_summary_and_gain():
    "Per-seed fits are averaged per encoder; the gain column is random-init NME over teacher NME."
    import pandas as pd
    from ear_teacher.transfer import summarise_seeds, teacher_gain
    runs = pd.DataFrame([dict(encoder=e, seed=s, map='feat2', nme=v, failure_rate=0., head_params=10, seconds=1.)
                         for e, vals in [('teacher', (0.02, 0.04)), ('random init', (0.06, 0.06)), ('raw backbone', (0.05, 0.05))]
                         for s, v in enumerate(vals)])
    t = summarise_seeds(runs)
    assert list(t.index) == ['teacher', 'random init', 'raw backbone'] and (t.seeds == 2).all()
    assert t.loc['teacher', 'nme'] == pytest.approx(0.03) and t.loc['teacher', 'nme_std'] == pytest.approx(np.std([0.02, 0.04], ddof=1))
    g = teacher_gain(t.reset_index().assign(head='heatmap', feature='feat2', n_train=96))
    assert g['random/teacher'].item() == 2.0 and g['teacher'].item().startswith('0.0300 ± ')


def test_compare_teachers_seeds_and_subset(vae_dir):
    "Every variant is fitted once per seed on the first `n_train` ears; validation stays the same."
    from ear_teacher.transfer import compare_teachers, teacher_runs, CompareConfig, TEACHER_VARIANTS
    cfg = CompareConfig(n=64, head='regression', n_train=16, seeds=(0, 1), fit=FitConfig(epochs=1, batch_size=8))
    runs = teacher_runs(vae_dir, cfg)
    assert len(runs) == 2 * len(TEACHER_VARIANTS) and set(runs.seed) == {0, 1}
    t = compare_teachers(vae_dir, cfg)
    assert list(t.index) == list(TEACHER_VARIANTS) and np.allclose(t.nme, runs.groupby('encoder', sort=False).nme.mean())


def test_script_exits_0_after_a_command_that_returns_a_value(vae_dir):
    "The console script wraps `main` in `sys.exit`: a returned table or dict must not become exit status 1."
    import shutil, subprocess
    exe = shutil.which('ear-teacher') or pytest.skip('the ear-teacher script is not on PATH')
    r = subprocess.run([exe, 'landmarks', '--checkpoint', str(vae_dir), '--synthetic', '32', '--epochs', '1', '--device', 'cpu'],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'NME' in r.stdout
