"The real-data path on the EarVN1.0 subset (skipped when `../shared/data` is absent)."
import numpy as np, pytest
from ear_teacher.data import DataConfig, load_ear_set, split_ear_set, ear_dataloaders, check_data, detect_source

@pytest.fixture
def earvn_small(earvn_dir, tmp_path):
    "Three subjects of the EarVN subset, linked (not copied) into a temporary folder."
    d = tmp_path/'earvn'
    for subj in sorted(p for p in earvn_dir.iterdir() if p.is_dir())[:3]:
        (d/subj.name).mkdir(parents=True)
        for f in sorted(subj.iterdir())[:12]: (d/subj.name/f.name).symlink_to(f)
    return d

def test_earvn_folder_identities_and_letterbox(earvn_small, tmp_path):
    assert detect_source(earvn_small) == 'folder'
    es = load_ear_set(earvn_small, cfg=DataConfig(cache_dir=str(tmp_path/'cache')))
    assert es.images.shape == (36, 128, 128, 3) and es.report.n_skipped == 0 and es.landmarks is None
    assert len(set(es.identities)) == 3 and all(i[:3].isdigit() for i in es.identities)
    assert any(' (' in p for p in es.labels.path)                        # names with spaces and parentheses
    tall = (es.images[:, :, :4].max(axis=(1, 2, 3)) == 0).mean()       # mostly tall crops: black bars left and right
    assert tall > 0.5
    tr, va = split_ear_set(es, 0.25, 0, by='identity_within')
    assert set(va.identities) == set(tr.identities) and len(va) == 9
    x, y = ear_dataloaders(tr, va, DataConfig(batch_size=8), device='cpu').one_batch()
    assert x.shape == (8, 3, 128, 128) and x.min() >= -1 and x.max() <= 1

def test_earvn_letterbox_masking(earvn_small, tmp_path):
    "On real crops the mask finds the bars, they are black, and PCA fit without them reconstructs the picture better."
    import torch
    from ear_teacher.core import images_to_tensor
    from ear_teacher.eigenfaces import letterbox_mask, fit_pixel_pca
    es = load_ear_set(earvn_small, cfg=DataConfig(cache_dir=str(tmp_path/'cache')))
    x = images_to_tensor(es.images); pic = letterbox_mask(x)
    bars = ~pic.expand_as(x)
    assert (~pic).flatten(1).any(1).float().mean() > 0.5 and (x[bars] == -1).all()
    assert pic.flatten(1).float().mean(1).min() > 0.1                      # even the narrowest crop keeps its picture
    err = lambda r: float((((r - x) ** 2) * pic).sum() / pic.expand_as(x).sum())
    plain, masked = fit_pixel_pca(es.images, 8), fit_pixel_pca(es.images, 8, letterbox=True)
    with torch.no_grad(): rp, rm = plain(x), masked(x)
    assert (rm[bars] == -1).all() and err(rm) < err(rp)

def test_earvn_check_data(earvn_small, tmp_path, monkeypatch):
    monkeypatch.setenv('EAR_TEACHER_CACHE', str(tmp_path/'cache'))
    r = check_data(earvn_small)
    assert r.n_ok == 36 and r.n_skipped == 0
