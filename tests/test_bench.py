"Benchmark: the bench runs and writes its records (no timing is asserted), and every optimisation computes the same function."
import json
import pytest
from ear_teacher.bench import (BENCH_CONFIGS, BenchConfig, equivalence, model_gflops, run_bench, update_markdown, add_ratios)
from ear_teacher.cli import main
from ear_teacher.model import preset_config

REQUIRED = {'config', 'device', 'batch_size', 'fwd_ms_per_img', 'train_img_per_s', 'peak_mem_mb',
            'train_speedup_vs_seed', 'fwd_speedup_vs_seed', 'repeats', 'notes'}

def test_cli_quick_run_writes_json_and_markdown(tmp_path, capsys):
    js, md = tmp_path/'bench.json', tmp_path/'BENCHMARKS.md'
    md.write_text('# Benchmarks\n\n<!-- bench:cuda -->\nGPU numbers\n<!-- /bench:cuda -->\n')
    main(['bench', '--quick', '--device', 'cpu', '--configs', 'seed,seed+nograd_frozen,default', '--repeats', '1',
          '--json', str(js), '--markdown', str(md)])
    out = capsys.readouterr().out
    assert 'ear-teacher bench' in out and '| seed |' in out
    recs = json.loads(js.read_text())
    models = [r for r in recs if r['kind'] == 'model']
    assert [r['config'] for r in models] == ['seed', 'seed+nograd_frozen', 'default']
    for r in models:
        assert REQUIRED <= r.keys(), REQUIRED - r.keys()
        assert r['device'] == 'cpu' and r['train_img_per_s'] > 0 and r['repeats'] == 1
        assert r['peak_mem_mb'] > 0 and 'fresh process' in r['mem_method']  # CPU configs run isolated by default
    seed, nograd, default = models
    assert seed['train_speedup_vs_seed'] == 1 and seed['fwd_speedup_vs_seed'] == 1
    assert nograd['fwd_ms_per_img'] is None and nograd['fwd_speedup_vs_seed'] is None  # training-only change
    assert default['batch_size'] == 2 and seed['batch_size'] == 1 and default['equal_batch'] is False
    data = [r for r in recs if r['kind'] == 'data']
    assert sorted(r['config'] for r in data) == ['data_pipeline', 'synth']
    assert all('error' not in r['details'] and r['images_per_s'] > 1 for r in data), data
    text = md.read_text()
    assert 'GPU numbers' in text and '<!-- bench:cpu-quick -->' in text and '<!-- /bench:cpu-quick -->' in text
    assert 'ear-teacher bench --configs seed,seed+nograd_frozen,default --device cpu --repeats 1 --quick' in text
    assert 'torch' in text and '| default |' in text

def test_in_process_run_and_ratios():
    recs = run_bench(BenchConfig(configs=['seed', 'seed+sdpa'], device='cpu', quick=True, repeats=1, warmup=0,
                                 isolate=False, data=False))
    assert len(recs) == 2 and all(r['peak_mem_mb'] is None for r in recs)  # CPU without isolation: not measured
    assert recs[1]['equal_batch'] and recs[1]['fwd_speedup_vs_seed'] > 0
    no_seed = add_ratios([dict(recs[1], config='other')])
    assert no_seed[0]['train_speedup_vs_seed'] is None

def test_registry_and_device_lists():
    cpu, cuda = BenchConfig(device='cpu').resolved(), BenchConfig(device='cuda').resolved()
    for names in (cpu.configs, cuda.configs):
        assert {'seed', 'default', 'default@seed_batch', 'seed+res224', 'seed+sdpa', 'seed+nograd_frozen', 'default@256'} <= set(names)
    assert not {'seed+bf16', 'seed+channels_last', 'default+compile'} & set(cpu.configs)
    assert {'seed+bf16', 'seed+channels_last', 'default@448', 'default@512'} <= set(cuda.configs)
    assert 'default+compile' in BenchConfig(device='cpu', compile=True).resolved().configs
    assert (cpu.seed_batch_size, cuda.seed_batch_size, cpu.isolate, cuda.isolate) == (1, 4, True, False)
    with pytest.raises(ValueError, match='unknown bench config'): BenchConfig(configs=['turbo']).resolved()

def test_flop_count_native_resolution():
    assert 20 < model_gflops(preset_config('seed')) / model_gflops(preset_config('default')) < 30

def test_markdown_sections_coexist(tmp_path):
    p = tmp_path/'B.md'
    update_markdown(p, 'cpu', 'one'); update_markdown(p, 'cuda', 'two'); update_markdown(p, 'cpu', 'three')
    t = p.read_text()
    assert 'three' in t and 'two' in t and 'one' not in t and t.count('<!-- bench:cpu -->') == 1

# Each optimisation against the plain path (eager, grad through frozen, fp32, contiguous) on the same weights and noise.
def test_sdpa_matches_eager():
    e = equivalence(dict(attn_implementation='sdpa'))
    assert e['recon'] < 1e-4 and e['mu'] < 1e-4 and e['grads'] < 1e-4 and not e['only_plain'] and not e['only_other']

def test_nograd_frozen_prefix_same_output_and_grads():
    e = equivalence(dict(grad_through_frozen=False))
    assert e['recon'] == 0 and e['mu'] == 0 and e['loss'] == 0 and e['grads'] < 1e-6
    assert e['only_plain'] == ['encoder.backbone.sam_encoder.pos_embed'] and not e['only_other']  # documented exception

def test_checkpointing_same_output_and_grads():
    e = equivalence(dict(checkpointing=True))
    assert e['recon'] == 0 and e['grads'] < 1e-6 and not e['only_plain'] and not e['only_other']

def test_channels_last_same_output_and_grads():
    e = equivalence(dict(channels_last=True))
    assert e['recon'] < 1e-4 and e['mu'] < 1e-4 and e['grads'] < 1e-4

def test_bf16_autocast_within_bf16_tolerance():
    e = equivalence(dict(precision='bf16'))
    assert e['recon'] < 5e-2 and e['mu'] < 5e-2 and e['loss'] < 5e-2

def test_failing_config_is_recorded_and_the_run_goes_on():
    from ear_teacher.bench import BenchVariant, register_bench
    register_bench('broken', BenchVariant(preset='no-such-preset'))
    try:
        recs = run_bench(BenchConfig(configs=['broken', 'seed'], device='cpu', quick=True, repeats=1, warmup=0, isolate=False, data=False))
    finally: BENCH_CONFIGS.pop('broken')
    assert 'unknown preset' in recs[0]['error'] and recs[0]['train_speedup_vs_seed'] is None and recs[1]['train_img_per_s'] > 0
