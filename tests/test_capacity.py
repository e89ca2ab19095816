"Learning capacity: a tiny model overfits a handful of synthetic ears far above the mean-image floor (guards against blobs)."
import torch
from fastai.data.core import DataLoaders
from ear_teacher.model import create_model
from ear_teacher.train import TrainConfig, ear_learner, mean_image
from ear_teacher.losses import LossConfig, psnr_per_image
from ear_teacher.synth import make_synthetic_ears
from ear_teacher.core import images_to_tensor

def test_tiny_overfits_a_handful_of_ears():
    torch.manual_seed(0)
    ears = make_synthetic_ears(n=4, seed=3, size=64).images
    x = images_to_tensor(ears)
    # the conv encoder and decoder alone (no PCA path, which would fit a few ears exactly): what must not regress to blobs
    model = create_model('tiny', pretrained=False, image_size=64, resolution=64, pca=False, latent_norm=False, logvar_bias=-8.0)
    pairs = list(zip(x, x))
    dls = DataLoaders.from_dsets(pairs * 120, pairs, bs=4, shuffle=False) # 120 steps in one epoch: one validation pass
    loss = LossConfig(recon='mse', center_weight=1, focal=False, perceptual='none', edge_weight=0, contrastive_weight=0,
                      ssim_weight=0.05, kl_weight=1e-6)
    learn = ear_learner(model, dls, TrainConfig(lr=2e-3, grad_accum=1, backbone_lr_mult=1.0), loss, torch.device('cpu'))
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 3e-3)
    model.eval()
    with torch.no_grad(): recon = model(x)[0]
    floor = psnr_per_image(mean_image(ears).expand_as(x), x).mean().item()
    got = psnr_per_image(recon, x).mean().item()
    print(f'capacity: {got:.2f} dB against a floor of {floor:.2f} dB')
    assert got > floor + 6, f"valid PSNR {got:.2f} dB, mean-image floor {floor:.2f} dB"
