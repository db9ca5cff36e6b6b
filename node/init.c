/* hearsayd's start-up and shutdown sequence. */
#include <config.h> /* autoconf's: PACKAGE_VERSION */

#include "node/init.h"

#include "chain/util/log.h"
#include "node/banlist.h"
#include "node/chain_glue.h"
#include "node/feeest_glue.h"
#include "node/looplag_glue.h"
#include "node/mempool_glue.h"
#include "node/net_glue.h"
#include "node/prune_glue.h"
#include "node/relay_glue.h"
#include "node/zmqpub.h"
#include "node/rpc/rpc_glue.h"
#include "node/util.h"
#include "chain/util/xmalloc.h"
#include "chain/util/err.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const struct config_option daemon_options[] = {
    { "printtoconsole", CONFIG_BOOL, "0", 0, 0, 0,
      "Send log lines to the console (stdout) as well as to debug.log." },
    { "debug", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI,
      "Log debug lines of <category> (see the list below); 1 or all for every category, 0 or "
      "none for none." },
    { "debugexclude", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI,
      "Leave out debug lines of <category>, even with -debug=all." },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

/* Start order; stop runs backwards. Each area adds its row. */
const struct node_subsystem *const node_subsystems[] = {
    &prune_check_subsystem, /* -prune checked before the chain opens */
    &chain_subsystem,
    &prune_subsystem,
    &mempool_subsystem,
    &feeest_subsystem, /* listens to the mempool and the chain */
    &net_subsystem,
    &relay_subsystem,
    &zmq_subsystem, /* after the chain and mempool it listens to */
    &rpc_subsystem,
    &metrics_subsystem,
    &looplag_subsystem, /* last to start: start-up is no pause of the loop */
    &banlist_subsystem, /* after net; first to stop, saving the bans */
    NULL,
};

enum { SIG_INT, SIG_TERM, SIG_HUP, N_SIGNALS };

/* What the daemon keeps beside the public context. */
struct daemon {
    struct node node;
    int lock_fd;
    struct event *signals[N_SIGNALS];
    size_t n_started; /* rows of node_subsystems started */
    bool logging;
};

static struct daemon *daemon_of(struct node *node)
{
    return (struct daemon *)((char *)node - offsetof(struct daemon, node));
}

const char *node_version_string(void)
{
    return "hearsay version v" PACKAGE_VERSION;
}

struct node *node_new(struct config *cfg)
{
    struct daemon *d = xcalloc(1, sizeof(*d));
    d->lock_fd = -1;
    d->node.cfg = cfg;
    return &d->node;
}

void node_request_shutdown(struct node *node)
{
    LOG_INFO("Shutdown: requested");
    if (node->base)
        event_base_loopexit(node->base, NULL);
}

/* -datadir must exist (as in Bitcoin Core); the default one is created. */
static int make_dirs(struct node *node, char **err)
{
    const char *datadir = config_datadir(node->cfg);
    struct stat st;
    if (config_is_set(node->cfg, "datadir") && (stat(datadir, &st) < 0 || !S_ISDIR(st.st_mode)))
        return err_set(err, "Specified data directory \"%s\" does not exist.", datadir);
    if (mkdir(datadir, 0700) < 0 && errno != EEXIST)
        return err_set(err, "cannot create data directory %s: %s", datadir, strerror(errno));
    node->datadir = xstrdup(datadir);
    const char *sub = node->params->subdir;
    node->chaindir = *sub ? util_path_join(datadir, sub) : xstrdup(datadir);
    if (mkdir(node->chaindir, 0700) < 0 && errno != EEXIST)
        return err_set(err, "cannot create directory %s: %s", node->chaindir, strerror(errno));
    return 0;
}

/* An fcntl write lock on <chaindir>/.lock, held until exit: a second
 * daemon on the same directory would corrupt the databases. */
static int lock_chaindir(struct daemon *d, char **err)
{
    char *path = util_path_join(d->node.chaindir, ".lock");
    d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (d->lock_fd < 0) {
        err_set(err, "cannot open %s: %s", path, strerror(errno));
        free(path);
        return -1;
    }
    free(path);
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl(d->lock_fd, F_SETLK, &fl) == 0)
        return 0;
    if (errno == EAGAIN || errno == EACCES)
        return err_set(err, "Cannot obtain a lock on data directory %s. hearsay is probably "
                              "already running.", d->node.chaindir);
    return err_set(err, "cannot lock %s/.lock: %s", d->node.chaindir, strerror(errno));
}

/* -debug and -debugexclude, checked before anything is logged. */
static int debug_categories(const struct config *cfg, uint32_t *on, char **err)
{
    size_t n;
    const char *const *v = config_get_multi(cfg, "debug", &n);
    *on = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(v[i], "0") || !strcmp(v[i], "none")) {
            *on = 0;
            break;
        }
        uint32_t c = *v[i] ? log_category_from_name(v[i]) : LOG_ALL; /* bare -debug: all */
        if (!c)
            return err_set(err, "Unsupported logging category -debug=%s.", v[i]);
        *on |= c;
    }
    v = config_get_multi(cfg, "debugexclude", &n);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = log_category_from_name(v[i]);
        if (!c)
            return err_set(err, "Unsupported logging category -debugexclude=%s.", v[i]);
        *on &= ~c;
    }
    return 0;
}

static int open_log(struct daemon *d, uint32_t categories, char **err)
{
    char *path = util_path_join(d->node.chaindir, "debug.log");
    int rc = log_open_file(path, err);
    free(path);
    if (rc < 0)
        return -1;
    d->logging = true;
    log_set_console(config_get_bool(d->node.cfg, "printtoconsole"));
    log_disable(LOG_ALL);
    log_enable(categories);
    return 0;
}

static void log_startup(const struct node *node)
{
    const struct config *cfg = node->cfg;
    LOG_INFO("%s", node_version_string());
    LOG_INFO("Chain: %s", node->params->name);
    LOG_INFO("Using data directory %s", node->chaindir);
    const char *conf = config_conf_path(cfg);
    LOG_INFO("Config file: %s", conf ? conf : "(none read)");
    size_t n;
    const char *const *w = config_warnings(cfg, &n);
    for (size_t i = 0; i < n; i++)
        LOG_WARN("%s", w[i]);
    uint32_t on = log_enabled_categories();
    for (uint32_t bit = 1; bit; bit <<= 1)
        if ((on & bit) && log_category_name(bit))
            LOG_INFO("Debug logging: %s", log_category_name(bit));
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    LOG_INFO("Received signal %d", (int)sig);
    rpc_glue_shutdown(arg);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    char *err = NULL;
    if (log_reopen(&err) < 0) {
        /* Nowhere to log it but the console; keep running. */
        log_set_console(true);
        LOG_ERROR("%s", err ? err : "cannot reopen debug.log");
        free(err);
        return;
    }
    LOG_INFO("Reopened debug.log");
}

/* libevent's own messages go to our log, its debug chatter under
 * -debug=libevent only. */
static void on_libevent_log(int severity, const char *msg)
{
    if (severity == EVENT_LOG_ERR)
        LOG_ERROR("libevent: %s", msg);
    else if (severity == EVENT_LOG_WARN)
        LOG_WARN("libevent: %s", msg);
    else
        LOG_DEBUG(LOG_LIBEVENT, "%s", msg);
}

static int start_events(struct daemon *d, uint32_t categories, char **err)
{
    static const int signos[N_SIGNALS] = { SIGINT, SIGTERM, SIGHUP };
    event_set_log_callback(on_libevent_log);
    if (categories & LOG_LIBEVENT)
        event_enable_debug_logging(EVENT_DBG_ALL);
    d->node.base = event_base_new();
    if (!d->node.base)
        return err_set(err, "cannot create the event loop");
    /* A peer closing its socket must not kill the daemon. */
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < N_SIGNALS; i++) {
        event_callback_fn cb = signos[i] == SIGHUP ? on_hup : on_stop_signal;
        d->signals[i] = evsignal_new(d->node.base, signos[i], cb, &d->node);
        if (!d->signals[i] || evsignal_add(d->signals[i], NULL) < 0)
            return err_set(err, "cannot watch signal %d", signos[i]);
    }
    return 0;
}

/* A row that fails half-way is counted too: node_stop then calls its stop
 * (which must cope with a partial start) to release what it got. */
static int start_subsystems(struct daemon *d, char **err)
{
    for (const struct node_subsystem *const *s = node_subsystems; *s; s++) {
        char *serr = NULL;
        LOG_INFO("Starting %s", (*s)->name);
        d->n_started++;
        if ((*s)->start(&d->node, &serr) < 0) {
            err_set(err, "%s: %s", (*s)->name, serr ? serr : "start failed");
            free(serr);
            return -1;
        }
    }
    return 0;
}

int node_start(struct node *node, char **err)
{
    struct daemon *d = daemon_of(node);
    node->start_time = (int64_t)time(NULL);
    node->params = params_by_name(config_chain(node->cfg));
    if (!node->params)
        return err_set(err, "unknown chain %s", config_chain(node->cfg));
    /* Signal events first: a SIGTERM during start-up then stops cleanly. */
    uint32_t categories;
    if (debug_categories(node->cfg, &categories, err) < 0 || start_events(d, categories, err) < 0 ||
        make_dirs(node, err) < 0 || lock_chaindir(d, err) < 0 || open_log(d, categories, err) < 0)
        return -1;
    log_startup(node);
    if (start_subsystems(d, err) < 0) {
        LOG_ERROR("%s", *err ? *err : "start-up failed");
        return -1;
    }
    LOG_INFO("Startup: done");
    return 0;
}

void node_run(struct node *node)
{
    if (node->base)
        event_base_dispatch(node->base);
}

void node_stop(struct node *node)
{
    struct daemon *d = daemon_of(node);
    if (d->logging)
        LOG_INFO("Shutdown: in progress");
    while (d->n_started > 0) {
        const struct node_subsystem *s = node_subsystems[--d->n_started];
        LOG_INFO("Stopping %s", s->name);
        if (s->stop)
            s->stop(node);
    }
    for (int i = 0; i < N_SIGNALS; i++) {
        if (d->signals[i])
            event_free(d->signals[i]);
        d->signals[i] = NULL;
    }
    if (d->logging) {
        LOG_INFO("Shutdown: done");
        log_close();
        d->logging = false;
    }
    if (d->lock_fd >= 0)
        close(d->lock_fd); /* releases the lock */
    d->lock_fd = -1;
}

void node_free(struct node *node)
{
    if (!node)
        return;
    if (node->base)
        event_base_free(node->base);
    config_free(node->cfg);
    free(node->datadir);
    free(node->chaindir);
    free(daemon_of(node));
}
