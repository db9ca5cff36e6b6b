/* Every option table hearsayd knows, in -help order. Each area declares
 * its table in its node/ glue file and adds one line here. */
#include "node/chain_glue.h"
#include "node/config.h"
#include "node/feeest_glue.h"
#include "node/init.h"
#include "node/mempool_glue.h"
#include "node/net_glue.h"
#include "node/relay_glue.h"
#include "node/zmqpub.h"
#include "node/rpc/rpc_glue.h"

#include <stddef.h>

const struct config_option *const config_tables[] = {
    config_base_options,
    daemon_options,
    chain_options,
    mempool_options,
    feeest_options,
    net_options,
    relay_options,
    zmq_options,
    rpc_options,
    metrics_options,
    NULL,
};
