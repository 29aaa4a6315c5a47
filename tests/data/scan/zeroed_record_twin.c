/* The twin of zeroed_record.c: the scrub sets sx.context.bufsize after
 * zeroing, so its call reaches the allocation inside its scope. */
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

	if (context->bufsize == 0 || context->count < 4) {
		zr_put_all(context);
		return 0;
	}
	sbuf = kmalloc(64, GFP_NOFS);			/* expect: mixed sometimes */
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

static int zr_scrub_sized(void *sc)
{
	struct zr_scrub sx;
	unsigned int nofs;
	int error;

	memset(&sx, 0, sizeof(sx));
	sx.context.dp = sc;
	sx.context.bufsize = 4096;
	nofs = memalloc_nofs_save();
	error = zr_list_ilocked(&sx.context);
	memalloc_nofs_restore(nofs);
	return error;
}

static const struct inode_operations zr_iops = {
	.listxattr	= zr_listxattr,
};
