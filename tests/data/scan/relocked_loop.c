/* A lock released in a loop that takes it again, as in
 * ubifs_lpt_start_commit(): a restore before that unlock would also run
 * for the section the loop reopens, which no save opened, and leave it
 * unscoped. NOFS stays. The twin releases in the loop only a lock the loop
 * itself took (hpfs_trim_fs()): its first section gets the scope. */
struct lpt {
	struct work_struct work;
	struct work_struct twin_work;
	struct mutex lp_mutex;
};

static DEFINE_MUTEX(big);

static unsigned long lpt_scan(struct shrinker *s, struct shrink_control *sc)
{
	mutex_lock(&big);
	mutex_unlock(&big);
	return 0;
}

static struct shrinker lpt_shrinker = {
	.scan_objects = lpt_scan,
};

static void start_commit(struct work_struct *work)
{
	mutex_lock(&big);
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	check(p);
	while (need_write_all(p)) {
		mutex_unlock(&big);
		gc(p);
		mutex_lock(&big);
	}
	layout(p);
	mutex_unlock(&big);
}

static void trim(struct work_struct *work)
{
	mutex_lock(&big);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	check(p);
	mutex_unlock(&big);
	while (more(p)) {
		mutex_lock(&big);
		gc(p);
		mutex_unlock(&big);
	}
}

void lpt_setup(struct lpt *l)
{
	INIT_WORK(&l->work, start_commit);
	INIT_WORK(&l->twin_work, trim);
}
