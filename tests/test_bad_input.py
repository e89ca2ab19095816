"Bad input never crashes: unusable files are skipped and reported once, usable odd ones converted; `strict` raises."
import io
import numpy as np, pandas as pd, pytest
from PIL import Image
from ear_teacher.data import DataConfig, load_ear_set, check_data, BadInputError, SkipReport
from ear_teacher.cli import main

def _good(path, size=(40, 60), color=(180, 110, 80)):
    Image.new('RGB', size, color).save(path); return path

@pytest.fixture
def bad_folder(tmp_path):
    "A folder with 3 good RGB images, every usable odd format, and every unusable kind of file."
    d = tmp_path/'ears'; (d/'s1').mkdir(parents=True)
    for i in range(3): _good(d/'s1'/f'good ({i}).jpg')
    Image.new('CMYK', (30, 30), (0, 255, 255, 0)).save(d/'s1'/'cmyk.jpg')
    Image.fromarray(np.full((20, 20), 32768, np.uint16)).save(d/'s1'/'sixteen.png')
    pal = Image.new('P', (20, 20), 1); pal.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762); pal.info['transparency'] = 0; pal.save(d/'s1'/'palette.png')
    Image.new('L', (20, 20), 90).save(d/'s1'/'gray.png')
    Image.new('RGBA', (20, 20), (250, 0, 0, 255)).save(d/'s1'/'rgba.png')
    rot = Image.new('RGB', (60, 20), (255, 0, 0)); rot.paste((0, 0, 255), (30, 0, 60, 20))  # left red, right blue
    exif = Image.Exif(); exif[0x0112] = 6; rot.save(d/'s1'/'rotated.jpg', exif=exif, quality=95)  # displayed 90° clockwise
    (d/'s1'/'empty.jpg').write_bytes(b'')
    buf = io.BytesIO(); Image.new('RGB', (64, 64), 'white').save(buf, 'JPEG'); (d/'s1'/'truncated.jpg').write_bytes(buf.getvalue()[:300])
    (d/'s1'/'notes.jpg').write_text('this is not a picture')
    (d/'s1'/'README.txt').write_text('ignored: not named like an image')
    return d

N_GOOD = 9  # 3 RGB + CMYK, 16-bit, palette, gray, RGBA, EXIF-rotated

def test_folder_skips_and_converts(bad_folder, tmp_path, capsys):
    cfg = DataConfig(cache_dir=str(tmp_path/'cache'), image_size=32)
    es = load_ear_set(bad_folder, cfg=cfg)
    r = es.report
    assert len(es) == r.n_ok == N_GOOD and r.n_skipped == 3
    assert r.counts == {'empty file (0 bytes)': 1, 'truncated or corrupt image': 1, 'not an image': 1}
    text = str(r)
    assert 'empty.jpg' in text and 'truncated.jpg' in text and 'notes.jpg' in text and text.startswith('9 usable, 3 skipped')
    crops = dict(zip([p.split('/')[-1] for p in es.labels.path], es.images))
    assert crops['sixteen.png'][16, 16].tolist() == [128, 128, 128]                 # 16-bit scaled, not clipped to 255
    assert crops['cmyk.jpg'][16, 16, 0] > 200 and crops['cmyk.jpg'][16, 16, 2] < 60  # CMYK red stays red
    assert crops['rgba.png'][16, 16].tolist() == [250, 0, 0] and crops['gray.png'][16, 16].tolist() == [90, 90, 90]
    assert crops['palette.png'][16, 16].tolist() == [10, 200, 30]
    r_ = crops['rotated.jpg']                                                        # upright: 20x60 -> tall, red on top
    assert r_[:, :8].max() == 0 and r_[4, 16, 0] > 200 and r_[28, 16, 2] > 200

def test_strict_raises_naming_the_file(bad_folder, tmp_path):
    with pytest.raises(BadInputError, match=r'empty\.jpg: empty file'):
        load_ear_set(bad_folder, cfg=DataConfig(cache_dir=str(tmp_path/'c'), strict=True))
    load_ear_set(bad_folder, cfg=DataConfig(cache_dir=str(tmp_path/'c2')))              # cached with skips ...
    with pytest.raises(BadInputError, match='empty'):                                  # ... still raises when strict
        load_ear_set(bad_folder, cfg=DataConfig(cache_dir=str(tmp_path/'c2'), strict=True))

def test_boxes_and_missing_files(tmp_path):
    d = tmp_path/'im'; d.mkdir(); _good(d/'a.jpg', (100, 100)); _good(d/'b b (1).jpg', (100, 100))
    pd.DataFrame(dict(path=['a.jpg', 'b b (1).jpg', 'gone.jpg', 'a.jpg', 'a.jpg'],
                      x=[80, 10, 0, 10, 200], y=[80, 10, 0, 10, 200], w=[50, 20, 10, 0, 10], h=[50, 20, 10, 10, 10])).to_csv(d/'l.csv', index=False)
    es = load_ear_set(d/'l.csv', cfg=DataConfig(cache_dir=str(tmp_path/'cache'), image_size=32))
    assert len(es) == 2                                                             # partly outside: clamped, kept
    assert es.report.counts == {'missing file': 1, 'no valid box in metadata': 1, 'box has no area inside the image': 1}

def test_malformed_seed_metadata(tmp_path):
    np.save(tmp_path/'train_teacher.npy', np.zeros(10))
    with pytest.raises(BadInputError, match=r'expected a dict with keys image_paths and bboxes, found ndarray of shape \(10,\)'):
        load_ear_set(tmp_path/'train_teacher.npy', cfg=DataConfig(cache_dir=str(tmp_path/'c')))
    np.save(tmp_path/'val_teacher.npy', dict(paths=[]), allow_pickle=True)
    with pytest.raises(BadInputError, match=r"found dict with keys \['paths'\]"): check_data(tmp_path/'val_teacher.npy')

def test_nothing_usable_is_an_error(tmp_path):
    d = tmp_path/'e'; d.mkdir(); (d/'x.jpg').write_bytes(b'')
    with pytest.raises(BadInputError, match='no usable images'): load_ear_set(d, cfg=DataConfig(cache_dir=str(tmp_path/'c')))

def test_check_data_cli(bad_folder, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('EAR_TEACHER_CACHE', str(tmp_path/'cache'))
    main(['check-data', str(bad_folder)])
    out = capsys.readouterr().out
    assert '9 usable, 3 skipped' in out and 'not an image: 1 (e.g. notes.jpg)' in out
    with pytest.raises(SystemExit, match=r'^ear-teacher check-data: 3 skipped \(--strict\)$'): main(['check-data', str(bad_folder), '--strict'])
    good = tmp_path/'good'; good.mkdir(); _good(good/'a.png')
    main(['check-data', str(good), '--strict'])                                     # nothing skipped: exit 0
    assert '1 usable, 0 skipped' in capsys.readouterr().out


def test_check_data_nothing_usable_exits_nonzero(tmp_path):
    "A folder whose only files are a text file named x.jpg and an empty y.png: reported, then exit status 1."
    d = tmp_path/'junk'; d.mkdir(); (d/'x.jpg').write_text('not an image'); (d/'y.png').write_bytes(b'')
    r = _run('check-data', str(d), env=dict(EAR_TEACHER_CACHE=str(tmp_path/'cache')))
    assert r.returncode == 1 and '0 usable, 2 skipped' in r.stdout, (r.stdout, r.stderr)
    assert r.stderr.strip() == f'ear-teacher check-data: nothing usable in {d}'


# Every command turns a user's mistake into one line on stderr and a non-zero exit status, without a traceback.
def _run(*args, env=None):
    import os, subprocess, sys
    return subprocess.run([sys.executable, '-m', 'ear_teacher.cli', *args], capture_output=True, text=True, timeout=600,
                          env={**os.environ, 'EAR_TEACHER_DEBUG': '0', **(env or {})})

USER_ERRORS = {  # command: (arguments, what the one line says)
    'synth':      (['--out', '{file}', '-n', '2'], 'File exists'),
    'check-data': (['{missing}'], 'does not exist'),
    'train':      (['--data', '{missing}', '--epochs', '1'], 'does not exist'),
    'eigenears':  (['--checkpoint', '{folder}', '--out', '{tmp}/eig'], 'not an ear-teacher model directory'),
    'bench':      (['--configs', 'no-such-config', '--device', 'cpu'], 'unknown bench config'),
    'convert':    (['{missing}', '{tmp}/converted'], 'no such checkpoint'),
    'landmarks':  (['--checkpoint', '{folder}', '--synthetic', '32'], 'not an ear-teacher model directory'),
    'compare':    (['--checkpoint', '{folder}'], 'not an ear-teacher model directory'),
    'evaluate':   (['--checkpoint', '{folder}'], 'not an ear-teacher model directory'),
    'explore':    (['--checkpoint', '{folder}'], 'not an ear-teacher model directory'),
}

def _fill(args, tmp_path):
    (tmp_path/'a_file').write_text('x'); (tmp_path/'not_a_checkpoint').mkdir(exist_ok=True)
    subs = dict(file=tmp_path/'a_file', folder=tmp_path/'not_a_checkpoint', missing=tmp_path/'does-not-exist', tmp=tmp_path)
    return [a.format(**subs) for a in args]

def test_every_command_is_covered():
    from ear_teacher.cli import COMMANDS
    assert set(COMMANDS) - {'info'} <= set(USER_ERRORS), 'add the new command to USER_ERRORS'  # info takes no input

@pytest.mark.parametrize('cmd', list(USER_ERRORS))
def test_user_error_is_one_line(cmd, tmp_path, user_error, capsys):
    "In this process (the `user_error` fixture); the check-data test above and the traceback tests below run the real script."
    args, says = USER_ERRORS[cmd]
    line = user_error(cmd, *_fill(args, tmp_path))
    assert says in line, line
    assert 'Traceback' not in capsys.readouterr().err

def test_argument_error_has_no_traceback():
    r = _run('info', '--no-such-option')
    assert r.returncode == 2 and 'unrecognized arguments: --no-such-option' in r.stderr and 'Traceback' not in r.stderr

@pytest.mark.parametrize('how', ['flag', 'env'])
def test_debug_shows_the_traceback(how, tmp_path):
    args = ['eigenears', '--checkpoint', str(tmp_path)] + (['--debug'] if how == 'flag' else [])
    r = _run(*args, env=dict(EAR_TEACHER_DEBUG='1') if how == 'env' else None)
    assert r.returncode == 1 and 'Traceback (most recent call last)' in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith('FileNotFoundError: ') and 'no config.json' in r.stderr
