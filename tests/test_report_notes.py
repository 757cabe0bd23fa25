"""The report's per-target notes: with several search seeds, each seed's
search results are reported under its own label, not seed 0's alone."""
from transnas_mm.comparison.notes import target_notes
from transnas_mm.comparison.target import TargetResult
from transnas_mm.search.summaries import (ArchSummary, SearchSplitScores,
                                          WeightSources)


def _search(noise: float, nws: float, changed: int):
    summary = ArchSummary(
        metric_key='coco/bbox_mAP', rule='max', best_score=0.5,
        best_value=0.5, best_metrics={}, flops=1, params=1, latency_ms=None,
        generations_done=2, evaluated=12, rejected=0, skipped_by_predictor=0,
        predictor=[], raced=0, images_evaluated=0, input_shape=[64, 64],
        median_score=0.4, score_noise=noise, best_minus_median=0.1,
        best_minus_median_over_noise=0.1 / noise, selected_by='search score',
        rerank=[])
    sources = WeightSources(
        metric_key='coco/bbox_mAP',
        search_split=SearchSplitScores(plain=0.4, nws=nws, best_found=nws),
        noise=noise, margin=2 * noise, kept_plain=not changed, heldout=None,
        evaluated=8, raced=0, images_evaluated=0,
        layers=[dict(changed=i < changed) for i in range(4)])
    return summary, sources


def _result(*searches) -> TargetResult:
    return TargetResult('coco/bbox_mAP', [], nws=[w for _, w in searches],
                        summary=[s for s, _ in searches])


def test_one_search_seed_is_reported_without_a_seed_label():
    notes = target_notes('frcnn', _result(_search(0.001, 0.45, 1)))
    assert [n.split(':')[0] for n in notes] == ['frcnn'] * 3
    assert 'search split 0.4500 vs 0.4000' in notes[0]
    assert notes[2].endswith('1 layer(s) changed')


def test_each_search_seed_is_reported_under_its_own_label():
    notes = target_notes('frcnn', _result(_search(0.001, 0.45, 1),
                                          _search(0.004, 0.52, 0)))
    assert [n.split(':')[0] for n in notes] == \
        ['frcnn (search seed 0)'] * 3 + ['frcnn (search seed 1)'] * 3
    assert 'search split 0.5200 vs 0.4000' in notes[3]
    assert 'draws) 0.0040' in notes[4] and '(25.0x the noise)' in notes[4]
    assert 'kept plain inheritance' in notes[5]
