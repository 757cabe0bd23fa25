# Search hook blocks of the real-scale targets (COCO, CUB-200).

# Evolution as in the paper's scale: 50 per generation, 20 generations.
# Both hooks score by their default fitness: the search-split metric after
# a 180-step proxy finetune of each candidate, warmed up and cosine-
# annealed (``DEFAULT_PROXY``; the rank studies in
# docs/results/search_fitness.md). ``proxy=dict(iters=..., rungs=
# (...))`` makes it a budget ladder; ``fitness='inherited'`` turns it off.
arch_search = dict(
    type='transnas_mm.ArchSearchHook',
    search=dict(population=50, generations=20, top_k=10, mutation_prob=0.1,
                num_mutation=25, num_crossover=25),
    constraints=dict())  # e.g. dict(flops=(0, 3.0e9)) at input_shape
# NWS on the found arch: greedy coordinate ascent over layers (plain
# inheritance first, so it never scores below it on the search split); the
# held-out split (test_dataloader) is scored for the report only.
weight_search = dict(
    type='transnas_mm.WeightSearchHook',
    mode='greedy',
    search=dict(passes=1),
    heldout=True)
