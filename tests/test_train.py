"Training: improvement with all loss terms, KL schedules, kill-and-resume, two-process gloo DDP."
import os, signal, subprocess, sys, time, socket
from pathlib import Path
import numpy as np, pandas as pd, pytest, torch
from ear_teacher.train import (TrainConfig, train, KLSchedule, LinearKL, CyclicalKL, PSNRGatedKL, kl_schedule,
                               load_state, flatten_state, unflatten_state)
from ear_teacher.losses import LossConfig, TERMS
from ear_teacher.data import DataConfig
from ear_teacher.model import EarVAE, read_card_info

def tiny_cfg(save_dir, **kw):
    return TrainConfig(**{**dict(preset='tiny', epochs=3, warmup_epochs=1, save_dir=str(save_dir), pretrained=False, seed=0), **kw})



def test_short_run_improves_with_all_six_terms(tmp_path):
    res = train(tiny_cfg(tmp_path/'run', epochs=4, lr=1e-3), LossConfig(kl_weight=1e-4),
                DataConfig(synthetic_n=256, batch_size=32, seed=0), quiet=True)
    h = res.history
    assert len(h) == 4 and h.valid_loss.iloc[-1] < h.valid_loss.iloc[0] and h.psnr.iloc[-1] > h.psnr.iloc[0]
    for term in TERMS: assert (h[f'train_{term}'] > 0).all(), term      # every loss term is active
    assert (h.kl_weight > 0).all()
    best_epoch = int(h.valid_loss.idxmin())
    for d, ep in (('last', 3), ('best', best_epoch)):                               # what each directory holds, reloaded
        m = EarVAE.from_pretrained(tmp_path/'run'/d)
        assert m.config == res.learn.model.config and not m.training
        assert read_card_info(tmp_path/'run'/d)['epochs'] == str(ep + 1)
    last = EarVAE.from_pretrained(tmp_path/'run'/'last')
    for k, v in res.learn.model.state_dict().items(): assert torch.equal(last.state_dict()[k].cpu(), v.cpu()), k
    assert not (tmp_path/'run'/'top').exists()                                     # best-k copies are off by default
    assert {f.name for f in (tmp_path/'run'/'last').iterdir()} >= {'training_state.json', 'training_state.safetensors'}
    assert not list((tmp_path/'run'/'best').glob('training_state*'))              # only last/ resumes
    assert (tmp_path/'run'/'recon_latest.png').stat().st_size > 0
    assert list((tmp_path/'run'/'tensorboard').glob('events.out.tfevents.*'))      # TensorBoard log
    assert (h.nonfinite_steps == 0).all()
    assert 'PSNR' in (tmp_path/'run'/'best'/'README.md').read_text().upper()

ARGS = ['train', '--preset', 'tiny', '--synthetic', '160', '--epochs', '3', '--batch-size', '16', '--warmup-epochs', '1',
        '--seed', '0', '--no-augment', '--keep-best', '2']

def _cli(save_dir, *extra): return [sys.executable, '-m', 'ear_teacher.cli', *ARGS, '--save-dir', str(save_dir), *extra]

def test_kill_mid_epoch_then_resume_matches_uninterrupted_run(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1')
    subprocess.run(_cli(tmp_path/'full'), check=True, env=env, capture_output=True)
    full = pd.read_csv(tmp_path/'full'/'history.csv')
    p = subprocess.Popen(_cli(tmp_path/'killed'), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hist = tmp_path/'killed'/'history.csv'
    t0 = time.time()
    while not (hist.exists() and len(pd.read_csv(hist)) >= 1):
        assert time.time() - t0 < 300 and p.poll() is None, 'training ended before the kill'
        time.sleep(0.05)
    time.sleep(float(full.seconds.iloc[1]) / 2)                   # into the middle of epoch 1
    p.send_signal(signal.SIGKILL); p.wait()
    assert len(pd.read_csv(hist)) == 1, 'the kill did not land inside epoch 1'
    state = load_state(tmp_path/'killed'/'last')                  # the checkpoint on disk is complete
    assert state['epoch'] == 0
    subprocess.run(_cli(tmp_path/'killed', '--resume', str(tmp_path/'killed'/'last')), check=True, env=env, capture_output=True)
    resumed = pd.read_csv(hist)
    assert list(resumed.epoch) == [0, 1, 2]
    for col in ('train_loss', 'valid_loss', 'psnr', 'ssim'):
        np.testing.assert_allclose(resumed[col].values, full[col].values, rtol=1e-4, atol=1e-5, err_msg=col)
    best2 = sorted(full.sort_values('valid_loss').epoch[:2])                    # --keep-best 2 survives the kill and resume
    assert sorted(p.name for p in (tmp_path/'killed'/'top').iterdir()) == [f'epoch_{e:03d}' for e in best2]

def _free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def test_two_process_gloo_data_parallel(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', MASTER_ADDR='127.0.0.1')
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_addr', '127.0.0.1',
           '--master_port', str(_free_port()), '-m', 'ear_teacher.cli', 'train', '--preset', 'tiny', '--synthetic', '64',
           '--epochs', '1', '--batch-size', '8', '--device', 'cpu', '--save-dir', str(tmp_path/'ddp')]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'replicas in sync' in out.stdout
    m = EarVAE.from_pretrained(tmp_path/'ddp'/'last')
    assert m.config.preset == 'tiny' and read_card_info(tmp_path/'ddp'/'last')['epochs'] == '1'
