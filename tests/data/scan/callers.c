/* Callers nofsbot cannot see: exports and ops tables; and scoped ops fields. */
int exported_alloc(void)
{
	return kmalloc(8, GFP_NOFS) != NULL;		/* expect: keep unknown */
}
EXPORT_SYMBOL(exported_alloc);

static int op_alloc(struct inode *inode)
{
	return kmalloc(8, GFP_NOFS) != NULL;		/* expect: keep unknown */
}

static void rpc_done(struct rpc_task *task, void *data)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
}

static const struct inode_operations my_iops = {
	.setattr = op_alloc,
};

static const struct rpc_call_ops my_rpc_ops = {
	.rpc_call_done = rpc_done,
};

static int kjournald2(void *arg)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	return 0;
}
