"""nofsbot: retire GFP_NOFS in favour of memalloc_nofs_save()/restore() scopes."""

__version__ = "0.1.0"
