package dev.vmsup.supervisor.vm;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.qmp.CpuInfo;
import dev.vmsup.qmp.HotpluggableCpu;
import dev.vmsup.qmp.QmpClient;
import dev.vmsup.qmp.QmpCommands;
import dev.vmsup.qmp.QmpOptions;
import dev.vmsup.qmp.QmpStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import dev.vmsup.supervisor.SupervisorEvents;
import dev.vmsup.supervisor.SupervisorException;
import dev.vmsup.supervisor.config.Deadlines;
import dev.vmsup.supervisor.config.SupervisorConfig;

/**
 * One QEMU process and its QMP monitor: the VM seam (as qemu's {@code QEMUMachine}). It starts QEMU from the
 * sandbox's argv, connects QMP, hot(un)plugs CPUs with QEMU's quirks (slot order, {@code cpu-N} ids, the QEMU 7.2
 * TCG replug crash), pauses and resumes, and stops QEMU with the ladder power-down, quit, SIGKILL. It knows nothing
 * of cgroups or of the sandbox's state. Every wait on QMP goes through {@link #await} and has a deadline.
 */
public final class QemuVm implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QemuVm.class);
    private static final Duration SHUTDOWN_STEP = Duration.ofSeconds(2);
    private static final String PERIPHERAL = "/machine/peripheral/";

    private final Process process;
    private final String accel;
    private final Deadlines deadlines;
    private final VcpuThreads threads;
    private final KvmKernelThreads kernelThreads;
    /** The VM's kernel threads once found (they are made with the VM and end with it). */
    private List<KernelThread> kernel = List.of();
    private volatile SupervisorEvents events = SupervisorEvents.NONE;
    private QmpClient client;
    private QmpCommands qmp;
    private boolean unplugged;
    private final CpuRoster cpus = new CpuRoster();

    private QemuVm(Process process, String accel, Path procRoot, Deadlines deadlines) {
        this.process = process;
        this.accel = accel;
        this.deadlines = deadlines;
        this.threads = new VcpuThreads(procRoot);
        this.kernelThreads = new KvmKernelThreads(procRoot);
    }

    /**
     * Starts QEMU (paused, with named threads) through {@code launcher}; it is born in the caller's cgroup.
     *
     * @param accel    QEMU's {@code -accel} value, see {@link AccelProbe}
     * @param procRoot where procfs is mounted
     */
    public static QemuVm launch(SupervisorConfig config, String accel, VmLauncher launcher, Path procRoot,
            List<Path> bornIn) {
        List<String> argv = QemuCommandLine.build(config, accel);
        LOG.info("starting {}", String.join(" ", argv));
        try {
            return new QemuVm(launcher.start(VmLauncher.bornIn(bornIn, argv), config), accel, procRoot, config.deadlines());
        } catch (IOException e) {
            throw new SupervisorException("cannot start " + argv.get(0), e);
        }
    }

    /**
     * Connects to QEMU's QMP socket (retrying while QEMU creates it); fails early if QEMU exits first, or if
     * {@code abandon} completes (a stop asked for during start-up).
     */
    public void connect(Vertx vertx, SupervisorConfig config, CompletableFuture<?> abandon) {
        Future<QmpClient> connecting = QmpClient.connectWithRetry(vertx, config.qmpSocket(), QmpOptions.DEFAULTS
                .withConnectDeadline(deadlines.qmpConnect()).withCommandTimeout(deadlines.qmpCommand()));
        CompletableFuture<QmpClient> connected = connecting.toCompletionStage().toCompletableFuture();
        abandon.thenRun(() -> connected.completeExceptionally(new SupervisorException("start-up stopped")));
        process.onExit().thenRun(() -> connected.completeExceptionally(new SupervisorException("QEMU exited")));
        try {
            client = await(Future.fromCompletionStage(connected), "connect QMP",
                    deadlines.qmpConnect().plus(deadlines.qmpCommand()));
        } catch (SupervisorException e) {
            connecting.onSuccess(QmpClient::close); // should it still connect
            if (!process.isAlive()) {
                throw new SupervisorException("QEMU exited with status " + process.exitValue()
                        + " before its QMP socket was ready (its messages are on stderr)");
            }
            throw e;
        }
        qmp = new QmpCommands(client);
    }

    /** The deadline of one QMP command. */
    public Duration commandDeadline() {
        return deadlines.qmpCommand();
    }

    /** Where QMP round-trip times go. */
    public void events(SupervisorEvents value) {
        events = value;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Completes when QEMU's process has exited. */
    public CompletableFuture<Process> exited() {
        return process.onExit();
    }

    /**
     * Calls {@code lost} with a reason if the QMP connection closes while QEMU lives on (QEMU closes QMP as it
     * exits: a moment is given for the exit to be seen first).
     */
    public void onQmpLost(Consumer<String> lost) {
        client.closeFuture().onComplete(v -> process.onExit().completeOnTimeout(null, 1, TimeUnit.SECONDS)
                .thenAccept(exited -> {
                    if (exited == null) {
                        lost.accept("QMP connection lost: " + client.closeCause().getMessage());
                    }
                }));
    }

    /** Calls {@code panicked} with QEMU's description when the guest panics (QMP {@code GUEST_PANICKED}). */
    public void onGuestPanic(Consumer<String> panicked) {
        client.subscribe("GUEST_PANICKED", e -> true, e -> panicked.accept(e.data() == null ? "" : e.data().toString()));
    }

    /** Once QEMU has exited: null for status 0, else what ended it ("exit status N", "killed by signal N"). */
    public String abnormalExit() {
        return ExitStatus.abnormal(process.exitValue());
    }

    /**
     * The kernel threads KVM made for this VM that the kernel leaves outside QEMU's cgroups ({@code kvm-pit}); none
     * under TCG. Looked up until found, then remembered: they live as long as the VM.
     */
    public List<KernelThread> kernelThreads() {
        if (kernel.isEmpty() && accel.startsWith(AccelProbe.KVM) && process.isAlive()) {
            kernel = kernelThreads.of(process.pid());
        }
        return kernel;
    }

    /** The CPUs QEMU has now, with their host thread ids ({@code query-cpus-fast}), waiting at most {@code deadline}. */
    public List<CpuInfo> queryCpus(Duration deadline) {
        return cpus.answered(await(qmp.queryCpusFast(), "query-cpus-fast", deadline));
    }

    /** The CPUs after this image's last hotplug: from the plugs themselves when they tell it for certain, else asked. */
    public List<CpuInfo> cpusAfterPlug() {
        return cpus.cpusCurrent() ? cpus.cpus() : queryCpus(deadlines.qmpCommand());
    }

    /**
     * Plugs one CPU into the lowest free socket and returns the host threads QEMU created for it, found in
     * {@code /proc} by their {@code CPU n/} name right after {@code device_add} returns (no QMP round trip; they also
     * tell {@link #cpusAfterPlug}).
     */
    public PluggedCpu plugCpu() {
        if (unplugged && accel.startsWith("tcg") && client.greeting().version().qemu().major() < 8) {
            // QEMU 7.2 under TCG dies (SIGSEGV or heap corruption) on the first CPU hotplug after any CPU unplug,
            // whatever the slot: seen on these machines. Refuse instead of losing the sandbox.
            throw new CpuHotplugException("device_add", "QEMU " + client.greeting().version()
                    + " under TCG crashes on a CPU hotplug after a CPU unplug; restart the sandbox to grow it again", true);
        }
        readFreeSlots();
        HotpluggableCpu slot = cpus.lowestFreeSlot();
        String id = "cpu-" + slot.props().getOrDefault("socket-id", 0L);
        Set<Integer> before = threads.tids(process.pid());
        try {
            await(qmp.deviceAddCpu(slot, id), "device_add " + id, deadlines.qmpCommand());
        } catch (SupervisorException e) {
            cpus.forget(); // QEMU's view is the truth again
            throw new CpuHotplugException("device_add of " + id, e.getCause() != null ? e.getCause() : e);
        }
        long replied = System.nanoTime();
        VcpuThreads.Found made = threads.newThreads(process.pid(), before);
        cpus.plugged(PERIPHERAL + id, made.vcpus(), made.indexes());
        return new PluggedCpu(made.vcpus(), made.others(), replied);
    }

    private void readFreeSlots() {
        if (!cpus.slotsKnown()) {
            try {
                cpus.slotsAnswered(await(qmp.queryHotpluggableCpus(), "query-hotpluggable-cpus", deadlines.qmpCommand()));
            } catch (SupervisorException e) {
                throw new CpuHotplugException("query-hotpluggable-cpus", e);
            }
        }
    }

    /** A hotplug's reads once, so the first is not the slowest: free slots (kept, as a hotplug keeps them), the scan. */
    public void warmUpHotplug() {
        if (!unplugged) {
            readFreeSlots();
        }
        threads.newThreads(process.pid(), threads.tids(process.pid()));
    }

    /**
     * Unplugs the {@code howMany} highest hotplugged CPUs and waits (bounded) until the guest has released them.
     * QEMU 7.2 does not name the CPU in {@code DEVICE_DELETED}: events only wake the check, which reads the CPUs.
     */
    public void unplugCpus(int howMany) {
        List<CpuInfo> removable = cpusAfterPlug().stream().filter(c -> c.qomPath().startsWith(PERIPHERAL))
                .sorted(Comparator.comparingInt(CpuInfo::cpuIndex).reversed()).limit(howMany).toList();
        cpus.forget(); // the released slots come back and the CPUs go: read both from QEMU next time
        if (removable.size() < howMany) {
            throw new CpuHotplugException("device_del", "only hotplugged CPUs can be removed; " + removable.size()
                    + " of the " + howMany + " asked for are hotplugged");
        }
        List<String> ids = removable.stream().map(c -> c.qomPath().substring(PERIPHERAL.length())).toList();
        for (String id : ids) {
            try {
                await(qmp.deviceDel(id), "device_del " + id, deadlines.qmpCommand());
            } catch (SupervisorException e) {
                throw new CpuHotplugException("device_del of " + id, e.getCause() != null ? e.getCause() : e);
            }
        }
        Set<String> paths = new HashSet<>();
        removable.forEach(c -> paths.add(c.qomPath()));
        unplugged = true;
        long deadline = System.nanoTime() + deadlines.cpuUnplug().toNanos();
        while (System.nanoTime() < deadline) {
            Future<?> wake = client.waitForEvent(null, null, Duration.ofMillis(100));
            if (queryCpus(deadlines.qmpCommand()).stream().noneMatch(c -> paths.contains(c.qomPath()))) {
                return;
            }
            waitQuietly(wake, Duration.ofMillis(150));
        }
        throw new CpuHotplugException("waiting for the guest to release " + ids,
                "not released within " + deadlines.cpuUnplug().toSeconds() + " s; the CPUs stay counted");
    }

    /** Pauses the vCPUs (QMP {@code stop}). */
    public void pause() {
        await(qmp.stop(), "stop", deadlines.qmpCommand());
    }

    /** Resumes the vCPUs (QMP {@code cont}). */
    public void resume() {
        await(qmp.cont(), "cont", deadlines.qmpCommand());
    }

    /**
     * Stops QEMU: a running guest gets the ACPI power button and some time, then QEMU is asked to quit, then it is
     * killed. Without a working QMP connection it is killed at once.
     */
    public void shutdown() {
        if (qmp == null || !client.isOpen()) {
            kill();
            return;
        }
        try {
            QmpStatus status = await(qmp.queryStatus(), "query-status", SHUTDOWN_STEP);
            if (status.running()) {
                await(qmp.systemPowerdown(), "system_powerdown", SHUTDOWN_STEP);
                if (process.waitFor(deadlines.powerdown().toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
                LOG.warn("guest did not power off within {} s; quitting QEMU", deadlines.powerdown().toSeconds());
            }
            await(qmp.quit(), "quit", SHUTDOWN_STEP);
        } catch (SupervisorException e) {
            LOG.warn("QMP shutdown failed ({}); killing QEMU", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (!process.waitFor(deadlines.quit().toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("QEMU (pid {}) still alive; sending SIGKILL", process.pid());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kill();
    }

    /** SIGKILL, then wait (bounded) for the exit. */
    public void kill() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Closes the QMP connection (QEMU is not stopped: see {@link #shutdown}). */
    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
    }

    /** Waits for one QMP exchange with a deadline and records its round trip; on any thread but the event loop. */
    private <T> T await(Future<T> future, String step, Duration timeout) {
        long start = System.nanoTime();
        try {
            T result = future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            events.qmpRoundTrip(step, Duration.ofNanos(System.nanoTime() - start));
            return result;
        } catch (TimeoutException e) {
            cpus.forget(); // QEMU may still act on it: its view is the truth again
            throw new VmNotAnsweringException(step + " did not finish within " + (timeout.toMillis() % 1000 == 0
                    ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms"));
        } catch (ExecutionException e) {
            throw new SupervisorException(step + " failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SupervisorException(step + " interrupted");
        } catch (RuntimeException e) {
            throw new SupervisorException(step + " failed", e);
        }
    }

    /** Waits up to {@code timeout} for a wake-up; its outcome does not matter. */
    private static void waitQuietly(Future<?> wake, Duration timeout) {
        try {
            wake.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException | RuntimeException ignored) {
            // poll again
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
