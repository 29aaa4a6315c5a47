/* A call through a function pointer field of a struct the caller
 * initialised (free_log_tree(): `struct walk_control wc = { .free = 1,
 * .process_func = process_one_buffer };` then walk_log_tree(log, &wc),
 * which calls wc->process_func()) runs only the function the initialiser
 * names. Twin: a field the caller assigns later may hold any function
 * stored there, so the walk of the replay, which holds no lock, may run
 * fx_process_one() too, and a scope after the free path's lock would not
 * cover it. */
static unsigned long fx_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct fx_log *log = s->private_data;

	mutex_lock(&log->lock);
	mutex_unlock(&log->lock);
	return 0;
}

static struct shrinker fx_shrinker = {
	.scan_objects = fx_scan,
};

struct fx_walk {
	int free;
	int (*process)(struct fx_log *log, struct fx_walk *wc);
};

static int fx_walk_tree(struct fx_log *log, struct fx_walk *wc)
{
	return wc->process(log, wc);
}

static int fx_process_one(struct fx_log *log, struct fx_walk *wc)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	return 0;
}

static int fx_replay_one(struct fx_log *log, struct fx_walk *wc)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return 0;
}

static void fx_free_log(struct work_struct *work)
{
	struct fx_log *log = container_of(work, struct fx_log, free_work);
	struct fx_walk wc = {
		.free = 1,
		.process = fx_process_one,
	};

	mutex_lock(&log->lock);
	fx_walk_tree(log, &wc);
	mutex_unlock(&log->lock);
}

static void fx_replay_log(struct work_struct *work)
{
	struct fx_log *log = container_of(work, struct fx_log, replay_work);
	struct fx_walk wc = {
		.process = fx_process_one,
	};

	wc.process = fx_replay_one;
	fx_walk_tree(log, &wc);
}

void fx_setup(struct fx_log *log)
{
	INIT_WORK(&log->free_work, fx_free_log);
	INIT_WORK(&log->replay_work, fx_replay_log);
}
