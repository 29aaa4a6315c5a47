/* misc_open() calls ->open of a misc device's file operations with
 * misc_mtx held (config/entries.toml, `within`); other file operations
 * run with no lock. Here reclaim takes misc_mtx (evict_inode deregisters a
 * device), so an allocation in a misc device's ->open keeps NOFS, whether
 * its table is stored by an initialiser or by an assignment; the twin, a
 * plain file's ->open, does not need it. */
struct my_ls {
	struct miscdevice dev;
};

static void my_evict_inode(struct inode *inode)
{
	mutex_lock(&misc_mtx);
	remove_device(inode);
	mutex_unlock(&misc_mtx);
}

static int ctl_open(struct inode *inode, struct file *file)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	return 0;
}

static int dev_open(struct inode *inode, struct file *file)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	return 0;
}

static int plain_open(struct inode *inode, struct file *file)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return 0;
}

static const struct file_operations ctl_fops = { .open = ctl_open };
static const struct file_operations dev_fops = { .open = dev_open };
static const struct file_operations plain_fops = { .open = plain_open };

static struct miscdevice ctl_device = {
	.name = "my-control",
	.fops = &ctl_fops,
};

static int my_register(struct my_ls *ls)
{
	ls->dev.fops = &dev_fops;
	return misc_register(&ls->dev);
}

static const struct super_operations my_sops = {
	.evict_inode = my_evict_inode,
};
