package dev.vmsup.supervisor.cli;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.cgroupfs.CgroupHost;
import io.vertx.core.Vertx;
import dev.vmsup.supervisor.api.ApiServer;
import dev.vmsup.supervisor.api.Metrics;
import dev.vmsup.supervisor.config.SupervisorConfig;
import dev.vmsup.supervisor.process.Rebirth;
import dev.vmsup.supervisor.resources.ContainerResources;
import dev.vmsup.supervisor.sandbox.Sandbox;
import dev.vmsup.supervisor.sandbox.SandboxStartup;
import dev.vmsup.supervisor.sandbox.StopRequest;
import dev.vmsup.supervisor.sandbox.Termination;
import dev.vmsup.supervisor.vm.VmLauncher;

/**
 * The composition root of {@code vmsup run}: it owns the one Vert.x event loop, the sandbox and the control API,
 * wires them (the API's metrics become the sandbox's events) and closes them in order: API, sandbox, event loop.
 */
final class RunningSandbox implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunningSandbox.class);

    private volatile Vertx vertx;
    /** Where the event loop comes from; discarded on close if the start failed before it was taken. */
    private Preload preload;
    private Sandbox sandbox;
    private ApiServer api;
    private boolean closed;

    /**
     * Prepares the sandbox (re-executing this process in its own cgroup first when {@code rebirth} is enabled), then
     * starts the event loop, the sandbox and its API when the config has a socket; on failure closes what was started.
     */
    static RunningSandbox start(SupervisorConfig config, Map<String, ContainerResources> containers, CgroupHost host,
            StopRequest stop, Rebirth rebirth, Preload preload) {
        SandboxStartup.Prepared prepared;
        try {
            prepared = SandboxStartup.prepare(config, containers, host, stop, rebirth);
        } catch (RuntimeException e) {
            if (preload != null) {
                preload.discard();
            }
            throw e;
        }
        RunningSandbox run = new RunningSandbox();
        run.preload = preload;
        try {
            // the event loop is taken when QMP needs it: QEMU is spawned while the spare thread still makes it
            run.sandbox = SandboxStartup.launch(prepared, run::eventLoop, VmLauncher.PROCESS, stop);
            if (config.apiSocket() != null) {
                run.api = ApiServer.start(run.vertx, run.sandbox, Metrics.attachTo(run.sandbox), config.apiSocket());
                run.api.warmUp();
            }
            return run;
        } catch (RuntimeException e) {
            run.close();
            throw e;
        }
    }

    private Vertx eventLoop() {
        if (vertx == null) {
            vertx = preload != null ? preload.vertx() : Preload.newVertx();
        }
        return vertx;
    }

    Sandbox sandbox() {
        return sandbox;
    }

    /** Blocks until the sandbox ends (QEMU exits, or a stop is asked for), closes everything, returns the exit code. */
    int awaitExitCode() {
        Termination end = sandbox.awaitStop();
        close();
        return ExitCodes.of(end);
    }

    /** Closes the API, tears the sandbox down, stops the event loop. Idempotent (the shutdown hook calls it too). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (api != null) {
            api.close();
        }
        if (sandbox != null) {
            sandbox.teardown();
        }
        if (vertx == null) {
            if (preload != null) {
                preload.discard(); // a start that failed before QMP: the event loop made ahead is not left running
            }
            return;
        }
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("closing the event loop: {}", e.toString());
        }
    }
}
