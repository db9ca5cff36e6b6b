/* gettxoutsetinfo off the event loop (see rpc_txoutset.h). */
#include "node/rpc/rpc_txoutset.h"

#include "chain/util/err.h"
#include "chain/util/log.h"
#include "chain/util/worker.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/chainstate.h"
#include "node/rpc/rpc_server.h"
#include "node/rpc/rpc_util.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct walk {
    struct rpc_txoutset *owner;
    struct coinstats_job *job;
    const char *name; /* of the hash; NULL for none */
    pthread_t thread;
    bool joined;
    atomic_bool done, cancel;
    int rc;
    char *err;
    struct walk *prev, *next; /* the owner's running walks */
};

struct rpc_txoutset {
    struct node *node;
    int64_t delay_ms;
    int pipe[2]; /* a finished walk writes a byte: the loop then polls */
    struct event *ev;
    struct walk *walks;
};

static void on_pipe(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct rpc_txoutset *t = arg;
    char buf[64];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    rpc_server_wake(t->node->rpc);
}

struct rpc_txoutset *rpc_txoutset_new(struct node *node, int64_t delay_ms, char **err)
{
    struct rpc_txoutset *t = xcalloc(1, sizeof(*t));
    t->node = node;
    t->delay_ms = delay_ms;
    if (pipe(t->pipe) < 0) {
        free(t);
        return err_set(err, "gettxoutsetinfo: cannot make a pipe: %s", strerror(errno)), NULL;
    }
    for (int i = 0; i < 2; i++)
        fcntl(t->pipe[i], F_SETFL, fcntl(t->pipe[i], F_GETFL) | O_NONBLOCK);
    t->ev = event_new(node->base, t->pipe[0], EV_READ | EV_PERSIST, on_pipe, t);
    event_add(t->ev, NULL);
    return t;
}

static void *walk_main(void *arg)
{
    struct walk *w = arg;
    /* In steps, so that a shutdown need not wait out the whole delay. */
    for (int64_t left = w->owner->delay_ms; left > 0 && !atomic_load(&w->cancel); left -= 50) {
        struct timespec ts = { 0, (left < 50 ? left : 50) * 1000000 };
        nanosleep(&ts, NULL);
    }
    w->rc = coinstats_run(w->job, &w->cancel, &w->err);
    atomic_store(&w->done, true);
    ssize_t n = write(w->owner->pipe[1], "x", 1); /* a full pipe is already a wake-up */
    (void)n;
    return NULL;
}

static json_t *result_json(struct walk *w)
{
    struct coinstats st;
    coinstats_finish(w->job, w->owner->node->chain, &st);
    json_t *o = json_object();
    json_object_set_new(o, "height", json_integer(st.height));
    json_object_set_new(o, "bestblock", rpc_hash_json(&st.bestblock));
    json_object_set_new(o, "txouts", json_integer((json_int_t)st.txouts));
    json_object_set_new(o, "bogosize", json_integer((json_int_t)st.bogosize));
    if (w->name)
        json_object_set_new(o, w->name, rpc_hash_json(&st.hash));
    json_object_set_new(o, "total_amount", rpc_amount(st.total_amount));
    json_object_set_new(o, "transactions", json_integer((json_int_t)st.transactions));
    json_object_set_new(o, "disk_size", json_integer((json_int_t)st.disk_size));
    return o;
}

/* Called on the loop when woken: the answer once the thread is done (or
 * when the caller cannot wait: then the thread is waited for; at shutdown
 * it is stopped, and the answer is Core's -9 "Shutting down"). A storage
 * error answers as the server's internal error. */
static json_t *walk_poll(void *arg, bool timed_out)
{
    struct walk *w = arg;
    bool done = atomic_load(&w->done);
    if (!timed_out && !done)
        return NULL;
    /* Core's RpcInterruptionPoint: a walk still running at shutdown stops. */
    bool interrupted = !done && rpc_server_stopping(w->owner->node->rpc);
    if (interrupted)
        atomic_store(&w->cancel, true);
    pthread_join(w->thread, NULL);
    w->joined = true;
    if (interrupted)
        return rpc_poll_fail(RPC_CLIENT_NOT_CONNECTED, "Shutting down");
    if (w->rc != 0) {
        LOG_ERROR("gettxoutsetinfo: cannot read the UTXO set: %s", w->err ? w->err : "?");
        return rpc_poll_fail(RPC_INTERNAL_ERROR, "Unable to read UTXO set");
    }
    return result_json(w);
}

static void walk_free(void *arg)
{
    struct walk *w = arg;
    if (!w->joined) {
        atomic_store(&w->cancel, true);
        pthread_join(w->thread, NULL);
    }
    if (w->prev)
        w->prev->next = w->next;
    else
        w->owner->walks = w->next;
    if (w->next)
        w->next->prev = w->prev;
    coinstats_job_free(w->job);
    free(w->err);
    free(w);
}

json_t *rpc_txoutset_start(struct rpc_txoutset *t, struct rpc_request *req,
                           enum coinstats_hash type, const char *name)
{
    char *err = NULL;
    struct coinstats_job *job = coinstats_start(t->node->chain, type, &err);
    if (!job) {
        LOG_ERROR("gettxoutsetinfo: %s", err ? err : "cannot start");
        free(err);
        return rpc_fail(req, RPC_INTERNAL_ERROR, "Unable to read UTXO set");
    }
    struct walk *w = xcalloc(1, sizeof(*w));
    w->owner = t;
    w->job = job;
    w->name = name;
    atomic_init(&w->done, false);
    atomic_init(&w->cancel, false);
    if (pthread_create(&w->thread, NULL, walk_main, w) != 0) {
        coinstats_job_free(job);
        free(w);
        return rpc_fail(req, RPC_INTERNAL_ERROR, "Unable to read UTXO set");
    }
    worker_name_thread(w->thread, "b-txoutset");
    w->next = t->walks;
    if (t->walks)
        t->walks->prev = w;
    t->walks = w;
    return rpc_wait(req, walk_poll, w, walk_free, 0);
}

void rpc_txoutset_free(struct rpc_txoutset *t)
{
    if (!t)
        return;
    while (t->walks)
        walk_free(t->walks); /* cancels and waits */
    if (t->ev)
        event_free(t->ev);
    close(t->pipe[0]);
    close(t->pipe[1]);
    free(t);
}
