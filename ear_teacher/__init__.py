"""A SAM-backed variational autoencoder for ear crops whose encoder teaches ear landmark and detection models; eigenears show what it learned.

Modules:

- `ear_teacher.augment`: Random batch augmentation of ear crops on any device: one affine resampling for all geometry, one colour matrix for all colour changes, then gamma, blur, noise, occlusion and JPEG artefacts on the images drawn for them.
- `ear_teacher.data`: Data sources (seed `.npy`, COCO, CSV, `.pts`, folders, synthetic), letterbox crops, a memory-mapped crop cache, fastai DataLoaders with batch augmentation on the device, and `ear-teacher check-data`."""

__version__ = "0.1.0"

# The public API, importable from the top (`import ear_teacher as et; et.create_model('tiny')`), the way timm and
# diffusers export theirs. Each name is imported from its module on first use, so `import ear_teacher` (and
# `ear-teacher --help`) stays fast: nothing heavy (torch, fastai, transformers) loads until a name is used.
_API = {
    'core':      ['default_device', 'images_to_tensor', 'tensor_to_images', 'image_grid', 'save_png'],
    'backbone':  ['BackboneConfig', 'create_backbone', 'register_backbone'],
    'model':     ['EarVAE', 'VAEConfig', 'HeadConfig', 'DecoderConfig', 'create_model', 'list_presets', 'preset_config',
                  'preset_recipe', 'register_preset', 'count_parameters'],
    'synth':     ['make_synthetic_ears', 'write_synthetic_ears'],
    'augment':   ['AugmentConfig', 'EarAugment'],
    'data':      ['DataConfig', 'EarSet', 'load_ear_set', 'split_ear_set', 'ear_dataloaders', 'ear_data', 'check_data',
                  'load_image', 'preprocess', 'postprocess'],
    'losses':    ['LossConfig', 'EarVAELoss'],
    'train':     ['TrainConfig', 'TrainResult', 'train'],
    'eigenears': ['EigenConfig', 'Eigenears', 'encode_images', 'fit_eigenears', 'run_eigenears', 'explore', 'anatomy_score'],
    'transfer':  ['EarLandmarker', 'EarDetector', 'LandmarkConfig', 'DetectorConfig', 'FitConfig', 'fit_head', 'evaluate_head',
                  'synthetic_landmark_sets'],
}
_WHERE = {name: mod for mod, names in _API.items() for name in names}
__all__ = list(_WHERE)

def __getattr__(name: str):
    "Import a public name from its module on first use (PEP 562)."
    if name not in _WHERE: raise AttributeError(f"module 'ear_teacher' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f'.{_WHERE[name]}', __name__), name)
    globals()[name] = value
    return value

def __dir__(): return sorted([*globals(), *__all__])

import sys as _sys, types as _types

class _Package(_types.ModuleType):
    "Importing a submodule binds it on the package: `train` is also a function here, and the function wins."
    def __setattr__(self, name, value):
        if name in _WHERE and isinstance(value, _types.ModuleType): return  # still `sys.modules['ear_teacher.train']`
        super().__setattr__(name, value)

_sys.modules[__name__].__class__ = _Package
