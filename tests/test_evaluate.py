"`ear-teacher evaluate` on every kind of data source, its JSON output, and bad input (subprocess and in-process)."
import json, os, subprocess, sys
import numpy as np, pandas as pd, pytest
from PIL import Image
from ear_teacher.model import create_model
from ear_teacher.evaluate import EvalConfig, run_evaluate

def _img(path, i):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(i)
    Image.fromarray(rng.integers(0, 255, (70, 50, 3), dtype=np.uint8)).save(path)

@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    d = tmp_path_factory.mktemp('eval')/'tiny'
    create_model('tiny', pretrained=False).save_pretrained(d)
    return d

@pytest.fixture(scope='module')
def sources(tmp_path_factory):
    "One small source of each kind the project reads, three usable images each."
    t = tmp_path_factory.mktemp('sources')
    for i in range(3): _img(t/'im'/f'ear{i}.png', i)
    np.save(t/'meta.npy', dict(image_paths=[f'ear{i}.png' for i in range(3)], bboxes=[(0, 0, 40, 60)] * 3))
    coco = dict(images=[dict(id=i, file_name=f'im/ear{i}.png') for i in range(3)],
                annotations=[dict(id=10 + i, image_id=i, bbox=[2, 3, 40, 50]) for i in range(3)])
    (t/'c.json').write_text(json.dumps(coco))
    pd.DataFrame(dict(file=[f'im/ear{i}.png' for i in range(3)], x=1, y=2, w=40, h=50)).to_csv(t/'a.csv', index=False)
    pts = "version: 1\nn_points: 3\n{\n5 6\n30 40\n20 50\n}\n"
    for i in range(3): _img(t/'p'/f'e{i}.png', i); (t/'p'/f'e{i}.pts').write_text(pts)
    return dict(folder=(t/'im', None), npy=(t/'meta.npy', t/'im'), coco=(t/'c.json', None), csv=(t/'a.csv', None), pts=(t/'p', None))

@pytest.mark.parametrize('kind', ['folder', 'npy', 'coco', 'csv', 'pts'])
def test_every_source(kind, ckpt, sources, tmp_path, monkeypatch):
    monkeypatch.setenv('EAR_TEACHER_CACHE', str(tmp_path/'cache'))
    src, root = sources[kind]
    rep = run_evaluate(EvalConfig(str(ckpt), data=str(src), root=str(root) if root else None, out=str(tmp_path/'out')))
    assert rep.n == 3 and 0 < rep.ssim < 1 and np.isfinite(rep.psnr)
    assert len(pd.read_csv(tmp_path/'out'/'scores.csv')) == 3 and (tmp_path/'out'/'best_worst.png').exists()

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
def test_bad_input_is_one_line(args, says, ckpt, tmp_path):
    r = _run(*[a.format(ckpt=ckpt, tmp=tmp_path) for a in args], tmp_path=tmp_path)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1 and len(lines) == 1 and lines[0].startswith('ear-teacher evaluate: ') and says in lines[0], r.stderr
