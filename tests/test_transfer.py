"""Landmark heads: the `landmarks` command (in-process and as the console script), its bad input, and a head on a dinov2
teacher trained by `train`. The heads' own checks (shapes, freezing, learning, the seed summary) are in nbs/14_transfer.ipynb."""
import json
import numpy as np
import pytest
import torch
from PIL import Image

from ear_teacher.model import create_model
from ear_teacher.transfer import EarLandmarker


@pytest.fixture(scope='module')
def vae_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp('vae')/'tiny'
    torch.manual_seed(0)
    create_model('tiny', pretrained=False).save_pretrained(d)
    return d


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


def test_script_exits_0_after_a_command_that_returns_a_value(vae_dir):
    "The console script wraps `main` in `sys.exit`: a returned table or dict must not become exit status 1."
    import os, shutil, subprocess, sys
    from pathlib import Path
    # installing the package (pip install -e .) puts the script beside this Python; not finding it is a broken install, not a skip
    exe = shutil.which('ear-teacher', path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get('PATH', '')]))
    assert exe, f"no ear-teacher console script beside {sys.executable} or on PATH: reinstall with pip install -e '.[dev]'"
    r = subprocess.run([exe, 'landmarks', '--checkpoint', str(vae_dir), '--synthetic', '32', '--epochs', '1', '--device', 'cpu'],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'NME' in r.stdout
