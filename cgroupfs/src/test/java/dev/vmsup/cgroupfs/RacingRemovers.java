package dev.vmsup.cgroupfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Two removers of one cgroup tree at once, as when systemd trims an emptied scope's subtree while vmsup removes the
 * same cgroups: each finds directories gone between seeing and opening them, which is success for a remover.
 */
final class RacingRemovers {
    private RacingRemovers() {
    }

    /** {@code rounds} trees under {@code parent}, each deleted by two threads at once; both must report no failure. */
    static void eachTreeRemovedCleanlyByBoth(Hierarchy h, TestParent parent, int rounds) throws Exception {
        for (int round = 0; round < rounds; round++) {
            CgroupPath top = parent.child("race" + round);
            h.create(top.child("a").child("b"));
            h.create(top.child("c"));
            Cgroup mine = h.load(top);
            Cgroup theirs = h.load(top);
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<DeleteReport> other = CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return theirs.delete();
            });
            go.countDown();
            DeleteReport mineReport = mine.delete();
            DeleteReport theirReport = other.get(30, TimeUnit.SECONDS);
            assertThat(mineReport.failures()).as("round %d", round).isEmpty();
            assertThat(theirReport.failures()).as("round %d", round).isEmpty();
            assertThat(h.exists(top)).as("round %d", round).isFalse();
        }
    }
}
