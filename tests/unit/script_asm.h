/* Bitcoin Core's short script assembly (core_read.cpp ParseScript), as the
 * JSON test vectors write scripts: decimal numbers (pushed as script
 * numbers, -1..16 as opcodes), 0x-prefixed hex inserted raw, 'text'
 * pushed, and opcode names with or without OP_. */
#ifndef HEARSAY_TESTS_SCRIPT_ASM_H
#define HEARSAY_TESTS_SCRIPT_ASM_H

#include "chain/primitives/serialize.h"

#include <stdbool.h>

/* Appends the script to w; false on a word it cannot read. */
bool script_asm_parse(const char *text, struct wbuf *w);
/* Verification flags from Core's names ("P2SH,STRICTENC", "NONE" or "");
 * false on an unknown name. */
bool script_asm_flags(const char *names, uint32_t *flags);

#endif
