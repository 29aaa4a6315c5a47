/* A local struct zeroed by memset() and then given some fields is a
 * record like a designated initialiser's: the fields it never sets are 0,
 * also in a member whose address a call gets. xchk_xattr() zeroes its
 * xchk_xattr, sets some of sx.context and hands &sx.context to
 * xfs_attr_list_ilocked(); with a bufsize of 0, xfs_attr_shortform_list()
 * returns before its sort buffer, so the scrub's scope never covers that
 * allocation: listxattr(2) is its only context. A tracepoint given the
 * context before the test changes none of it. The twin
 * (zeroed_record_twin.c) sets bufsize, and the scope covers it. */
struct zr_context {
	void *dp;
	int bufsize;
	int count;
};

struct zr_scrub {
	struct zr_context context;
	void *sc;
};

static int zr_shortform_list(struct zr_context *context)
{
	void *sbuf;

	trace_zr_list(context);
	if (context->bufsize == 0 || context->count < 4) {
		zr_put_all(context);
		return 0;
	}
	sbuf = kmalloc(64, GFP_NOFS);			/* expect: unneeded never */
	kfree(sbuf);
	return 0;
}

static int zr_list_ilocked(struct zr_context *context)
{
	return zr_shortform_list(context);
}

static int zr_listxattr(struct dentry *dentry, char *data, size_t size)
{
	struct zr_context context;

	memset(&context, 0, sizeof(context));
	context.dp = d_inode(dentry);
	context.bufsize = size;
	return zr_list_ilocked(&context);
}

static int zr_scrub(void *sc)
{
	struct zr_scrub sx;
	unsigned int nofs;
	int error;

	memset(&sx, 0, sizeof(sx));
	sx.context.dp = sc;
	sx.sc = sc;
	nofs = memalloc_nofs_save();
	error = zr_list_ilocked(&sx.context);
	memalloc_nofs_restore(nofs);
	return error;
}

/* `= { 0 }` zeroes every field the same way */
static int zr_scrub_init(void *sc)
{
	struct zr_scrub sx = { 0 };
	unsigned int nofs;
	int error;

	sx.context.dp = sc;
	nofs = memalloc_nofs_save();
	error = zr_list_ilocked(&sx.context);
	memalloc_nofs_restore(nofs);
	return error;
}

static const struct inode_operations zr_iops = {
	.listxattr	= zr_listxattr,
};
