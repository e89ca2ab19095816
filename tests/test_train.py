"Training in subprocesses: kill-and-resume, two-process gloo DDP (a short run with every loss term, and what it writes, is checked in nbs/10_train.ipynb)."
import os, signal, subprocess, sys, time, socket
import numpy as np, pandas as pd
from ear_teacher.train import load_state
from ear_teacher.model import EarVAE, read_card_info

ARGS = ['train', '--preset', 'tiny', '--synthetic', '160', '--epochs', '2', '--batch-size', '16', '--warmup-epochs', '1',
        '--seed', '0', '--no-augment', '--keep-best', '1']

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
    assert list(resumed.epoch) == [0, 1]
    for col in ('train_loss', 'valid_loss', 'psnr', 'ssim'):
        np.testing.assert_allclose(resumed[col].values, full[col].values, rtol=1e-4, atol=1e-5, err_msg=col)
    best = int(full.epoch[full.valid_loss.idxmin()])                            # --keep-best 1 survives the kill and resume
    assert [p.name for p in (tmp_path/'killed'/'top').iterdir()] == [f'epoch_{best:03d}']

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
