/* A local struct initialised with designated fields leaves the others
 * zero, and a callee given its address sees them: ext4's inline-data
 * truncate passes an ext4_xattr_info with no in_inode, so
 * ext4_xattr_ibody_set() never creates an EA inode (xattr.c:2211), the
 * only way its eviction path takes alloc_sem. */
struct my_info {
	int name_index;
	const char *name;
	void *value;
	int in_inode;
};

struct my_sb_info {
	struct mutex alloc_sem;
};

static void create_ea_inode(struct inode *inode)
{
	struct my_sb_info *sbi = inode->i_sb->s_fs_info;

	mutex_lock(&sbi->alloc_sem);
	mutex_unlock(&sbi->alloc_sem);
}

static int find_entry(struct inode *inode, struct my_info *i)
{
	return i->name_index;
}

static int ibody_set(struct inode *inode, struct my_info *i)
{
	if (i->value && i->in_inode)
		create_ea_inode(inode);
	return 0;
}

static void truncate_inline(struct inode *inode, void *value)
{
	struct my_info i = {
		.name_index = 7,
		.name = "data",
	};

	find_entry(inode, &i);
	i.value = value;
	ibody_set(inode, &i);
}

static void my_evict_inode(struct inode *inode)
{
	truncate_inline(inode, NULL);
}

static const struct super_operations my_sops = {
	.evict_inode = my_evict_inode,
};

/* twin: a caller that sets in_inode does reach the lock */
struct my_sb_info2 {
	struct mutex other_sem;
};

static void create_ea_inode2(struct inode *inode)
{
	struct my_sb_info2 *sbi = inode->i_sb->s_fs_info;

	mutex_lock(&sbi->other_sem);
	mutex_unlock(&sbi->other_sem);
}

static int ibody_set2(struct inode *inode, struct my_info *i)
{
	if (i->value && i->in_inode)
		create_ea_inode2(inode);
	return 0;
}

static void set_big(struct inode *inode, void *value)
{
	struct my_info i = {
		.name_index = 7,
	};

	i.value = value;
	i.in_inode = 1;
	ibody_set2(inode, &i);
}

static void my_evict_inode2(struct inode *inode)
{
	set_big(inode, NULL);
}

static const struct super_operations my_sops2 = {
	.evict_inode = my_evict_inode2,
};

static long my_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct my_sb_info *sbi = file->f_inode->i_sb->s_fs_info;
	struct my_sb_info2 *sbi2 = file->f_inode->i_sb->s_fs_info;
	void *p;

	mutex_lock(&sbi->alloc_sem);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	mutex_unlock(&sbi->alloc_sem);
	kfree(p);
	mutex_lock(&sbi2->other_sem);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&sbi2->other_sem);
	kfree(p);
	return 0;
}

static const struct file_operations my_fops = {
	.unlocked_ioctl = my_ioctl,
};
