# Search hook blocks the demo targets share. A target config adds its
# objective (search_common), its evolution knobs and, for detection, the
# finetune block.

# NWS as a small raced evolution: a change that cannot beat the best so
# far stops early; plain inheritance is kept unless beaten beyond the noise.
# No held-out scoring inside the search: the NAS + plain and NAS + NWS rows
# measure that comparison after the row finetune, and on RetinaNet scoring
# it here (a proxy finetune of both) cost half a finetune of target compute.
demo_weight_search = dict(
    type='transnas_mm.WeightSearchHook',
    mode='evolution',
    racing=dict(),
    search=dict(population=4, generations=2, top_k=2),
    heldout=False)
# The detection targets' evolution (a small one: 8 per generation). Two
# generations (8 + the predicted better 4 of 8 children = 12 proxy
# finetunes): a third one cost a quarter of the arch search and its picks
# finetuned no better (docs/results/search_fitness.md, "Fewer candidates").
det_arch_search = dict(population=8, generations=2, top_k=4,
                       mutation_prob=0.2, num_mutation=4, num_crossover=4)
