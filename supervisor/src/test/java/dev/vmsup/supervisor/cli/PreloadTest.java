package dev.vmsup.supervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.vertx.core.Vertx;

class PreloadTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void theEventLoopMadeAheadIsTheOneHandedOverAndItRuns() throws Exception {
        Preload preload = Preload.start(true);
        takesTheOneMadeAhead(preload, preload::discard); // discard too late: it was taken, so it stays open
    }

    @Test
    void anImageThatReexecutesMakesNoEventLoopAheadAndGetsANewOne() throws Exception {
        Preload preload = Preload.start(false);
        assertThat(preload.madeAhead()).isNotDone();
        Vertx v = preload.vertx();
        try {
            assertThat(runsATask(v)).isTrue();
        } finally {
            v.close().await();
        }
    }

    @Test
    void anImageThatLearnsItStaysGetsItsEventLoopMadeAheadAfterAll() throws Exception {
        Preload preload = Preload.start(false);
        preload.eventLoopToo(); // spawned by the runtime in its cgroup: no re-execution after all
        takesTheOneMadeAhead(preload, () -> { });
    }

    @Test
    void awaitingItsStepsReturnsOnlyOnceTheyAreAllDone() throws Exception {
        Preload preload = Preload.start(true);
        preload.awaitSteps();
        assertThat(preload.madeAhead()).as("the last step, the event loop").isDone();
        preload.vertx().close().await();
    }

    @Test
    void aStartThatEndsBeforeTakingItClosesTheEventLoopMadeAhead() throws Exception {
        Preload preload = Preload.start(true);
        Vertx made = preload.madeAhead().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        preload.discard();
        Awaitility.await().atMost(WAIT).until(() -> !runsATask(made));
    }

    /**
     * Takes the event loop from {@code preload}, checks it is the one made ahead, runs {@code afterTaking}, checks the
     * event loop still runs a task, and closes it.
     */
    private static void takesTheOneMadeAhead(Preload preload, Runnable afterTaking) throws Exception {
        Vertx made = preload.madeAhead().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        Vertx taken = preload.vertx();
        try {
            assertThat(taken).isSameAs(made);
            afterTaking.run();
            assertThat(runsATask(taken)).isTrue();
        } finally {
            taken.close().await();
        }
    }

    /** Whether {@code v} still runs a task on its event loop. */
    private static boolean runsATask(Vertx v) {
        try {
            return v.executeBlocking(() -> true).await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return false;
        }
    }
}
