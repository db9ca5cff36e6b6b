#include "chain/primitives/coin.h"

#include <stdlib.h>

void coin_clear(struct coin *c)
{
    if (!c)
        return;
    free(c->script);
    c->script = NULL;
    c->script_len = 0;
}
