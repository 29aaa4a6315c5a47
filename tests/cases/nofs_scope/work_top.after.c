/* Eviction flushes the push workqueue: the push work needs a scope over
 * all of it, saved first and restored at each return and at its end. */
static void push_work(struct work_struct *work)
{
	unsigned int nofs_flags = memalloc_nofs_save();
	struct cil *cil = container_of(work, struct cil, push);
	void *ctx;

	if (!cil->pending) {
		memalloc_nofs_restore(nofs_flags);
		return;
	}
	ctx = kmalloc(64, GFP_NOFS);
	if (!ctx)
		goto out;
	cil->ctx = ctx;
	memalloc_nofs_restore(nofs_flags);
	return;
out:
	cil->failed = 1;
	memalloc_nofs_restore(nofs_flags);
}

static void cil_force(struct cil *cil)
{
	flush_workqueue(cil->push_wq);
}

static void cil_evict_inode(struct inode *inode)
{
	cil_force(inode_cil(inode));
	clear_inode(inode);
}

static const struct super_operations cil_sops = {
	.evict_inode = cil_evict_inode,
};

void cil_init(struct cil *cil)
{
	INIT_WORK(&cil->push, push_work);
	queue_work(cil->push_wq, &cil->push);
}
