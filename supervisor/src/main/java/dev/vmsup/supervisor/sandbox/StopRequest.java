package dev.vmsup.supervisor.sandbox;

import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.vmsup.supervisor.SupervisorException;
import dev.vmsup.supervisor.config.SandboxId;
import dev.vmsup.supervisor.vm.QemuVm;





/**
 * Whether, and why, a sandbox should stop: a signal, the API, QEMU's exit or a failure it cannot go on after. The
 * first reason wins. It exists before the sandbox does (signals are handled from the first instruction of
 * {@code vmsup run}): start-up checks it between steps and, once asked, stops and removes what it made.
 */
public final class StopRequest {
    private static final Logger LOG = LoggerFactory.getLogger(StopRequest.class);
    private final CompletableFuture<StopReason> reason = new CompletableFuture<>();

    /** Asks for an orderly stop (SIGTERM/SIGINT, the API's shutdown). */
    public void request(String why) {
        reason.complete(new StopReason(why, false));
    }

    /** The sandbox cannot go on (QMP lost, virtiofsd died). */
    void fail(String why) {
        reason.complete(new StopReason(why, true));
    }

    /** QEMU ended by itself. */
    void qemuExited() {
        reason.complete(new StopReason("QEMU exited", false));
    }

    /** Calls {@code listener} with the reason once a stop is asked for (or at once if it was). */
    public void onRequested(java.util.function.Consumer<String> listener) {
        reason.thenAccept(r -> listener.accept(r.why()));
    }

    public boolean isRequested() {
        return reason.isDone();
    }

    CompletableFuture<StopReason> future() {
        return reason;
    }

    /**
     * Blocks until a stop is asked for or QEMU exits; then, if QEMU still runs, marks the sandbox stopping and runs
     * QEMU's stop ladder. Says how the sandbox ended.
     */
    Termination awaitAndStop(QemuVm vm, SandboxId id, Runnable stopping) {
        StopReason why = reason.join();
        if (!vm.isAlive()) {
            String abnormal = vm.abnormalExit();
            if (abnormal != null) {
                LOG.error("QEMU (pid {}) ended unexpectedly: {}", vm.pid(), abnormal);
                return new Termination(true, "QEMU ended unexpectedly: " + abnormal);
            }
            LOG.info("QEMU (pid {}) exited normally", vm.pid());
            return new Termination(false, "QEMU exited normally");
        }
        if (why.failure()) {
            LOG.error("sandbox {} cannot go on: {}", id, why.why());
        } else {
            LOG.info("stopping sandbox {}: {}", id, why.why());
        }
        stopping.run();
        vm.shutdown();
        return new Termination(why.failure(), why.why());
    }

    /** Ends start-up here if a stop was asked for. */
    void checkpoint(String step) {
        if (isRequested()) {
            throw new StartupStoppedException(step, reason.join().why());
        }
    }

    /** Start-up was asked to stop (e.g. SIGTERM) and has removed what it made. */
    public static final class StartupStoppedException extends dev.vmsup.supervisor.SupervisorException {
        StartupStoppedException(String step, String why) {
            super("start-up stopped before " + step + " (" + why + "); everything made so far was removed");
        }
    }
}
