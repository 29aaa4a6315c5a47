/* A critical section that holds the allocation and nothing else: a scope
 * after the lock would wrap that one allocation, which only moves the flag
 * (domain.md section 1; `nofsbot review` calls it single-allocation-scope),
 * so NOFS stays, as in btrfs's sb_write_pointer(), and the reason names
 * that lock, not every lock held around it: outer, which reclaim takes
 * before big, and the section's lock calls are no work of their own. The twin's section does more
 * than allocate: the scope is worth proposing. */
struct cache {
	struct work_struct alone_work;
	struct work_struct busy_work;
};

static DEFINE_MUTEX(big);
static DEFINE_MUTEX(outer);

static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	mutex_lock(&outer);
	mutex_lock(&big);
	mutex_unlock(&big);
	mutex_unlock(&outer);
	return 0;
}

static struct shrinker cache_shrinker = {
	.scan_objects = cache_scan,
};

static void alone(struct work_struct *work)
{
	mutex_lock(&outer);
	mutex_lock(&big);
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	mutex_unlock(&big);
	mutex_unlock(&outer);
}

static void busy(struct work_struct *work)
{
	mutex_lock(&big);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	fill(p);
	mutex_unlock(&big);
}

void cache_setup(struct cache *c)
{
	INIT_WORK(&c->alone_work, alone);
	INIT_WORK(&c->busy_work, busy);
}
