package dev.vmsup.supervisor.cli;

import java.util.Arrays;

import dev.vmsup.supervisor.process.Rebirth;

/** Entry point of the {@code vmsup} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        Rebirth.allowForThisProcess(); // this JVM is vmsup's own: run may re-execute it in its cgroup
        libraryDefaults();
        RunCommand run = null;
        if (args.length > 0 && args[0].equals("run")) {
            // started before the command line is read: the spare thread's work is wasted only on bad usage
            Preload preload = Preload.start(!Rebirth.pending());
            run = PlainRunArgs.parse(Arrays.copyOfRange(args, 1, args.length));
            if (run != null) {
                run.preload = preload;
            }
        }
        System.exit(run != null ? callPlain(run) : VmsupCommand.commandLine().execute(args));
    }

    /**
     * Netty and Vert.x as vmsup uses them (unix sockets only, never a host name; a long-lived process), unless the
     * JVM's command line says otherwise: no DNS resolver of Netty's (its set-up reads resolv.conf and the network
     * interfaces, ~70 classes), no JFR events from Netty, no sampling of buffers for leaks, and Vert.x logging
     * through SLF4J without first looking for a file of its own in every jar of the class path.
     *
     * <p>Buffers: one small pool (one arena of 128 KiB chunks, no per-thread caches, heap buffers not pooled)
     * instead of Netty's adaptive allocator, whose per-core magazines and larger chunks kept ~1.5 MiB of native
     * memory in a supervisor that had served a few resizes (docs/performance.md). vmsup's traffic is a few small
     * messages at a time.
     */
    private static void libraryDefaults() {
        defaultProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
        defaultProperty("vertx.disableDnsResolver", "true");
        defaultProperty("io.netty.jfr.enabled", "false");
        defaultProperty("io.netty.leakDetection.level", "disabled");
        defaultProperty("io.netty.allocator.type", "pooled");
        defaultProperty("io.netty.allocator.numDirectArenas", "1");
        defaultProperty("io.netty.allocator.numHeapArenas", "0");
        defaultProperty("io.netty.allocator.maxOrder", "4");
        defaultProperty("io.netty.allocator.smallCacheSize", "0");
        defaultProperty("io.netty.allocator.normalCacheSize", "0");
    }

    private static void defaultProperty(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** A run read without picocli, with the same last word on an exception as {@link VmsupCommand#commandLine()}'s handler. */
    private static int callPlain(RunCommand run) {
        try {
            return run.call();
        } catch (RuntimeException e) {
            System.err.println("vmsup: " + e.getMessage());
            return exitCodeOf(e);
        }
    }

    static int exitCodeOf(Exception e) {
        return e instanceof IllegalArgumentException ? ExitCodes.USAGE : ExitCodes.FAILURE;
    }

}
