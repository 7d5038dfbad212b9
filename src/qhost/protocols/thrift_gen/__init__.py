__all__ = ['ttypes', 'constants', 'BackendService']
