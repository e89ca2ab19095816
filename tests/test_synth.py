"Tests of the procedural ear generator `ear_teacher.synth`."
import itertools
import numpy as np
import pandas as pd
import pytest
from ear_teacher.synth import (FACTOR_GROUPS, FACTOR_RANGES, LANDMARK_NAMES, sample_factors, render_ear,
                               make_synthetic_ears, write_synthetic_ears, bench_synth)


@pytest.fixture(scope='module')
def ears(): return make_synthetic_ears(12, seed=7)


def test_factor_groups():
    names = [k for g in FACTOR_GROUPS.values() for k in g]
    assert set(FACTOR_GROUPS) == {'anatomy', 'pose', 'photometric'} and set(names) == set(FACTOR_RANGES)
    assert {'helix_width', 'helix_curvature', 'lobe_size', 'lobe_attachment', 'concha_depth', 'tragus_size',
            'antihelix_prominence', 'aspect_ratio'} <= set(FACTOR_GROUPS['anatomy'])
    assert {'rotation', 'scale', 'yaw'} <= set(FACTOR_GROUPS['pose'])
    assert {'skin_tone', 'light_angle', 'brightness', 'background'} <= set(FACTOR_GROUPS['photometric'])
    assert len(LANDMARK_NAMES) >= 20 and len(set(LANDMARK_NAMES)) == len(LANDMARK_NAMES)


def test_shapes_and_dtypes(ears):
    n, k = 12, len(LANDMARK_NAMES)
    assert ears.images.shape == (n, 128, 128, 3) and ears.images.dtype == np.uint8
    assert ears.landmarks.shape == (n, k, 2) and ears.landmarks.dtype == np.float32
    assert ears.bboxes.shape == (n, 4)
    assert list(ears.factors.columns) == [c for g in FACTOR_GROUPS.values() for c in g]
    cols = ears.labels.columns
    assert 'index' in cols and {'bbox_x', 'bbox_y', 'bbox_w', 'bbox_h', 'lm00_x', f'lm{k-1:02d}_y'} <= set(cols)
    img, pts, box = render_ear(sample_factors(np.random.default_rng(0)), size=64)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8 and pts.shape == (k, 2) and box.shape == (4,)
    assert pts.dtype == np.float32 and box.dtype == np.float32


def test_images_are_not_blank(ears):
    assert all(im.std() > 10 for im in ears.images)                       # real content, not flat colour
    assert len({im.tobytes() for im in ears.images}) == len(ears.images)   # every ear differs


def test_determinism_and_prefix(ears):
    again = make_synthetic_ears(12, seed=7)
    assert again.images.tobytes() == ears.images.tobytes() and again.labels.equals(ears.labels)
    short = make_synthetic_ears(5, seed=7)
    assert short.images.tobytes() == ears.images[:5].tobytes() and short.labels.equals(ears.labels.iloc[:5])
    assert not np.array_equal(make_synthetic_ears(3, seed=8).images, ears.images[:3])


def test_landmarks_inside_image_and_box(ears):
    lm, box = ears.landmarks, ears.bboxes
    assert (lm >= 0).all() and (lm <= 127).all()
    x0, y0, w, h = (box[:, i, None] for i in range(4))
    inside = (lm[..., 0] >= x0 - 1) & (lm[..., 0] <= x0 + w + 1) & (lm[..., 1] >= y0 - 1) & (lm[..., 1] <= y0 + h + 1)
    assert inside.mean() > 0.95
    assert (box[:, 2] > 20).all() and (box[:, 3] > 50).all() and (box[:, :2] + box[:, 2:] <= 128).all()


def test_factors_in_range_and_independent():
    df = pd.DataFrame([sample_factors(np.random.default_rng([0, i])) for i in range(500)])
    for k, (lo, hi) in FACTOR_RANGES.items(): assert df[k].between(lo, hi).all() and df[k].std() > 0
    r = df.corr().to_numpy()
    off = np.abs(r[~np.eye(len(r), dtype=bool)])
    assert off.max() < 0.15, off.max()
    # and the label table of a set holds exactly these draws
    assert np.allclose(make_synthetic_ears(3, seed=0).factors.to_numpy(), df.iloc[:3].to_numpy())


def test_write_synthetic_ears(tmp_path):
    csv = write_synthetic_ears(tmp_path/'a', 6, seed=1)
    write_synthetic_ears(tmp_path/'b', 6, seed=1)
    pngs = sorted(p.name for p in (tmp_path/'a').glob('ear_*.png'))
    assert pngs == [f'ear_{i:05d}.png' for i in range(6)]
    lab = pd.read_csv(csv)
    assert len(lab) == 6 and lab.columns[0] == 'file' and lab.file.tolist() == pngs
    for name in [*pngs, 'labels.csv']: assert (tmp_path/'a'/name).read_bytes() == (tmp_path/'b'/name).read_bytes()
    from PIL import Image
    assert np.array_equal(np.asarray(Image.open(tmp_path/'a'/'ear_00004.png')), make_synthetic_ears(5, seed=1).images[4])


@pytest.mark.parametrize('flag', ['-n', '--n'])
def test_cli(tmp_path, capsys, flag):
    from ear_teacher.cli import main
    main(['synth', '--out', str(tmp_path), flag, '4', '--seed', '1'])
    assert len(list(tmp_path.glob('ear_*.png'))) == 4 and len(pd.read_csv(tmp_path/'labels.csv')) == 4
    assert 'wrote 4' in capsys.readouterr().out


def test_bench_synth():
    r = bench_synth(n=8, size=64)
    assert r['n'] == 8 and r['size'] == 64 and r['images_per_s'] > 0
