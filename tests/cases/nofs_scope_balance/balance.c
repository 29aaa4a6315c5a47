/* The scope balance checker: two leaks, and two twins that must stay quiet. */
int leaky(int err)
{
	unsigned int nofs = memalloc_nofs_save();

	if (err)
		return err;				/* leak */
	memalloc_nofs_restore(nofs);
	return 0;
}

int balanced(int err)
{
	unsigned int nofs = memalloc_nofs_save();

	if (err) {
		memalloc_nofs_restore(nofs);
		return err;
	}
	memalloc_nofs_restore(nofs);
	return 0;
}

void falls_off(void)
{
	unsigned int flags;

	flags = memalloc_noio_save();		/* leak */
	work();
}

void cookie(struct trans *tp)
{
	tp->t_pflags = memalloc_nofs_save();
}
