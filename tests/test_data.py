"Data sources, letterbox maths, the crop cache, splits and DataLoaders (`ear_teacher.data`)."
import json, os, time
import numpy as np, pandas as pd, pytest, torch
from PIL import Image
from ear_teacher.augment import AugmentConfig, EarAugment
from ear_teacher.data import (DataConfig, EarSet, EarRecord, SkipReport, BadInputError, letterbox_box, crop_record,
                              records_from_npy, records_from_coco, records_from_csv, records_from_pts, records_from_folder,
                              detect_source, load_ear_set, cached_crops, source_records, split_ear_set, ear_dataloaders,
                              ear_data, show_batch, bench_data_pipeline)
from ear_teacher.core import images_to_tensor

def _img(path, size=(60, 80), color=(200, 120, 90)):
    path.parent.mkdir(parents=True, exist_ok=True); Image.new('RGB', size, color).save(path); return path

@pytest.fixture
def cfg(tmp_path): return DataConfig(cache_dir=str(tmp_path/'cache'), image_size=32, batch_size=4)

def test_letterbox_hand_computed():
    lb = letterbox_box((10, 20, 40, 80), 200, 200, margin=0.1, size=128)
    assert lb.box == (6, 12, 54, 108) and lb.out_wh == (64, 128) and lb.offset == (32, 0)
    assert np.allclose(lb.map_points([[30, 60]]), [[64, 64]])
    lb = letterbox_box((90, 90, 20, 20), 100, 100, margin=0.0, size=10)       # clamped to the bottom-right 10x10
    assert lb.box == (90, 90, 100, 100) and lb.out_wh == (10, 10) and lb.scale == (1, 1)
    lb = letterbox_box((0, 0, 100, 50), 100, 50, margin=0.5, size=64)        # margin clamped away: wide box
    assert lb.box == (0, 0, 100, 50) and lb.out_wh == (64, 32) and lb.offset == (0, 16)
    assert letterbox_box((0, 0, 0, 5), 10, 10) is None and letterbox_box((20, 20, 5, 5), 10, 10) is None
    assert letterbox_box((0, 0, float('nan'), 5), 10, 10) is None

def test_crop_moves_landmarks_with_the_image(tmp_path):
    im = np.zeros((100, 200, 3), np.uint8); im[40, 120] = 255                 # one white pixel at x=120, y=40
    Image.fromarray(im).save(tmp_path/'dot.png')
    crop, lm = crop_record(EarRecord(tmp_path/'dot.png', (100, 20, 50, 50), np.array([[120.5, 40.5]])), size=100, margin=0.0)
    y, x = np.unravel_index(crop[..., 0].argmax(), crop.shape[:2])
    assert abs(lm[0, 0] - (x + 0.5)) <= 1 and abs(lm[0, 1] - (y + 0.5)) <= 1

def test_sources(tmp_path, cfg):
    for i in range(3): _img(tmp_path/'im'/f'ear ({i}).jpg')
    np.save(tmp_path/'val_teacher.npy', dict(image_paths=[f'ear ({i}).jpg' for i in range(3)], bboxes=[(0, 0, 30, 30), None, (5, 5, 20, 40)]))
    rep = SkipReport(); recs = records_from_npy(tmp_path/'val_teacher.npy', root=tmp_path/'im', report=rep)
    assert len(recs) == 2 and rep.n_skipped == 1 and recs[1].path == tmp_path/'im'/'ear (2).jpg'
    coco = dict(images=[dict(id=1, file_name='im/ear (0).jpg'), dict(id=2, file_name='im/ear (1).jpg')],
                annotations=[dict(id=7, image_id=1, bbox=[1, 2, 30, 40], keypoints=[5, 6, 2, 0, 0, 0], identity='s1')])
    (tmp_path/'c.json').write_text(json.dumps(coco))
    rep = SkipReport(); recs = records_from_coco(tmp_path/'c.json', report=rep)
    assert len(recs) == 1 and recs[0].identity == 's1' and np.isnan(recs[0].landmarks[1]).all() and rep.counts == {'image without annotation': 1}
    pd.DataFrame(dict(file=['im/ear (0).jpg'], x=[1], y=[2], w=[30], h=[40])).to_csv(tmp_path/'a.csv', index=False)
    assert records_from_csv(tmp_path/'a.csv')[0].bbox == (1, 2, 30, 40)
    assert [detect_source(tmp_path/n) for n in ('val_teacher.npy', 'c.json', 'a.csv', 'im')] == ['npy', 'coco', 'csv', 'folder']
    es = load_ear_set(tmp_path/'c.json', cfg=cfg)
    assert es.images.shape == (1, 32, 32, 3) and es.landmarks.shape == (1, 2, 2) and list(es.identities) == ['s1']
    with pytest.raises(FileNotFoundError, match='does not exist'): load_ear_set(tmp_path/'nope', cfg=cfg)

def test_pts_folder(tmp_path, cfg):
    pts = lambda n, decl: f"version: 1\nn_points: {decl}\n{{\n" + ''.join(f"{10+i} {20+2*i}\n" for i in range(n)) + "}\n"
    _img(tmp_path/'p'/'a.png'); (tmp_path/'p'/'a.pts').write_text(pts(5, 5))
    _img(tmp_path/'p'/'b.png'); (tmp_path/'p'/'b.pts').write_text(pts(4, 5))
    (tmp_path/'p'/'c.pts').write_text(pts(5, 5))
    assert detect_source(tmp_path/'p') == 'pts'
    rep = SkipReport(); recs = records_from_pts(tmp_path/'p', report=rep)
    assert len(recs) == 1 and recs[0].bbox == (10, 20, 4, 8) and rep.counts == {'wrong point count': 1, 'no image beside the .pts file': 1}
    rep = SkipReport(); assert records_from_pts(tmp_path/'p', report=rep, cfg=DataConfig(n_points=4))[0].path.name == 'b.png'
    es = load_ear_set(tmp_path/'p', cfg=cfg)
    assert es.landmarks.shape == (1, 5, 2) and np.isfinite(es.landmarks).all() and (es.landmarks >= 0).all() and (es.landmarks <= 32).all()

def test_cache_reuse_and_rebuild(tmp_path, cfg):
    for i in range(4): _img(tmp_path/'f'/'s1'/f'{i}.png', color=(10*i, 0, 0))
    recs = records_from_folder(tmp_path/'f')
    assert {r.identity for r in recs} == {'s1'}
    es = cached_crops(recs, cfg)
    assert isinstance(es.images, np.memmap) and len(es) == 4
    assert cached_crops(list(reversed(recs)), cfg).labels.path.tolist() == es.labels.path.tolist()   # order-independent key
    caches = lambda: sorted(p.name for p in (tmp_path/'cache').iterdir())
    assert len(caches()) == 1 and not [p for p in (tmp_path/'cache').iterdir() if p.name.startswith('.')]
    time.sleep(0.01); _img(tmp_path/'f'/'s1'/'0.png', color=(255, 255, 255))                        # a changed file
    es2 = cached_crops(records_from_folder(tmp_path/'f'), cfg)
    assert len(caches()) == 2 and es2.images[0].max() == 255

def test_splits_reproducible():
    es = EarSet(np.zeros((30, 2, 2, 3), np.uint8), identities=np.repeat(['a', 'b', 'c'], 10), labels=pd.DataFrame(dict(i=range(30))))
    tr, va = split_ear_set(es, 0.2, seed=3)
    assert len(va) == 6 and set(tr.labels.i) | set(va.labels.i) == set(range(30)) and not set(tr.labels.i) & set(va.labels.i)
    assert split_ear_set(es, 0.2, seed=3)[1].labels.i.tolist() == va.labels.i.tolist()
    assert split_ear_set(es, 0.2, seed=4)[1].labels.i.tolist() != va.labels.i.tolist()
    tr, va = split_ear_set(es, 0.2, seed=3, by='identity_within')
    assert pd.Series(va.identities).value_counts().tolist() == [2, 2, 2]
    with pytest.raises(ValueError, match='identities'): split_ear_set(EarSet(es.images), 0.2, by='identity_within')

def test_dataloaders():
    es = EarSet(np.random.default_rng(0).integers(0, 256, (24, 32, 32, 3), dtype=np.uint8))
    tr, va = split_ear_set(es, 0.25, 0)
    dls = ear_dataloaders(tr, va, DataConfig(batch_size=6, image_size=32), device='cpu')
    x, y = dls.one_batch()
    assert x is y and x.shape == (6, 3, 32, 32) and x.dtype == torch.float32 and x.min() >= -1 and x.max() <= 1
    assert x.device.type == 'cpu' and len(dls.train) == 3
    xv, _ = dls.valid.one_batch()
    assert torch.equal(xv, images_to_tensor(va.images[:6]))               # validation never augmented
    plain = ear_dataloaders(tr, va, DataConfig(batch_size=6, augment=False), device='cpu')
    xp, _ = plain.one_batch()
    assert any(torch.allclose(xp[0], images_to_tensor(tr.images[i])[0]) for i in range(len(tr)))
    assert show_batch(dls, n=4, show=False).shape[-1] == 3 and dls.show_batch(show=False).ndim == 3

def test_cpu_workers_augment_batches():
    "With workers on a CPU each worker augments the batches it reads: here a flip, so the epoch is every image mirrored, once."
    es = EarSet(np.random.default_rng(0).integers(0, 256, (16, 16, 16, 3), dtype=np.uint8))
    off = {k: 0. for k in AugmentConfig.__dataclass_fields__ if k.startswith('p_')}
    cfg = DataConfig(batch_size=4, num_workers=2, aug=AugmentConfig(**{**off, 'p_flip': 1.0}))
    dls = ear_dataloaders(es, es.subset(slice(0, 4)), cfg, device='cpu')
    assert dls.train.augment is not None and dls.train.after_batch.augment is None     # augmentation moved to the workers
    xs = torch.cat([x for x, _ in dls.train])
    assert xs.dtype == torch.float32 and xs.shape == (16, 3, 16, 16)
    want = images_to_tensor(es.images).flip(-1)
    key = lambda t: t.sum((1, 2, 3)).argsort()
    assert torch.allclose(xs[key(xs)], want[key(want)], atol=1e-5)

def test_augment_ranges_and_disable():
    x = torch.rand(8, 3, 32, 32) * 2 - 1
    off = AugmentConfig(**{k: 0. for k in AugmentConfig.__dataclass_fields__ if k.startswith('p_')})
    assert torch.allclose(EarAugment(off)(x), x, atol=1e-5)
    y = EarAugment(AugmentConfig(p_jpeg=1.0, p_blur=1.0, p_noise=1.0, p_erase=1.0, p_gamma=1.0))(x)
    assert y.shape == x.shape and y.min() >= -1 and y.max() <= 1 and not torch.allclose(y, x)

def test_synthetic_source(cfg):
    dls, tr, va = ear_data('synthetic', cfg=DataConfig(synthetic_n=40, image_size=64, batch_size=8), device='cpu')
    assert len(tr) + len(va) == 40 and tr.images.shape[1:] == (64, 64, 3) and tr.labels is not None
    assert dls.one_batch()[0].shape == (8, 3, 64, 64)

def test_bench_runs():
    r = bench_data_pipeline(n_batches=2, batch_size=8, image_size=32, num_workers=0, device='cpu')
    assert r['images_per_s'] > 0 and 'geometry' in r['stage_ms']


def test_augment_output_never_leaves_the_range():
    "Saturated images through resampling and blur (weighted means that can round above 1) stay within [-1, 1]."
    torch.manual_seed(0)
    aug = EarAugment(AugmentConfig(p_blur=1.0, p_color=0.0, p_gray=0.0))
    u = torch.full((32, 32, 32, 3), 255, dtype=torch.uint8); u[:, :, :8] = 0
    for _ in range(50):
        x = aug.from_uint8(u)
        assert x.max() <= 1 and x.min() >= -1
