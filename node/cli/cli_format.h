/* hearsay-cli's output: the "result" of a JSON-RPC reply laid out as
 * bitcoin-cli prints it (Bitcoin Core's UniValue::write with two-space
 * indent: "[\n]" for an empty array), numbers and strings kept exactly as
 * the server wrote them, so 0.00001000 stays 0.00001000. */
#ifndef HEARSAY_NODE_CLI_FORMAT_H
#define HEARSAY_NODE_CLI_FORMAT_H

#include <stddef.h>

/* reply must be valid JSON (check with a parser first). Returns the
 * indented text of its top-level "result" (malloc'd, no final newline),
 * or NULL if there is none. */
char *cli_format_result(const char *reply, size_t len);
/* Indents one JSON value given as text; NULL if it is malformed. */
char *cli_format_value(const char *json, size_t len);

#endif
