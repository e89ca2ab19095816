"`ear-teacher bench --quick` end to end: every configuration in a fresh process, the JSON records, the data records and the Markdown section (no timing is asserted). The bench's own checks are in nbs/15_bench.ipynb."
import json, statistics
import pytest
from ear_teacher.bench import BENCH_CONFIGS, BenchConfig, case_settings
from ear_teacher.cli import main
from ear_teacher.model import EarVAE, count_parameters

REQUIRED = {'config', 'device', 'batch_size', 'fwd_ms_per_img', 'train_img_per_s', 'peak_mem_mb',
            'train_speedup_vs_seed', 'fwd_speedup_vs_seed', 'repeats', 'notes'}
CONFIGS = ['seed', 'default']  # a training-only change (`seed+nograd_frozen`) is checked in nbs/15_bench.ipynb

def test_cli_quick_run_writes_json_and_markdown(tmp_path, capsys):
    js, md = tmp_path/'bench.json', tmp_path/'BENCHMARKS.md'
    md.write_text('# Benchmarks\n\n<!-- bench:cuda -->\nGPU numbers\n<!-- /bench:cuda -->\n')
    main(['bench', '--quick', '--device', 'cpu', '--configs', ','.join(CONFIGS), '--repeats', '1',
          '--json', str(js), '--markdown', str(md)])
    out = capsys.readouterr().out
    assert 'ear-teacher bench' in out and '| seed |' in out
    recs = json.loads(js.read_text())
    models = [r for r in recs if r['kind'] == 'model']
    assert [r['config'] for r in models] == CONFIGS
    run = BenchConfig(configs=CONFIGS, device='cpu', quick=True, repeats=1).resolved()
    for r in models:
        assert REQUIRED <= r.keys(), REQUIRED - r.keys()
        assert 'error' not in r, r['error']
        assert r['device'] == 'cpu' and r['repeats'] == 1 and len(r['train_times_s']) == 1
        assert r['train_img_per_s'] == pytest.approx(r['batch_size'] / statistics.median(r['train_times_s']))  # images over the step's time
        # CPU configs run isolated by default; a fresh process holds at least the weights, gradients and AdamW's two moments
        c = count_parameters(EarVAE(case_settings(BENCH_CONFIGS[r['config']], run)['model_cfg']))
        assert 'fresh process' in r['mem_method'] and r['peak_mem_mb'] >= 4 * (c['total'] + 3 * c['trainable']) / 2**20, (r['peak_mem_mb'], c)
    seed, default = models
    assert seed['train_speedup_vs_seed'] == 1 and seed['fwd_speedup_vs_seed'] == 1
    assert default['train_speedup_vs_seed'] == pytest.approx(default['train_img_per_s'] / seed['train_img_per_s'])
    assert default['batch_size'] == 2 and seed['batch_size'] == 1 and default['equal_batch'] is False
    data = [r for r in recs if r['kind'] == 'data']
    assert [r['config'] for r in data] == ['data_pipeline', 'synth'], data  # no data records is a failure, not a pass
    for r in data:
        assert 'error' not in r['details'], r['details']
        assert r['images_per_s'] == r['details']['images_per_s'] and r['images_per_s'] > 1
    pipe, synth = data
    assert pipe['images_per_s'] * pipe['details']['seconds'] == pytest.approx(pipe['details']['batches'] * pipe['details']['batch_size'])
    assert synth['details']['n'] == 32
    text = md.read_text()
    assert 'GPU numbers' in text and '<!-- bench:cpu-quick -->' in text and '<!-- /bench:cpu-quick -->' in text
    assert f"ear-teacher bench --configs {','.join(CONFIGS)} --device cpu --repeats 1 --seed 0 --quick" in text
    assert 'torch' in text and '| default |' in text
