package dev.vmsup.supervisor.cli;

import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.LoggerFactory;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServerOptions;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.json.JsonTrees;
import dev.vmsup.libc.LibC;

/**
 * Start-up work of {@code vmsup run} done ahead of need on spare threads while the main thread reads the configuration
 * and makes the cgroups: one image's start is a single thread of class initialisation, and this machine kind has two
 * cores. SLF4J's set-up, the native calls bound (on a thread of their own, from the first moment), Jackson's tree
 * machinery, and in the image that goes on to run the sandbox the Vert.x instance itself and the classes of the QMP
 * client and the API's HTTP server. Nothing done here
 * is seen by the main thread except the Vert.x instance, which {@link #vertx()} hands over and {@link #discard()}
 * closes. A step that fails is left to the main thread, which then meets (and reports) the failure itself.
 */
final class Preload {
    private static final long VERTX_WAIT_SECONDS = 30;
    private static final long STEPS_WAIT_SECONDS = 10;

    private final CompletableFuture<Vertx> vertx = new CompletableFuture<>();
    private final CountDownLatch stepsDone = new CountDownLatch(2);
    private boolean withEventLoop;
    private boolean workerPassedEventLoop;
    private boolean taken;

    private Preload(boolean withEventLoop) {
        this.withEventLoop = withEventLoop;
    }

    /**
     * Starts the spare thread. {@code withEventLoop}: this image runs the sandbox (it will not re-execute itself),
     * so the event loop and the classes behind it are worth making now.
     */
    static Preload start(boolean withEventLoop) {
        Preload p = new Preload(withEventLoop);
        // a Thread subclass, not a lambda: the first lambda of a JVM bootstraps its machinery (~10 ms), and this
        // thread must be running before the main thread asks SLF4J for a logger, so that the set-up is done here
        // and the main thread gets a stand-in logger meanwhile instead of waiting
        new Worker(p, false).start();
        // the native calls (jffi's stub loaded, java.util.logging set up for it, the symbols looked up) on a thread of
        // their own: the main thread's first (its umask) comes ~20 ms into main, before SLF4J's set-up is done here
        new Binder(p).start();
        return p;
    }

    /**
     * This image runs the sandbox after all (the runtime spawned it in its cgroup, so it does not re-execute): the
     * event loop is made ahead too, on the spare thread or, if that one is past it, on another.
     */
    synchronized void eventLoopToo() {
        if (withEventLoop) {
            return;
        }
        withEventLoop = true;
        if (workerPassedEventLoop) {
            new Worker(this, true).start();
        }
    }

    private static final class Worker extends Thread {
        private final Preload preload;
        private final boolean eventLoopOnly;

        Worker(Preload preload, boolean eventLoopOnly) {
            super("vmsup-preload");
            this.preload = preload;
            this.eventLoopOnly = eventLoopOnly;
            setDaemon(true);
        }

        @Override
        public void run() {
            if (eventLoopOnly) {
                preload.makeEventLoop();
            } else {
                preload.run();
            }
        }
    }

    private static final class Binder extends Thread {
        private final Preload preload;

        Binder(Preload preload) {
            super("vmsup-bind");
            this.preload = preload;
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                LibC.bindNow(); // cgroupfs's calls and the process's own: one binding
            } catch (RuntimeException | LinkageError e) {
                // the main thread binds them at its first call, and reports what goes wrong
            } finally {
                preload.stepsDone.countDown();
            }
        }
    }

    /** The event loop vmsup runs on: the one made ahead of time, or a new one when that failed or was not made. */
    static Vertx newVertx() {
        // no file cache: vmsup serves no files, and a cache dir is left in /tmp whenever vmsup is SIGKILLed
        return Vertx.vertx(new VertxOptions().setPreferNativeTransport(false)
                .setEventLoopPoolSize(1).setWorkerPoolSize(1).setInternalBlockingPoolSize(1)
                .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false)));
    }

    /** The event loop made ahead of time (waiting for it if need be), or a new one. Once per preload. */
    Vertx vertx() {
        boolean ahead;
        synchronized (this) {
            taken = true;
            ahead = withEventLoop;
        }
        if (ahead) {
            try {
                return vertx.get(VERTX_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // made below on this thread, where a real failure surfaces as usual
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return newVertx();
    }

    /** The event loop being made ahead (never completed when this image does not make one). For tests. */
    CompletableFuture<Vertx> madeAhead() {
        return vertx;
    }

    /**
     * Returns once the spare threads' steps are done (at most 10 s; the binding thread's too): before a re-execution,
     * so that no file they open (jffi loads its native stub) is open while the descriptors are swept.
     */
    void awaitSteps() {
        try {
            stepsDone.await(STEPS_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Start-up ended before the event loop was taken: the one made ahead of time is closed. */
    synchronized void discard() {
        if (!taken) {
            taken = true;
            vertx.thenAccept(Vertx::close);
        }
    }

    private void run() {
        try {
            steps();
        } finally {
            stepsDone.countDown();
        }
    }

    private void steps() {
        try {
            LoggerFactory.getLogger(Preload.class); // first and without a lambda: see start()
        } catch (RuntimeException | LinkageError e) {
            // the main thread sets SLF4J up then
        }
        // a record's equals, hashCode and toString are bootstrapped at their first call (~20 ms for the first record
        // of a JVM): the cgroup paths' are on the main thread's path
        quietly(() -> {
            CgroupPath a = CgroupPath.of("/vmsup-preload/a");
            a.equals(CgroupPath.of("/vmsup-preload/b"));
            a.hashCode();
        });
        quietly(() -> JsonTrees.read("{\"return\": [{\"a\": 1, \"b\": \"c\", \"d\": true}]}"));
        synchronized (this) {
            workerPassedEventLoop = true;
            if (!withEventLoop) {
                return;
            }
        }
        makeEventLoop();
    }

    private void makeEventLoop() {
        try {
            vertx.complete(newVertx());
        } catch (RuntimeException | LinkageError e) {
            vertx.completeExceptionally(e);
        }
        // what the event loop's first unix socket (QMP's connection) would otherwise set up on its way: the JDK's unix
        // socket support (its class initialization seeds a SecureRandom: the security providers, ~8 ms) and the
        // first annotation read of a JVM (Netty asks every handler whether it is @Sharable; the first answer
        // generates proxy classes for the annotation's own annotations, ~9 ms)
        quietly(() -> SocketChannel.open(StandardProtocolFamily.UNIX).close());
        quietly(() -> ChannelInitializer.class.isAnnotationPresent(ChannelHandler.Sharable.class));
        quietly(() -> vertx.thenAccept(v -> {
            v.createHttpServer(new HttpServerOptions()).close();
            v.createNetClient().close();
        }));
    }

    private static void quietly(Step step) {
        try {
            step.run();
        } catch (Exception | LinkageError e) {
            // the main thread does this step itself when it gets there, and reports what goes wrong
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }
}
