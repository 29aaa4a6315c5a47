/* More scope kinds: memalloc_flags_save, a cookie kept in a struct field by
 * helpers, nested jbd2 handles (only the outermost saves), ocfs2, ->readahead. */
static void ctx_begin(struct ctx *c)
{
	c->nofs = memalloc_nofs_save();
}

static void ctx_end(struct ctx *c)
{
	memalloc_nofs_restore(c->nofs);
}

int cookie_user(struct ctx *c)
{
	ctx_begin(c);
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	ctx_end(c);
	return kmalloc(8, GFP_NOFS) != NULL;		/* expect: keep unknown */
}

int flags_user(void)
{
	unsigned int flags = memalloc_flags_save(PF_MEMALLOC_NOFS);

	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	memalloc_flags_restore(flags);
	return 0;
}

int nested_handles(journal_t *j)
{
	handle_t *outer = jbd2_journal_start(j, 2);
	handle_t *inner = jbd2_journal_start(j, 1);

	jbd2_journal_stop(inner);
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	jbd2_journal_stop(outer);
	return ocfs2_op(j);
}

static int ocfs2_op(struct ocfs2_super *osb)
{
	handle_t *h = ocfs2_start_trans(osb, 1);

	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	return ocfs2_commit_trans(osb, h);
}

static void my_readahead(struct readahead_control *rac)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
}

static const struct address_space_operations my_aops = {
	.readahead = my_readahead,
};

gfp_t pick_mask(int nofs)
{
	return GFP_NOFS;				/* expect: keep unknown return */
}
