/* A reclaim path sleeps on a server's probe_wq: the dentry shrinker's
 * ->d_iput waits for the server's probes. The probe work wakes it through
 * a direct call: FS reclaim entered there could wait for the work itself.
 * The gc work makes a call whose ->done the call's type chooses; one
 * type's done wakes probe_wq, the gc call is of the other type, and which
 * one runs is not followed: keep, naming the call by pointer. The status
 * work wakes the volume's flags only in fx_check_status(), which sleeps on
 * them too: a bit lock, woken by whichever task took it; when the work is
 * that task is not followed: keep. */
struct fx_server {
	wait_queue_head_t probe_wq;
	struct work_struct probe_work;
	struct work_struct gc_work;
};

struct fx_volume {
	unsigned long flags;
	struct work_struct status_work;
};

struct fx_call_type {
	void (*done)(struct fx_call *call);
};

struct fx_call {
	const struct fx_call_type *type;
	struct fx_server *server;
};

static void probe_result(struct fx_call *call)
{
	wake_up(&call->server->probe_wq);
}

static void give_up_result(struct fx_call *call)
{
	call->server = NULL;
}

static const struct fx_call_type fx_probe_type = {
	.done = probe_result,
};

static const struct fx_call_type fx_give_up_type = {
	.done = give_up_result,
};

static void fx_make_call(struct fx_call *call)
{
	call->type->done(call);
}

static void gc_work(struct work_struct *work)
{
	struct fx_server *s = container_of(work, struct fx_server, gc_work);
	struct fx_call *call = fx_alloc_call(s, &fx_give_up_type);

	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	fx_make_call(call);
}

static void probe_work(struct work_struct *work)
{
	struct fx_server *s = container_of(work, struct fx_server, probe_work);
	struct fx_call *call = fx_alloc_call(s, &fx_probe_type);

	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	probe_result(call);
}

static int fx_check_status(struct fx_volume *v)
{
	if (!test_and_set_bit_lock(FX_UPDATING, &v->flags)) {
		fx_update(v);
		clear_bit_unlock(FX_UPDATING, &v->flags);
		wake_up_bit(&v->flags, FX_UPDATING);
		return 0;
	}
	return wait_on_bit(&v->flags, FX_UPDATING, TASK_UNINTERRUPTIBLE);
}

static void status_work(struct work_struct *work)
{
	struct fx_volume *v = container_of(work, struct fx_volume, status_work);

	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	fx_check_status(v);
}

static void fx_d_iput(struct dentry *dentry, struct inode *inode)
{
	struct fx_server *s = dentry_server(dentry);

	wait_event(s->probe_wq, fx_probes_done(s));
	fx_check_status(dentry_volume(dentry));
	iput(inode);
}

static const struct dentry_operations fx_dops = {
	.d_iput = fx_d_iput,
};

void fx_setup(struct fx_server *s, struct fx_volume *v)
{
	INIT_WORK(&v->status_work, status_work);
	INIT_WORK(&s->probe_work, probe_work);
	INIT_WORK(&s->gc_work, gc_work);
}
