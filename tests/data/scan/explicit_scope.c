/* Explicit scopes: save/restore pairs, control flow, current->flags. */
int early_restore(int err)
{
	unsigned int nofs = memalloc_nofs_save();

	if (err) {
		memalloc_nofs_restore(nofs);
		goto out;
	}
	p = kmalloc(1, GFP_NOFS);			/* expect: redundant always */
	memalloc_nofs_restore(nofs);
out:
	q = kmalloc(1, GFP_NOFS);			/* expect: keep unknown */
	return 0;
}

void noio_scope(void)
{
	unsigned int noio = memalloc_noio_save();

	p = kmalloc(1, GFP_NOFS);			/* expect: redundant always */
	memalloc_noio_restore(noio);
}

void flags_scope(int n)
{
	current->flags |= PF_MEMALLOC_NOFS;
	while (n--)
		p = kmalloc(1, GFP_NOFS);		/* expect: redundant always */
	current->flags &= ~PF_MEMALLOC_NOFS;
	q = kmalloc(1, GFP_NOFS);			/* expect: keep unknown */
}
