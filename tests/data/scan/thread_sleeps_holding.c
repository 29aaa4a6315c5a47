/* A kthread takes rc->lock when its space stops and releases it only
 * after the start it sleeps for (dlm_recoverd()'s ls_in_recovery); the
 * shrinker takes rc->lock too. fx_start() wakes the thread: FS reclaim
 * entered before the wake could wait for rc->lock, held by the thread,
 * which waits for this task. After the wake, and for the twin thread that
 * drops its lock before it sleeps, nothing waits for this task. */
struct fx_rc {
	struct mutex lock;
	struct task_struct *task;
	struct task_struct *calm_task;
	unsigned long flags;
};

static unsigned long fx_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct fx_rc *rc = s->private_data;

	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	mutex_lock(&rc->lock);
	fx_trim(rc);
	mutex_unlock(&rc->lock);
	return 0;
}

static struct shrinker fx_shrinker = {
	.scan_objects = fx_scan,
};

static int fx_thread(void *arg)
{
	struct fx_rc *rc = arg;

	mutex_lock(&rc->lock);
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!test_bit(FX_START, &rc->flags))
			schedule();
		set_current_state(TASK_RUNNING);
		if (test_and_clear_bit(FX_START, &rc->flags))
			fx_recover(rc);
	}
	mutex_unlock(&rc->lock);
	return 0;
}

static int fx_calm_thread(void *arg)
{
	struct fx_rc *rc = arg;

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		schedule();
		mutex_lock(&rc->lock);
		fx_recover(rc);
		mutex_unlock(&rc->lock);
	}
	return 0;
}

int fx_thread_start(struct fx_rc *rc)
{
	struct task_struct *p;

	p = kthread_run(fx_thread, rc, "fx_thread");
	if (IS_ERR(p))
		return PTR_ERR(p);
	rc->task = p;
	rc->calm_task = kthread_run(fx_calm_thread, rc, "fx_calm");
	return 0;
}

static ssize_t fx_start_store(struct kobject *kobj, struct attribute *attr, const char *buf,
			      size_t len)
{
	struct fx_rc *rc = kobj_rc(kobj);

	rc->args = kmalloc(8, GFP_NOFS);		/* expect: keep never */
	set_bit(FX_START, &rc->flags);
	wake_up_process(rc->task);
	rc->done = kmalloc(8, GFP_NOFS);		/* expect: unneeded never */
	return len;
}

static ssize_t fx_calm_store(struct kobject *kobj, struct attribute *attr, const char *buf,
			     size_t len)
{
	struct fx_rc *rc = kobj_rc(kobj);

	rc->args = kmalloc(8, GFP_NOFS);		/* expect: unneeded never */
	wake_up_process(rc->calm_task);
	return len;
}

static const struct sysfs_ops fx_sysfs_ops = {
	.store = fx_start_store,
};

static const struct sysfs_ops fx_calm_sysfs_ops = {
	.store = fx_calm_store,
};
