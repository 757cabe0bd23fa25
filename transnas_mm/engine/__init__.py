from .subnet_val_loop import SubnetValLoop, find_supernet

__all__ = ['SubnetValLoop', 'find_supernet']
