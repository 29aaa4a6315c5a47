/* The address of a local that holds NULL, passed down: the in-memory COW
 * conversion calls xfs_bmap_add_extent_unwritten_real(NULL, .., &dummy_cur,
 * ..), whose `cur = *curp; if (cur == NULL) .. else xfs_btree_delete(cur)`
 * never reaches the btree code. The call is in a loop, so the callee must
 * leave *curp as it found it: convert() stores back only cur itself, and
 * writes cur only in a call it rules out. convert_new() stores a new cursor,
 * so the next iteration may pass one and its btree code can run. */
static void btree_delete(struct cur *cur)
{
	cur->bc_nlevels--;
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
}

static void btree_delete2(struct cur *cur)
{
	cur->bc_nlevels--;
	p = kmalloc(8, GFP_NOFS);			/* expect: mixed sometimes */
}

static int convert(struct xfs_trans *tp, struct cur **curp, int fork)
{
	struct cur *cur;

	cur = *curp;
	if (cur == NULL)
		tp_count++;
	else
		btree_delete(cur);
	if (fork != COW_FORK)
		to_btree(tp, &cur);
	*curp = cur;
	return 0;
}

static int convert_new(struct xfs_trans *tp, struct cur **curp)
{
	struct cur *cur;

	cur = *curp;
	if (cur)
		btree_delete2(cur);
	else
		*curp = cur_new();
	return 0;
}

static void cow_worker(struct work_struct *work)
{
	struct cur *dummy = NULL;
	struct cur *other = NULL;
	int i;

	for (i = 0; i < 4; i++) {
		convert(NULL, &dummy, COW_FORK);
		convert_new(NULL, &other);
	}
}

static void trans_worker(struct work_struct *work)
{
	struct xfs_trans *tp;
	struct cur *cur = cur_init();

	if (xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp))
		return;
	convert(tp, &cur, DATA_FORK);
	convert_new(tp, &cur);
	xfs_trans_commit(tp);
}

void start_workers(struct osb *osb)
{
	INIT_WORK(&osb->w1, cow_worker);
	INIT_WORK(&osb->w2, trans_worker);
}
