package dev.vmsup.supervisor.cli;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.CgroupHost;
import dev.vmsup.cgroupfs.InvalidCgroupPathException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import dev.vmsup.supervisor.SupervisorException;
import dev.vmsup.supervisor.config.Accel;
import dev.vmsup.supervisor.config.ConfigException;
import dev.vmsup.supervisor.config.ConfigLoader;
import dev.vmsup.supervisor.config.Settings;
import dev.vmsup.supervisor.config.SupervisorConfig;
import dev.vmsup.supervisor.config.SystemdCgroup;
import dev.vmsup.supervisor.process.Posix;
import dev.vmsup.supervisor.process.Rebirth;
import dev.vmsup.supervisor.resources.ContainerResources;
import dev.vmsup.supervisor.resources.ContainersFile;
import dev.vmsup.supervisor.sandbox.SandboxStartup;
import dev.vmsup.supervisor.sandbox.StopRequest;

/** {@code vmsup run}: runs one sandbox in the foreground until QEMU exits or a signal asks it to stop. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run one sandbox in the foreground: create its cgroups, start QEMU paused in the right one, "
                + "place every vCPU thread in the vcpu cgroup, apply the merged limits, then resume the VM.",
                "SIGTERM/SIGINT power the guest down (then quit, then SIGKILL) and remove everything created."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:QEMU ended cleanly, or a requested stop completed",
                "1:the sandbox failed or QEMU died (the reason is on stderr)",
                "2:bad usage, configuration or input (nothing was created)"})
public final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec; // null when PlainRunArgs read the command line

    @Option(names = "--id", required = true, description = "Sandbox id: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}.")
    String id;

    @Option(names = "--config", description = "TOML configuration file (Kata-compatible keys where they exist).")
    Path config;

    @Option(names = "--vcpus", description = "vCPUs at boot (default: default_vcpus, 1).")
    Integer vcpus;

    @Option(names = "--max-vcpus", description = "Most vCPUs the VM can be resized to (default: default_maxvcpus, 4).")
    Integer maxVcpus;

    @Option(names = "--memory", description = "Guest memory in MiB (default: default_memory, 2048).")
    Integer memory;

    @Option(names = "--kernel", description = "Guest kernel to boot.")
    String kernel;

    @Option(names = "--initrd", description = "Guest initramfs.")
    String initrd;

    @Option(names = "--append", description = "Guest kernel command line.")
    String append;

    @Option(names = "--accel", description = "kvm, tcg or auto (default; KVM only when usable and not nested).")
    String accel;

    @Option(names = "--cgroup-parent", description = "Parent cgroup: a path or the systemd form slice:prefix:name "
            + "(default: cgroup_parent, /vmsup).")
    String cgroupParent;

    @Option(names = "--sandbox-cgroup-only", description = "Put everything in the sandbox cgroup (no overhead cgroup).")
    Boolean sandboxCgroupOnly;

    @Option(names = "--systemd-cgroup", paramLabel = "off|on|auto", description = "Make the sandbox's cgroup a "
            + "delegated transient scope through systemd (default: systemd_cgroup, auto: when the parent is in systemd "
            + "form and PID 1 is systemd).")
    String systemdCgroup;

    @Option(names = "--overhead-cgroup", description = "Overhead cgroup root (default: overhead_cgroup, /kata_overhead).")
    String overheadCgroup;

    @Option(names = "--state-dir", description = "Directory for this sandbox's sockets and logs "
            + "(default: <state_dir>/<id>, /run/vmsup/<id>).")
    String stateDir;

    @Option(names = "--api-socket", description = "Control API unix socket, or 'none' (default: <state dir>/api.sock).")
    String apiSocket;

    @Option(names = "--share", description = "Share DIR with the guest over virtiofs, under TAG (default tag: share).",
            paramLabel = "DIR[:TAG]")
    String share;

    @Option(names = "--serial", description = "Guest serial console: a file, 'stdio' or 'none' "
            + "(default: <state dir>/serial.log).")
    String serial;

    @Option(names = "--containers", description = "JSON file: container id -> OCI LinuxResources (cpu quota, period, "
            + "shares, cpus, mems; memory limit).")
    String containers;

    @Option(names = "--paused", description = "Leave the VM paused after placement (no 'cont').")
    boolean paused;

    @Option(names = "--ready-fd", paramLabel = "N", description = "An open file descriptor (a pipe from the "
            + "spawning runtime): one JSON line when the sandbox is ready (every vCPU placed, limits applied, the API "
            + "accepting) or start-up failed; then the fd is closed.")
    Integer readyFd;

    /** Start-up work begun on a spare thread before the command line was read (null: none). */
    Preload preload;

    @Override
    public Integer call() {
        // first: SIGTERM/SIGINT from now on ask for a stop (start-up then removes what it made). In an image that was
        // re-executed they are still blocked, as they were across exec, until the configuration is read (below)
        StopRequest stop = new StopRequest();
        boolean born = Rebirth.born() != null;
        if (!born) {
            Signals.onTermination(stop::request);
        }
        PrintWriter err = spec != null ? spec.commandLine().getErr()
                : new PrintWriter(new OutputStreamWriter(System.err, Charset.defaultCharset()), true);
        Readiness readiness;
        try {
            readiness = Readiness.of(readyFd);
        } catch (ConfigException e) {
            err.println("vmsup: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        SupervisorConfig cfg;
        Map<String, ContainerResources> resources;
        CgroupHost host;
        try {
            cfg = settings().resolve(id);
            resources = cfg.containersFile() == null ? Map.of() : ContainersFile.read(cfg.containersFile());
            host = CgroupHost.detect();
        } catch (ConfigException | InvalidCgroupPathException e) {
            return refuse(err, readiness, e.getMessage(), ExitCodes.USAGE);
        }
        eventLoopAheadIfAtHome(cfg, host);
        if (born) {
            // vmsup's handlers in, then the signals unblocked: one that came across exec, or since, lands now. Not
            // first thing: the native calls this needs are being bound meanwhile on Preload's thread
            Rebirth.afterBirth(() -> Signals.onTermination(stop::request));
        }
        // before the first file: every file vmsup or its children create (state, sockets, serial log) is private
        // whatever umask it was given
        Posix.umask(0077);
        RunningSandbox run;
        try {
            run = RunningSandbox.start(cfg, resources, host, stop, Rebirth.forRun(host.procRoot(), readyFd,
                    () -> Signals.onTermination(stop::request), preload == null ? () -> { } : preload::awaitSteps),
                    preload);
        } catch (StopRequest.StartupStoppedException e) {
            return refuse(err, readiness, "sandbox " + cfg.id() + ": " + e.getMessage(), ExitCodes.OK);
        } catch (ConfigException | InvalidCgroupPathException e) {
            return refuse(err, readiness, e.getMessage(), ExitCodes.USAGE);
        } catch (SupervisorException | CgroupException e) {
            return refuse(err, readiness, "cannot start sandbox " + cfg.id() + ": " + e.getMessage(), ExitCodes.FAILURE);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(run::close, "vmsup-teardown"));
        err.println(StatusText.summary(run.sandbox().snapshot()));
        err.flush();
        readiness.ready(run.sandbox().snapshot(), cfg.apiSocket());
        stop.onRequested(readiness::stopping);
        return run.awaitExitCode();
    }

    /** Spawned by the runtime in its own cgroup, this first image runs the sandbox: Preload makes its event loop. */
    private void eventLoopAheadIfAtHome(SupervisorConfig cfg, CgroupHost host) {
        try {
            if (preload != null && Rebirth.pending() && SandboxStartup.spawnedAtHome(cfg, host)) {
                preload.eventLoopToo();
            }
        } catch (RuntimeException e) {
            // the start recipe meets the same problem and reports it
        }
    }

    /** Start-up did not reach ready: one line on stderr, one on the ready fd, the exit code. */
    private static int refuse(PrintWriter err, Readiness readiness, String message, int code) {
        err.println("vmsup: " + message);
        err.flush();
        readiness.failed(message, code);
        return code;
    }

    /** The TOML file's settings with the flags given on top. */
    private Settings settings() {
        Settings s = ConfigLoader.load(config);
        ifSet(vcpus, s::vcpus);
        ifSet(maxVcpus, s::maxVcpus);
        ifSet(memory, s::memoryMib);
        ifSet(kernel, s::kernel);
        ifSet(initrd, s::initrd);
        ifSet(append, s::kernelParams);
        ifSet(accel, a -> s.accel(Accel.parse("--accel", a)));
        ifSet(cgroupParent, s::cgroupParent);
        ifSet(sandboxCgroupOnly, s::sandboxCgroupOnly);
        ifSet(systemdCgroup, v -> s.systemdCgroup(SystemdCgroup.parse("--systemd-cgroup", v)));
        ifSet(overheadCgroup, s::overheadCgroup);
        ifSet(stateDir, s::stateDir);
        ifSet(serial, s::serial);
        ifSet(containers, s::containersFile);
        ifSet(apiSocket, s::apiSocket);
        ifSet(share, s::share);
        return s.paused(paused);
    }

    private static <T> void ifSet(T flag, Consumer<T> setter) {
        if (flag != null) {
            setter.accept(flag);
        }
    }
}
