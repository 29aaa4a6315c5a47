/* The iomap helpers call back the ->iomap_begin of the ops object they are
 * given, in their caller's context, with arguments of their own. The
 * write path passes its own ops under sb->lock, which the shrinker takes:
 * its ->iomap_begin needs a scope. The truncate path passes the other ops
 * with no lock held: that ->iomap_begin is
 * never called under sb->lock. */
struct fx_sb {
	struct mutex lock;
};

static unsigned long fx_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct fx_sb *sb = s->private_data;

	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	mutex_lock(&sb->lock);
	fx_trim(sb);
	mutex_unlock(&sb->lock);
	return 0;
}

static struct shrinker fx_shrinker = {
	.scan_objects = fx_scan,
};

static int fx_write_begin(struct inode *inode, loff_t pos, loff_t len, unsigned int flags,
			  struct iomap *iomap, struct iomap *srcmap)
{
	iomap->private = kmalloc(8, GFP_NOFS);		/* expect: needs-scope never */
	return 0;
}

static int fx_zero_begin(struct inode *inode, loff_t pos, loff_t len, unsigned int flags,
			 struct iomap *iomap, struct iomap *srcmap)
{
	iomap->private = kmalloc(8, GFP_NOFS);		/* expect: unneeded never */
	return 0;
}

static const struct iomap_ops fx_write_iomap_ops = {
	.iomap_begin = fx_write_begin,
};

static const struct iomap_ops fx_zero_iomap_ops = {
	.iomap_begin = fx_zero_begin,
};

static ssize_t fx_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct fx_sb *sb = file_sb(iocb->ki_filp);
	ssize_t ret;

	mutex_lock(&sb->lock);
	ret = iomap_file_buffered_write(iocb, from, &fx_write_iomap_ops);
	mutex_unlock(&sb->lock);
	return ret;
}

static int fx_setattr(struct user_namespace *ns, struct dentry *dentry, struct iattr *attr)
{
	return iomap_truncate_page(d_inode(dentry), attr->ia_size, NULL, &fx_zero_iomap_ops);
}

static const struct file_operations fx_fops = {
	.write_iter = fx_write_iter,
};

static const struct inode_operations fx_iops = {
	.setattr = fx_setattr,
};
