/* Callers nofsbot cannot see: exports and ops tables of a struct declared
 * elsewhere; and what config/entries.toml says: scoped ops fields, the VFS
 * calling ->setattr from a system call with no scope. */
int exported_alloc(void)
{
	return kmalloc(8, GFP_NOFS) != NULL;		/* expect: keep unknown */
}
EXPORT_SYMBOL(exported_alloc);

static int op_alloc(struct inode *inode)
{
	return kmalloc(8, GFP_NOFS) != NULL;		/* expect: keep unknown */
}

static int setattr_alloc(struct inode *inode)
{
	return kmalloc(8, GFP_NOFS) != NULL;		/* expect: unneeded never */
}

static void rpc_done(struct rpc_task *task, void *data)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
}

static const struct inode_operations my_iops = {
	.setattr = setattr_alloc,
};

static const struct driver_ops my_driver_ops = {
	.run = op_alloc,
};

static const struct rpc_call_ops my_rpc_ops = {
	.rpc_call_done = rpc_done,
};

static int kjournald2(void *arg)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	return 0;
}

int gpl_exported_alloc(void)
{
	return kmalloc(8, GFP_NOFS) != NULL;		/* expect: keep unknown */
}
EXPORT_SYMBOL_GPL(gpl_exported_alloc);
