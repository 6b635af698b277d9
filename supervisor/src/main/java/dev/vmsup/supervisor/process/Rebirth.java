package dev.vmsup.supervisor.process;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jnr.constants.platform.Errno;
import dev.vmsup.libc.LibC;
import dev.vmsup.supervisor.SupervisorException;

/**
 * Re-executes {@code vmsup run} inside the cgroup it has just made for itself, so that the supervisor's memory is
 * charged there from the new image's first page: a memory cgroup never moves the charge of a page a process touched
 * before it moved (cgroup v2 never did; v1's {@code move_charge_at_immigrate} is gone from current kernels).
 *
 * <p>What crosses the exec: the pid and its start time (the state file names this very process), the sandbox's lock
 * (a POSIX lock belongs to the process; its descriptor is kept open), the runtime's ready fd and stdio. Every other
 * descriptor is closed. SIGTERM and SIGINT are blocked and ignored across the exec, which Linux keeps pending (a
 * blocked signal is never discarded), so the JVM of the new image leaves them alone until {@link #afterBirth}
 * installs vmsup's handlers and unblocks them: a stop asked for at any moment is acted on.
 */
public final class Rebirth {
    private static volatile boolean allowed;

    private final Path procRoot;
    private final Integer readyFd;
    private final Runnable reinstallHandlers;
    private final Runnable quiesce;

    private Rebirth(Path procRoot, Integer readyFd, Runnable reinstallHandlers, Runnable quiesce) {
        this.procRoot = procRoot;
        this.readyFd = readyFd;
        this.reinstallHandlers = reinstallHandlers;
        this.quiesce = quiesce;
    }

    /** Called by the real entry point only: a JVM that embeds vmsup (tests, other tools) is never replaced. */
    public static void allowForThisProcess() {
        allowed = true;
    }

    /** Never re-executes (embedded use, or {@code VMSUP_REEXEC=0}). */
    public static Rebirth disabled() {
        return new Rebirth(null, null, null, null);
    }

    /**
     * For {@code vmsup run} in its own process: enabled unless the environment says {@code VMSUP_REEXEC=0}, or this
     * process was already re-executed. {@code reinstallHandlers} puts vmsup's signal handlers back if exec fails;
     * {@code quiesce} returns once this process's other start-up work (which may open files) is done.
     */
    public static Rebirth forRun(Path procRoot, Integer readyFd, Runnable reinstallHandlers, Runnable quiesce) {
        if (!pending()) {
            return disabled();
        }
        return new Rebirth(procRoot, readyFd, reinstallHandlers, quiesce);
    }

    /**
     * Whether a {@code vmsup run} in this process is going to re-execute itself: allowed here, not turned off, and
     * not already done. Main asks it before anything else to know which image it is.
     */
    public static boolean pending() {
        return allowed && !"0".equals(System.getenv("VMSUP_REEXEC")) && !Birth.given();
    }

    public boolean enabled() {
        return procRoot != null;
    }

    /** The birth this process was re-executed with, or null (always null where re-executing is not allowed). */
    public static Birth born() {
        return allowed ? Birth.ofThisProcess() : null;
    }

    /**
     * In the new image, before anything else of {@code run}: the termination signals get their default disposition
     * back, {@code installHandlers} installs vmsup's, then they are unblocked, and one that arrived across the exec
     * is delivered now.
     */
    public static void afterBirth(Runnable installHandlers) {
        LibC.signal(LibC.SIGTERM, LibC.SIG_DFL);
        LibC.signal(LibC.SIGINT, LibC.SIG_DFL);
        installHandlers.run();
        LibC.pthreadSigmask(LibC.SIG_UNBLOCK, termination(), null);
    }

    /**
     * Replaces this process's image with the same command line and {@code birth} in the environment. Returns only by
     * throwing: {@code checkpoint}'s exception when a stop was asked for, or why exec failed; either way the process
     * is as it was (handlers and signal mask restored) and the caller undoes what it made.
     */
    public void exec(Birth birth, Path lockFile, Runnable checkpoint) {
        if (!enabled()) {
            throw new IllegalStateException("re-executing is not enabled for this process");
        }
        byte[][] argv = commandLine();
        Path exe;
        try {
            exe = Files.readSymbolicLink(procRoot.resolve("self/exe"));
        } catch (IOException e) {
            throw new SupervisorException("cannot read " + procRoot.resolve("self/exe") + " to re-execute vmsup", e);
        }
        // the environment and the program's path as the JDK encodes them for a process it starts
        Charset jnu = LibC.jnuCharset();
        Map<String, String> env = new LinkedHashMap<>(System.getenv());
        env.put(Birth.ENV, birth.toJson());
        List<byte[]> envp = new ArrayList<>();
        env.forEach((k, v) -> envp.add(LibC.cString(k + "=" + v, jnu)));
        byte[][] envpArray = envp.toArray(byte[][]::new);
        byte[] path = LibC.cString(exe.toString(), jnu);

        quiesce.run(); // no descriptor opened behind the back of the sweep below
        Set<Integer> keep = keptDescriptors(lockFile);
        closeOnExecAllBut(keep);
        // bound now, if a spare thread has not done it, so that the window below, from the last look at the stop
        // request to the new image, is as short as the kernel makes it: a termination signal the JVM takes on
        // another thread there is lost with this image
        LibC.bindNow();
        // the logger is looked up here, not in a static field: Main calls this class first, and SLF4J's set-up is
        // then left to a spare thread (Preload) instead of holding up the start
        Logger log = LoggerFactory.getLogger(Rebirth.class);
        log.info("re-executing in {} so that vmsup's own memory is charged there from its first page", birth.home());
        LibC.pthreadSigmask(LibC.SIG_BLOCK, termination(), null);
        try {
            checkpoint.run(); // a stop asked for before the mask took effect is not carried into the new image
            LibC.signal(LibC.SIGTERM, LibC.SIG_IGN);
            LibC.signal(LibC.SIGINT, LibC.SIG_IGN);
            checkpoint.run(); // nor one whose handler ran on another thread before the signals were ignored
        } catch (RuntimeException e) {
            restoreSignals();
            throw e;
        }
        LibC.execve(path, argv, envpArray);
        int errno = LibC.errno();
        restoreSignals();
        Errno e = Errno.valueOf(errno);
        throw new SupervisorException("re-executing " + exe + " failed: " + (e == null ? "errno " + errno
                : e.name() + " (" + e.description() + ")"));
    }

    /** SIGTERM and SIGINT, the signals held across the exec. */
    private static byte[] termination() {
        return LibC.sigset(LibC.SIGTERM, LibC.SIGINT);
    }

    /** Default dispositions, vmsup's handlers again, the signals unblocked: as before {@link #exec}. */
    private void restoreSignals() {
        afterBirth(reinstallHandlers); // the same steps a new image takes
    }

    /**
     * This process's argv, exactly as the kernel has it (the JVM's options, class path and vmsup's arguments): the
     * NUL-terminated strings of {@code /proc/self/cmdline}, never decoded.
     */
    private byte[][] commandLine() {
        try {
            byte[] raw = Files.readAllBytes(procRoot.resolve("self/cmdline"));
            List<byte[]> argv = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    argv.add(Arrays.copyOfRange(raw, start, i + 1));
                    start = i + 1;
                }
            }
            if (argv.isEmpty()) {
                throw new SupervisorException(procRoot.resolve("self/cmdline") + " is empty");
            }
            return argv.toArray(byte[][]::new);
        } catch (IOException e) {
            throw new SupervisorException("cannot read " + procRoot.resolve("self/cmdline") + " to re-execute vmsup", e);
        }
    }

    /** stdio, the ready fd, and every descriptor of the lock file (closing one would release the process's lock). */
    private Set<Integer> keptDescriptors(Path lockFile) {
        Set<Integer> keep = new TreeSet<>(List.of(0, 1, 2));
        if (readyFd != null) {
            keep.add(readyFd);
        }
        for (int fd : openDescriptors()) {
            try {
                // the same file (device and inode), whatever path the kernel shows for it
                if (Files.isSameFile(procRoot.resolve("self/fd/" + fd), lockFile)) {
                    keep.add(fd);
                }
            } catch (IOException e) {
                // closed meanwhile, or not a file
            }
        }
        return keep;
    }

    /** The descriptors open now (the listing's own among them, gone by the time it is used). */
    private Set<Integer> openDescriptors() {
        Set<Integer> fds = new TreeSet<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(procRoot.resolve("self/fd"))) {
            for (Path p : dir) {
                fds.add(Integer.parseInt(p.getFileName().toString()));
            }
        } catch (IOException | NumberFormatException e) {
            throw new SupervisorException("cannot list " + procRoot.resolve("self/fd"), e);
        }
        return fds;
    }

    private void closeOnExecAllBut(Set<Integer> keep) {
        for (int fd : openDescriptors()) {
            LibC.fcntl(fd, LibC.F_SETFD, keep.contains(fd) ? 0 : LibC.FD_CLOEXEC);
        }
    }
}
