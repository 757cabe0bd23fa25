"""Supernet vs static network, measured side by side in one run.

Prints ratios (goals in brackets):
* train step time, SparseSuperNet (one sampled path) / TransNASNet of the
  same arch  [<= 1.05]
* peak memory allocated by a training step, same pair [<= 1.10]; the
  resident parameters (O(C*N) for the supernet) are printed beside it
* searchable params when layers per stage are doubled [exactly 2.0], and
  with two candidate sets together vs apart [exactly 1.0]: O(C*N)
* distinct sub-networks embedded vs a chain-only space of the same C, N
"""
import argparse
import json
import statistics
import time

import numpy as np
import torch

import transnas_mm  # noqa: F401
from transnas_mm import SparseSuperNet, TransNASNet
from transnas_mm.space import build_space


def _model(kind: str, arch_seed: int):
    net = SparseSuperNet(out_indices=(0, 1, 3, 5))
    arch = net.sample_arch(np.random.default_rng(arch_seed))
    if kind == 'supernet':
        net.set_arch(arch)
        return net
    static = TransNASNet(arch, out_indices=(0, 1, 3, 5))
    static.load_state_dict(net.export_subnet(arch))
    return static


def _step(model, opt, x) -> None:
    opt.zero_grad(set_to_none=True)
    loss = sum(o.float().mean() for o in model(x))
    loss.backward()
    opt.step()


def time_steps(args) -> dict:
    """Alternate the two models step by step so load drifts hit both."""
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    torch.manual_seed(0)
    models = {k: _model(k, args.arch_seed).to(device).train()
              for k in ('supernet', 'static')}
    opts = {k: torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
            for k, m in models.items()}
    x = torch.randn(args.batch, 3, args.size, args.size, device=device)
    times = {k: [] for k in models}
    for i in range(args.warmup + args.steps):
        for k in models:
            if device == 'cuda':
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            _step(models[k], opts[k], x)
            if device == 'cuda':
                torch.cuda.synchronize()
            if i >= args.warmup:
                times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def peak_memory(kind: str, args) -> int:
    """Peak bytes allocated during a training step above its start. GPU:
    the allocator's peak. CPU: the running sum of the profiler's per-op
    allocations and frees, in time order."""
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    torch.manual_seed(0)
    model = _model(kind, args.arch_seed).to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(args.batch, 3, args.size, args.size, device=device)
    _step(model, opt, x)  # momentum buffers exist, as in steady state
    if device == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        _step(model, opt, x)
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - before
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU],
                 profile_memory=True) as prof:
        _step(model, opt, x)
    events = sorted(prof.events(), key=lambda e: e.time_range.start)
    current = peak = 0
    for e in events:
        current += e.self_cpu_memory_usage
        peak = max(peak, current)
    return peak


def searchable_params(**kwargs) -> int:
    net = SparseSuperNet(out_indices=(0, ), **kwargs)
    return sum(p.numel() for p in net.layers.parameters())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--size', type=int, default=128)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--arch-seed', type=int, default=0)
    args = parser.parse_args()

    t = time_steps(args)
    mem = {k: peak_memory(k, args) for k in ('supernet', 'static')}
    resident = {k: sum(p.numel() * p.element_size() for p in
                       _model(k, args.arch_seed).parameters())
                for k in ('supernet', 'static')}
    uniform = dict(stem_channels=32)
    c1, c2 = ['mb_k3e3', 'mb_k5e3', 'mb_k7e3'], ['mb_k3e6', 'mb_k5e6',
                                                 'mb_k7e6']
    p_n = searchable_params(stages=[(4, 32, 1)], candidates=c1, **uniform)
    p_2n = searchable_params(stages=[(8, 32, 1)], candidates=c1, **uniform)
    p_c2 = searchable_params(stages=[(4, 32, 1)], candidates=c2, **uniform)
    p_2c = searchable_params(stages=[(4, 32, 1)], candidates=c1 + c2,
                             **uniform)
    space = build_space()
    result = dict(
        device='cuda' if torch.cuda.is_available() else 'cpu',
        input=[args.batch, 3, args.size, args.size],
        step_time_s=t,
        step_time_ratio=t['supernet'] / t['static'],
        peak_mem_bytes=mem,
        peak_mem_ratio=mem['supernet'] / max(mem['static'], 1),
        resident_param_bytes=resident,
        params_ratio_double_layers=p_2n / p_n,
        params_candidates_additivity=p_2c / (p_n + p_c2),
        subnets=space.count_subnets(),
        subnets_chain_only=space.count_subnets(chain_only=True),
        subnets_ratio=space.count_subnets() /
        space.count_subnets(chain_only=True),
    )
    print(f"step time   supernet/static = {result['step_time_ratio']:.3f} "
          f"(goal <= 1.05; {t['supernet']*1e3:.1f} vs "
          f"{t['static']*1e3:.1f} ms, batch {args.batch}x{args.size}px)")
    print(f"peak memory supernet/static = {result['peak_mem_ratio']:.3f} "
          f"(goal <= 1.10; {mem['supernet']/2**20:.0f} vs "
          f"{mem['static']/2**20:.0f} MiB allocated at peak)")
    print(f"resident parameters: supernet {resident['supernet']/2**20:.1f} "
          f"MiB vs static {resident['static']/2**20:.1f} MiB (all C "
          f"candidates kept, O(C*N))")
    print(f"params, 2x layers per stage: "
          f"x{result['params_ratio_double_layers']:.3f} (goal 2.000); "
          f"candidates C1+C2 vs C1, C2 apart: "
          f"{result['params_candidates_additivity']:.3f} (goal 1.000)")
    print(f"sub-networks: {result['subnets']:.3e} vs chain-only "
          f"{result['subnets_chain_only']:.3e} "
          f"(x{result['subnets_ratio']:.0f})")
    print(json.dumps(result))


if __name__ == '__main__':
    main()
