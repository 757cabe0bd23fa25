"""The names the demo's source step leaves in its output folder, shared by
:mod:`.sources` (which trains them) and :mod:`.variant` (which links them
instead of training again)."""

SUPERNET = 'supernet_source.pth'
SOURCE_STEPS = dict(source='supernet_source', static='static_source',
                    seeded='supernet_from_static')  # done name -> config
SOURCE_FILES = (SUPERNET, *SOURCE_STEPS.values(),
                *(f'{done}.done' for done in SOURCE_STEPS))
