/* The C side of the Go wrapper (host.go): the step and row functions the host calls, each passing on to Go. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "_cgo_export.h"

/* Go cannot hand out a Go function as a C function pointer, and every step needs a distinct one: slot N of this
 * fixed table calls mhGoRunStep(N, ...), and Register gives migration i slots 2i (upgrade) and 2i + 1 (downgrade). */
#define MH_GO_STEP(slot)                                                             \
    static int32_t mh_go_step_##slot(const mh_host_api *host, mh_host_context *ctx) { \
        return mhGoRunStep(slot, (mh_host_api *)host, ctx);                           \
    }
MH_GO_STEP(0) MH_GO_STEP(1) MH_GO_STEP(2) MH_GO_STEP(3) MH_GO_STEP(4) MH_GO_STEP(5) MH_GO_STEP(6) MH_GO_STEP(7)
MH_GO_STEP(8) MH_GO_STEP(9) MH_GO_STEP(10) MH_GO_STEP(11) MH_GO_STEP(12) MH_GO_STEP(13) MH_GO_STEP(14) MH_GO_STEP(15)
MH_GO_STEP(16) MH_GO_STEP(17) MH_GO_STEP(18) MH_GO_STEP(19) MH_GO_STEP(20) MH_GO_STEP(21) MH_GO_STEP(22) MH_GO_STEP(23)
MH_GO_STEP(24) MH_GO_STEP(25) MH_GO_STEP(26) MH_GO_STEP(27) MH_GO_STEP(28) MH_GO_STEP(29) MH_GO_STEP(30) MH_GO_STEP(31)
#undef MH_GO_STEP

static const mh_step_fn mh_go_steps[] = {
    mh_go_step_0, mh_go_step_1, mh_go_step_2, mh_go_step_3, mh_go_step_4, mh_go_step_5, mh_go_step_6, mh_go_step_7,
    mh_go_step_8, mh_go_step_9, mh_go_step_10, mh_go_step_11, mh_go_step_12, mh_go_step_13, mh_go_step_14,
    mh_go_step_15, mh_go_step_16, mh_go_step_17, mh_go_step_18, mh_go_step_19, mh_go_step_20, mh_go_step_21,
    mh_go_step_22, mh_go_step_23, mh_go_step_24, mh_go_step_25, mh_go_step_26, mh_go_step_27, mh_go_step_28,
    mh_go_step_29, mh_go_step_30, mh_go_step_31,
};

int mh_go_step_slots(void) { return (int)(sizeof mh_go_steps / sizeof mh_go_steps[0]); }

mh_step_fn mh_go_step(int slot) { return mh_go_steps[slot]; }

/* The row callback of every query: `user` is the cgo.Handle of the Go callback. */
int32_t mh_go_row(const char *const *values, const uint32_t *lengths, uint32_t column_count, void *user) {
    return mhGoRow((char **)values, (uint32_t *)lengths, column_count, (uintptr_t)user);
}
