"""The report's notes and figure titles: with several search seeds, each
seed's search results are reported under its own label, not seed 0's
alone; the recorded cost counts every step, not the last invocation's."""
import json
import sys

from transnas_mm.comparison.notes import target_notes
from transnas_mm.comparison.steps import Steps, recorded_seconds
from transnas_mm.comparison.target import TargetResult, search_figures
from transnas_mm.search.outputs.summaries import (ArchSummary,
                                                  SearchSplitScores,
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


def test_search_figures_say_which_seed_they_show():
    one = search_figures('/s', 1)
    assert 'search curve' in one and one['search curve'] == \
        '/s/search_curve.png'
    several = search_figures('/s', 3)
    assert set(several) == {f'{t} (search seed 0)' for t in one}
    assert list(several.values()) == list(one.values())


def test_recorded_seconds_add_every_step_of_the_folder(tmp_path):
    """Steps done by an earlier invocation count too (the report's cost
    of its results, not of its last invocation)."""
    steps = Steps(str(tmp_path), warm=False)
    (tmp_path / 'row').mkdir()
    (tmp_path / 'row' / 'finetune.done').write_text(
        json.dumps(dict(seconds=170.5)))
    (tmp_path / 'search.done').write_text(json.dumps(dict(seconds=30.0)))
    (tmp_path / 'notes.txt').write_text('not a step')
    assert recorded_seconds(str(tmp_path)) == 200.5
    steps.once(str(tmp_path / 'row' / 'test.done'), 'test',
               [sys.executable, '-c', 'pass'], str(tmp_path / 'test.log'))
    assert 200.5 < recorded_seconds(str(tmp_path)) < 260.0


def test_the_search_head_start_is_reported_with_its_scores():
    summary, sources = _search(0.001, 0.45, 1)
    summary.head_start = dict(picked='fresh', search_split=dict(
        adapted=0.0455, fresh=0.3333))
    notes = target_notes('frcnn', _result((summary, sources)))
    assert ("frcnn: the searches' proxy finetunes started from the fresh "
            'heads (reference arch after the proxy: adapted 0.0455, fresh '
            '0.3333)') in notes
    # a summary written before the field existed reads as adapted heads
    doc = summary.to_dict()
    doc.pop('head_start')
    assert ArchSummary.from_dict(doc).head_start is None
    assert len(target_notes('frcnn', _result(_search(0.001, 0.45, 1)))) == 3
