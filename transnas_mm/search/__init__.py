from .calibrate import recalibrate_bn, unwrap
from .evaluate import evaluate

__all__ = ['recalibrate_bn', 'unwrap', 'evaluate']
