/* The allocator tuning: once tuned, small freed blocks are merged at
 * once, none left in glibc's fastbins for a later large allocation to
 * merge all together (which held the event loop for up to a second). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "chain/util/xmalloc.h"

#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#define BLOCKS 20000

static void test_no_fastbin_blocks(void **state)
{
    (void)state;
#if !defined(__GLIBC__) || defined(__SANITIZE_ADDRESS__)
    skip(); /* another allocator: nothing to tune or to measure */
#else
    xmalloc_tune();
    void **p = xcalloc(BLOCKS, sizeof(*p));
    for (size_t i = 0; i < BLOCKS; i++)
        p[i] = xmalloc(40 + i % 5 * 16); /* the sizes of cached coins */
    for (size_t i = 0; i < BLOCKS; i += 2) /* no neighbour merges */
        free(p[i]);
    struct mallinfo2 mi = mallinfo2();
    assert_int_equal(mi.fsmblks, 0);
    for (size_t i = 1; i < BLOCKS; i += 2)
        free(p[i]);
    free(p);
#endif
}

/* Once tuned, a block-sized buffer comes from the heap, not a mapping of
 * its own, and freeing it leaves the heap's top in place for the next. */
static void test_large_blocks_stay_in_heap(void **state)
{
    (void)state;
#if !defined(__GLIBC__) || defined(__SANITIZE_ADDRESS__)
    skip();
#else
    xmalloc_tune();
    struct mallinfo2 before = mallinfo2();
    void *p = xmalloc(4u << 20);
    struct mallinfo2 held = mallinfo2();
    assert_int_equal(held.hblks, before.hblks); /* not mapped alone */
    free(p);
    struct mallinfo2 after = mallinfo2();
    assert_true(after.arena >= held.arena); /* not given back */
    assert_true(after.keepcost >= (4u << 20));
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_fastbin_blocks),
        cmocka_unit_test(test_large_blocks_stay_in_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
