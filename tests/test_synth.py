"`ear-teacher synth`: the count is accepted as `-n` and as `--n` (the generator's own checks are in nbs/01_synth.ipynb)."
import pandas as pd
import pytest


@pytest.mark.parametrize('flag', ['-n', '--n'])
def test_cli(tmp_path, capsys, flag):
    from ear_teacher.cli import main
    main(['synth', '--out', str(tmp_path), flag, '4', '--seed', '1'])
    assert len(list(tmp_path.glob('ear_*.png'))) == 4 and len(pd.read_csv(tmp_path/'labels.csv')) == 4
    assert 'wrote 4' in capsys.readouterr().out
