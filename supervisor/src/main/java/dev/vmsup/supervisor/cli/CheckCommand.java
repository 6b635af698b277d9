package dev.vmsup.supervisor.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.CgroupHost;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.Hierarchy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import dev.vmsup.supervisor.config.Accel;
import dev.vmsup.supervisor.config.ConfigException;
import dev.vmsup.supervisor.config.ConfigLoader;
import dev.vmsup.supervisor.config.Settings;
import dev.vmsup.supervisor.config.SupervisorConfig;
import dev.vmsup.supervisor.systemd.SystemdManager;
import dev.vmsup.supervisor.vm.AccelProbe;

/** {@code vmsup check}: what this host offers a sandbox, and whether one could run. Changes nothing. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Report this host's cgroups, KVM, QEMU and virtiofsd; exit 1 if a sandbox could not run here.")
final class CheckCommand implements Callable<Integer> {
    @Option(names = "--config", description = "TOML configuration file to check against.")
    Path config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<String> problems = new ArrayList<>();
        Settings settings;
        try {
            settings = ConfigLoader.load(config);
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("vmsup: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        CgroupHost host = null;
        try {
            host = CgroupHost.detect();
        } catch (CgroupException e) {
            problems.add("no cgroup filesystem: " + e.getMessage());
        }
        if (host != null) {
            out.printf("%-16s %s%n", "cgroup mode", host.mode().name().toLowerCase());
            Map<Path, List<String>> byMount = new TreeMap<>();
            host.v1Mounts().forEach((c, m) -> byMount.computeIfAbsent(m, k -> new ArrayList<>()).add(c));
            byMount.forEach((m, cs) -> out.printf("%-16s %s at %s%n", "cgroup v1", String.join(",", cs), m));
            if (host.unifiedMount() != null) {
                out.printf("%-16s %s, controllers: %s%n", "cgroup v2", host.unifiedMount(),
                        host.unifiedControllers().isEmpty() ? "(none)" : String.join(" ", host.unifiedControllers()));
            }
            try {
                // a missing QEMU has its own line below: the cgroup checks resolve without it (nothing is run)
                Settings probe = Files.isExecutable(Path.of(settings.qemuPath())) ? settings : settings.cgroupsOnly();
                SupervisorConfig cfg = probe.resolve("check");
                Hierarchy h = cfg.cgroupHierarchy().open(host, cfg.v1Controllers());
                out.printf("%-16s %s, controllers: %s%n", "placement uses", h.version().name().toLowerCase(),
                        String.join(" ", h.controllers()));
                if (!h.controllers().contains("cpu")) {
                    out.printf("%-16s %s%n", "warning", "no cpu controller: CFS quotas would not be enforced");
                }
                cgroupLine(out, "parent cgroup", h, cfg.cgroupParent());
                if (!cfg.sandboxCgroupOnly()) {
                    cgroupLine(out, "overhead cgroup", h, cfg.overheadCgroup());
                }
            } catch (ConfigException | CgroupException e) {
                problems.add(e.getMessage());
            }
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        out.printf("%-16s %s%n", "privileges", root ? "root" : "not root (cgroup writes will fail)");
        if (!root) {
            problems.add("vmsup must run as root to write cgroups");
        }
        Path proc = host != null ? host.procRoot() : Path.of("/proc");
        boolean kvm = Accel.kvmUsable(Accel.KVM_DEVICE);
        boolean nested = AccelProbe.nested(proc.resolve("cpuinfo"));
        out.printf("%-16s %s%s%n", "kvm", kvm ? "/dev/kvm usable" : "/dev/kvm not usable",
                nested ? ", running under a hypervisor (nested)" : "");
        AccelProbe.Decision auto = AccelProbe.decide(Accel.AUTO, proc);
        out.printf("%-16s picks %s: %s%n", "accel=auto", auto.accel(), auto.why());
        out.printf("%-16s %s%n", "systemd", SystemdManager.runsThisHost(proc)
                ? "PID 1 is systemd with its bus: a systemd-form parent becomes a delegated scope (systemd_cgroup=auto)"
                : "PID 1 is not systemd: cgroups are made directly (systemd_cgroup=auto)");
        tool(out, problems, "qemu", Path.of(settings.qemuPath()), "--version", true);
        tool(out, problems, "virtiofsd", Path.of(settings.virtiofsDaemon()), "--version", false);
        if (problems.isEmpty()) {
            out.printf("%-16s %s%n", "result", "ok: a sandbox can run here");
            out.flush();
            return ExitCodes.OK;
        }
        out.printf("%-16s %s%n", "result", "a sandbox cannot run here:");
        problems.forEach(p -> out.printf("%-16s - %s%n", "", p));
        out.flush();
        return ExitCodes.FAILURE;
    }

    private static void cgroupLine(PrintWriter out, String label, Hierarchy h, CgroupPath path) {
        boolean exists = h.exists(path);
        out.printf("%-16s %s: %s%n", label, path, exists ? "exists (loaded as is, never removed)"
                : "missing (created on first run, never removed)");
    }

    private static void tool(PrintWriter out, List<String> problems, String name, Path path, String flag,
            boolean required) {
        if (!Files.isExecutable(path)) {
            out.printf("%-16s %s not found%n", name, path);
            if (required) {
                problems.add(name + " not found at " + path);
            }
            return;
        }
        out.printf("%-16s %s: %s%n", name, path, version(path, flag));
    }

    private static String version(Path path, String flag) {
        try {
            Process p = new ProcessBuilder(path.toString(), flag).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] bytes = p.getInputStream().readNBytes(4096);
            p.waitFor(5, TimeUnit.SECONDS);
            p.destroyForcibly();
            String first = new String(bytes, StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
            return first.isEmpty() ? "(no version output)" : first;
        } catch (IOException e) {
            return "(cannot run: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }
}
