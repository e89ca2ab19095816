"The top-level API: every exported name resolves, and `import ear_teacher` stays light (a fresh interpreter)."
import subprocess, sys
import pytest
import ear_teacher as et

def test_every_public_name_resolves_to_its_module_object():
    import importlib
    for name, mod in et._WHERE.items():
        assert getattr(et, name) is getattr(importlib.import_module(f'ear_teacher.{mod}'), name), name
    assert set(et.__all__) <= set(dir(et))
    with pytest.raises(AttributeError, match='no attribute'): et.not_a_name

def test_import_does_not_load_torch():
    code = "import sys, ear_teacher; print('torch' in sys.modules, 'fastai' in sys.modules)"
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ['False', 'False']
