# Search hook blocks of the real-scale targets (COCO, CUB-200).

# Evolution as in the paper's scale: 50 per generation, 20 generations;
# after the first, the predicted better half of each generation's children
# is scored (the predictor), 525 candidates in all. Both hooks score by
# their default fitness: the search-split metric after a 180-step proxy
# finetune of each candidate, warmed up and cosine-annealed
# (``DEFAULT_PROXY``; the rank studies in docs/results/search_fitness.md).
# With N GPUs each rank scores its share of a generation. Sized by
# tools/analysis/search_cost.py so that both searches cost at most the
# target adaptation's schedule (docs/results/cost.md); a target whose
# adaptation is short (CUB) sets a smaller search of its own.
arch_search = dict(
    type='transnas_mm.ArchSearchHook',
    search=dict(population=50, generations=20, top_k=10, mutation_prob=0.1,
                num_mutation=25, num_crossover=25),
    predictor=dict(keep=0.5),
    constraints=dict())  # e.g. dict(flops=(0, 3.0e9)) at input_shape
# NWS on the found arch: greedy coordinate ascent over layers (plain
# inheritance first, so it never scores below it on the search split); the
# held-out split (test_dataloader) is scored for the report only.
weight_search = dict(
    type='transnas_mm.WeightSearchHook',
    mode='greedy',
    search=dict(passes=1),
    heldout=True)
