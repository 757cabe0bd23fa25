"""The files both searches leave in their output folder (``work_dir/
search`` by default), named once: the jobs write them, the comparison
and the tools read them."""

# the arch search
ARCH_FILE = 'arch.json'  # the chosen arch (TransNASNet's ``arch``)
ARCH_LOG = 'search_log.jsonl'  # every scored candidate
ARCH_STATE = 'search_state.json'  # what a resume continues from
ARCH_SUMMARY = 'summary.json'
COST_TABLE = 'cost_table.json'  # FLOPs/params per (layer, op)
LATENCY_TABLE = 'latency_table.json'  # ms per (layer, op), this machine
PARETO = 'pareto.json'
HEAD_START = 'head_start.json'  # the heads the proxies start from
ARCH_FIGURES = ('search_curve.png', 'pareto.png', 'arch.png')
# the weight search
WEIGHT_LOG = 'nws_log.jsonl'
WEIGHT_STATE = 'nws_state.json'
WEIGHT_SOURCES = 'weight_sources.json'  # where each layer's weights came
WEIGHT_FIGURE = 'weight_sources.png'
SUBNET = 'subnet.pth'  # the found network's backbone weights
SUBNET_MODEL = 'subnet_model.pth'  # ... with the neck/heads: load_from
FINETUNE_CONFIG = 'finetune.py'  # the ready finetune of the found network
# both
TIMING = 'timing.json'  # seconds per part: adapt, arch, weights
