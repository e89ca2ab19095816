"Loading never unpickles: a pickle planted under any weight-file name is refused in one line and never runs."
import os, pickle, shutil
import pytest
from ear_teacher.model import create_model, EarVAE
from ear_teacher.transfer import EarLandmarker, TeacherHead

class Payload:
    "Unpickling this creates `marker`: it stands for any code a malicious checkpoint would run."
    def __init__(self, marker): self.marker = str(marker)
    def __reduce__(self): return (os.mkdir, (self.marker,))

NAMES = ['model.safetensors', 'pytorch_model.bin', 'model.pt', 'model.pth', 'model.ckpt', 'weights.pkl', 'pytorch_model.bin.index.json.bin',
         'training_state.safetensors', 'diffusion_pytorch_model.bin', 'adapter_model.bin', 'model.joblib', 'weights.dat']

@pytest.fixture(scope='module')
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp('models')
    create_model('tiny', pretrained=False).save_pretrained(d/'vae')
    EarLandmarker.from_checkpoint(d/'vae', n_landmarks=5).save_pretrained(d/'head')
    return d

def test_the_payload_would_run(tmp_path):
    pickle.loads(pickle.dumps(Payload(tmp_path/'ran')))
    assert (tmp_path/'ran').exists()

@pytest.mark.parametrize('kind,cls', [('vae', EarVAE), ('head', TeacherHead)])
@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('replace_weights', [True, False])
def test_planted_pickle_is_refused_and_never_run(saved, tmp_path, kind, cls, name, replace_weights):
    d = tmp_path/'ckpt'; shutil.copytree(saved/kind, d)
    if replace_weights: (d/'model.safetensors').unlink()
    for protocol in (0, 2, pickle.HIGHEST_PROTOCOL):
        (d/name).write_bytes(pickle.dumps(Payload(tmp_path/'ran'), protocol=protocol))
        with pytest.raises((ValueError, FileNotFoundError)) as e: cls.from_pretrained(d)
        msg = str(e.value)
        assert '\n' not in msg and (f'refusing to load {name}' in msg or 'no model.safetensors' in msg), msg
        assert not (tmp_path/'ran').exists()

def test_clean_directories_still_load(saved):
    "With the refusals in place, a clean directory still loads: the right class, in eval mode, with exactly the saved tensors."
    import torch
    from safetensors.torch import load_file
    for kind, cls, want in (('vae', EarVAE, EarVAE), ('head', TeacherHead, EarLandmarker)):
        m = cls.from_pretrained(saved/kind)
        assert type(m) is want and not m.training
        weights, state = load_file(str(saved/kind/'model.safetensors')), m.state_dict()
        assert weights.keys() == state.keys() and all(torch.equal(weights[k], v) for k, v in state.items())

def test_torch_save_archive_renamed_to_safetensors_is_refused(saved, tmp_path):
    import torch
    d = tmp_path/'ckpt'; shutil.copytree(saved/'vae', d)
    torch.save(EarVAE.from_pretrained(d).state_dict(), d/'model.safetensors')
    with pytest.raises(ValueError, match='refusing to load model.safetensors'): EarVAE.from_pretrained(d)

def test_hub_id_offline_is_one_line():
    with pytest.raises(FileNotFoundError) as e: EarVAE.from_pretrained('no-such-owner/no-such-model', local_files_only=True)
    assert '\n' not in str(e.value) and 'Hub could not provide it' in str(e.value)
