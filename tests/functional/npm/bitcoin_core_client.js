'use strict';
// Drives hearsayd with the npm `bitcoin-core` client, constructed and called
// as its README says, and prints one JSON object on stdout for
// tests/functional/rpc_npm_client.py to check. The client is found through
// NODE_PATH (the test installs it under the build directory).
//
// argv[2] is a JSON object: {mode, port, username, password, address, txhex,
// missing_hash}. Mode "session" makes every call the test checks; mode
// "count" only calls getBlockCount, to try credentials (a wrong password
// must reach the caller as the HTTP 401).

const http = require('http');
const Client = require('bitcoin-core');

// The client sends through node's global agent, which keeps connections
// alive from node 19 on (older nodes get the same agent here): count the
// connections it opens to see whether hearsayd kept them.
if (!http.globalAgent.keepAlive) {
  http.globalAgent = new http.Agent({ keepAlive: true });
}
let connections = 0;
const createConnection = http.globalAgent.createConnection;
http.globalAgent.createConnection = function countConnection(...args) {
  connections += 1;
  return createConnection.apply(this, args);
};

// RpcError carries the JSON-RPC code (or the HTTP status when the reply was
// not JSON) and the message; that pair is what a caller sees.
function errorOf(e) {
  return { name: e.name, code: e.code, message: e.message };
}

async function attempt(fn) {
  try {
    return { result: await fn() };
  } catch (e) {
    return { error: errorOf(e) };
  }
}

async function session(options, cfg) {
  const client = new Client(options);
  // Named parameters need a version, as the README says.
  const named = new Client({ ...options, version: '26.0.0' });
  const out = {};
  out.blockchaininfo = await client.getBlockchainInfo();
  out.count_before = await client.getBlockCount();
  out.generated = await client.generateToAddress(1, cfg.address);
  out.count_after = await client.getBlockCount();
  out.block = await client.getBlock(out.generated[0], 2);
  out.sent_txid = await client.sendRawTransaction(cfg.txhex);
  out.mempool = await client.getRawMempool();
  out.peers = await client.getPeerInfo();
  out.networkinfo = await client.getNetworkInfo();
  const batch = await client.command([
    { method: 'getblockcount', parameters: [] },
    { method: 'getblockhash', parameters: [0] },
    { method: 'getblock', parameters: [cfg.missing_hash] },
    { method: 'nosuchmethod' }
  ]);
  // Failed entries come back as RpcError objects inside the array.
  out.batch = batch.map((r) => (r instanceof Error ? { error: errorOf(r) } : { result: r }));
  out.missing_block = await attempt(() => client.getBlock(cfg.missing_hash));
  out.named_blockhash = await named.getBlockHash({ height: 0 });
  out.named_block = await named.getBlock({ blockhash: out.generated[0], verbosity: 1 });
  out.unknown_method = await attempt(() => client.command('nosuchmethod'));
  out.bad_tx = await attempt(() => client.sendRawTransaction('00'));
  // REST (a GET under /rest/): hearsayd has none, like Bitcoin Core without -rest.
  out.rest_chaininfo = await attempt(() => client.getBlockchainInformation());
  return out;
}

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const options = {
    host: `http://127.0.0.1:${cfg.port}`,
    network: 'regtest',
    username: cfg.username,
    password: cfg.password,
    timeout: 20000
  };
  const out = cfg.mode === 'count'
    ? { count: await attempt(() => new Client(options).getBlockCount()) }
    : await session(options, cfg);
  out.connections = connections;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  process.stderr.write(`bitcoin_core_client: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
